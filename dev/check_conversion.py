"""Compare the converted ONNX models with a reference TFLite interpreter on real photos.

Not a test: a validation script that prints, per model output, the max abs difference between
ONNX Runtime (engines/*.onnx) and the TFLite interpreter (ai-edge-litert or tflite-runtime) run
on the original .tflite files from the wheel. Needs a TFLite interpreter importable, which is not
a project dependency; a scratch venv works:

    python3.11 -m venv /tmp/tfl && /tmp/tfl/bin/pip install ai-edge-litert onnx==1.23.2 \
        onnxruntime flatbuffers==25.12.19 opencv-python-headless==4.11.0.86
    PYTHONPATH=. /tmp/tfl/bin/python -m dev.check_conversion

Inputs: each photo resized (no letterbox) to the model's input size, normalised as MediaPipe does
(detector RGB in [-1, 1], landmark model RGB in [0, 1]). Exit status 1 if no interpreter.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from pose3d_ros.assembly import resolve_engines_dir
from pose3d_ros.models.wheel import MODEL_SOURCES, default_cache_dir, download_wheel, extract_models

# model -> (input size px, value range the RGB image is scaled to)
_INPUTS = {"pose_detection": (224, (-1.0, 1.0)), "pose_landmark_full": (256, (0.0, 1.0))}


def _tflite_interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            return None
    return Interpreter


def default_images() -> list[Path]:
    shared = Path(
        os.environ.get("POSE3D_SHARED", Path(__file__).resolve().parents[1] / ".." / "shared")
    )
    return sorted((shared / "data" / "real_images" / "coco").glob("*.jpg"))


def load_input(path: Path, size_px: int, value_range: tuple[float, float]) -> np.ndarray:
    """(1, size, size, 3) float32 RGB, bilinear resize, scaled to value_range."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read image {path}")
    rgb = cv2.cvtColor(
        cv2.resize(bgr, (size_px, size_px), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB
    )
    lo, hi = value_range
    return (rgb.astype(np.float32) / 255.0 * (hi - lo) + lo)[None]


def run_tflite(interpreter_cls, tflite_bytes: bytes, x: np.ndarray) -> dict[str, np.ndarray]:
    interp = interpreter_cls(model_content=tflite_bytes, num_threads=1)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return {d["name"]: interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()}


def compare(engines_dir: Path, wheel: Path, images: list[Path]) -> list[tuple]:
    """Rows (model, output, shape, max |onnx - tflite| over images, max |tflite|)."""
    import onnxruntime as ort

    interpreter_cls = _tflite_interpreter_class()
    tflites = extract_models(wheel)
    rows = []
    for src in MODEL_SOURCES:
        session = ort.InferenceSession(
            str(engines_dir / f"{src.name}.onnx"), providers=["CPUExecutionProvider"]
        )
        names = [o.name for o in session.get_outputs()]
        worst = {n: 0.0 for n in names}
        scale = {n: 0.0 for n in names}
        shapes = {}
        for image in images:
            x = load_input(image, *_INPUTS[src.name])
            ours = dict(zip(names, session.run(None, {"input_1": x})))
            ref = run_tflite(interpreter_cls, tflites[src.name], x)
            for n in names:
                if ref[n].shape != ours[n].shape:
                    raise SystemExit(
                        f"{src.name}/{n}: shape {ours[n].shape} vs TFLite {ref[n].shape}"
                    )
                worst[n] = max(worst[n], float(np.max(np.abs(ours[n] - ref[n]))))
                scale[n] = max(scale[n], float(np.max(np.abs(ref[n]))))
                shapes[n] = ours[n].shape
        rows += [(src.name, n, shapes[n], worst[n], scale[n]) for n in names]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="check_conversion", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--engines-dir", type=Path, default=None, help="converted models (default <repo>/engines)"
    )
    ap.add_argument(
        "--wheel", type=Path, default=None, help="mediapipe wheel (default: the cached one)"
    )
    ap.add_argument(
        "images",
        nargs="*",
        type=Path,
        help="photos (default: ../shared/data/real_images/coco/*.jpg)",
    )
    args = ap.parse_args(argv)
    if _tflite_interpreter_class() is None:
        print(
            "no TFLite interpreter importable (pip install ai-edge-litert in a scratch venv)",
            file=sys.stderr,
        )
        return 1
    images = args.images or default_images()
    if not images:
        print("no images given and none found in ../shared/data/real_images/coco", file=sys.stderr)
        return 1
    wheel = args.wheel or download_wheel(default_cache_dir(), log=lambda m: None)
    rows = compare(args.engines_dir or resolve_engines_dir(), wheel, images)
    print(
        f"ONNX Runtime vs TFLite interpreter over {len(images)} image(s): "
        f"{', '.join(p.name for p in images)}"
    )
    print(f"{'model':<20} {'output':<12} {'shape':<20} {'max abs diff':>13} {'max |ref|':>10}")
    for model, name, shape, diff, ref in rows:
        print(f"{model:<20} {name:<12} {str(shape):<20} {diff:>13.3e} {ref:>10.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
