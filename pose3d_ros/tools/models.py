"""pose3d_models: fetch BlazePose from the mediapipe 0.10.21 wheel and convert it to ONNX in
engines/.

Steps: `pip download --no-deps mediapipe==0.10.21` into a cache (reused; or --wheel PATH offline),
read pose_detection.tflite and pose_landmark_full.tflite out of the wheel, check their pinned
sha256, convert each with the project's own TFLite -> ONNX converter (opset 17, dynamic batch),
prune outputs nothing in the product reads (the landmark model's segmentation head; kept with
--keep-segmentation), check with onnx.checker, and write engines/<name>.onnx +
engines/manifest.json. A run whose manifest still matches does nothing. Exit status: 0 ok, 2 on a
model error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pose3d_ros.assembly import resolve_engines_dir
from pose3d_ros.errors import ModelError
from pose3d_ros.models.build import BuildOptions, build_models
from pose3d_ros.models.wheel import default_cache_dir


def _parser() -> argparse.ArgumentParser:
    doc = __doc__.split("\n\n")
    ap = argparse.ArgumentParser(
        prog="pose3d_models",
        description=doc[0].split(": ", 1)[1] + "\n\n" + doc[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--engines-dir",
        type=Path,
        default=None,
        help="output folder (default: env POSE3D_ENGINES_DIR, else <repo>/engines, else ./engines)",
    )
    ap.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="wheel download cache (default: env POSE3D_CACHE, else ~/.cache/pose3d_ros)",
    )
    ap.add_argument(
        "--wheel",
        type=Path,
        default=None,
        help="use this mediapipe-0.10.21-*.whl instead of downloading (offline)",
    )
    ap.add_argument(
        "--force", action="store_true", help="convert again even if the manifest is current"
    )
    ap.add_argument(
        "--no-smoke-test",
        action="store_true",
        help="skip the ONNX Runtime batch-2 run of each converted model",
    )
    ap.add_argument(
        "--keep-segmentation",
        action="store_true",
        help="keep the landmark model's unused segmentation output (about 1.8x slower model)",
    )
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    opts = BuildOptions(
        engines_dir=args.engines_dir or resolve_engines_dir(),
        cache_dir=args.cache_dir or default_cache_dir(),
        wheel=args.wheel,
        force=args.force,
        smoke_test=not args.no_smoke_test,
        keep_unused_outputs=args.keep_segmentation,
    )
    start = time.perf_counter()
    try:
        build_models(opts, log=lambda msg: print(msg, flush=True))
    except ModelError as exc:
        print(f"pose3d_models: error: {exc}", file=sys.stderr)
        return 2
    print(f"pose3d_models: ok in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
