"""python -m dev.bench_int8: would an INT8 landmark model do? Speed and keypoint deviation vs float.

A benchmark script, not a test: it prints numbers. Steps:
1. calibration crops: the landmark-model inputs (256 x 256 crops) of the people the float 2D stage
   finds, static, whole frame, on the coco_mini photos (../shared/data/real_images/coco_mini);
2. static INT8 quantisation with onnxruntime.quantization (QDQ, per-channel int8 weights, uint8
   activations, MinMax calibration) of engines/pose_landmark_full.onnx into a temporary folder, in
   two variants: every Conv, and every Conv but the output heads (the Convs that make a graph
   output stay float);
3. speed: the landmark model alone at batch 1, float and each variant interleaved run by run,
   median wall ms and thread CPU ms (ONNX Runtime with 1 thread runs on the caller's thread);
4. accuracy: the 2D stage (static, whole frame, same detector) with the float model and with each
   variant on the parity photos (astronaut, camera, grace_hopper: the ones test_parity_mediapipe
   compares with MediaPipe; dumped by the oracle venv when it exists) and the 4 coco photos;
   per photo the mean and max distance in image px between the float and the INT8 keypoints, for
   the default decoder (softargmax) and MediaPipe's (refine).
The acceptance bar (issue 10 item 5): an INT8 model is adopted only within 1 px of the float one
on the parity photos, and faster.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from dev import oracle_client
from pose3d_ros.backends.factory import create_backend

HEAD_PASS_THROUGH = ("Transpose", "Reshape", "Sigmoid", "Identity")


def _rgb(path: Path) -> np.ndarray:
    return np.ascontiguousarray(cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1])


def _stage(engines: Path, landmark_onnx: Path, decoder: str):
    from pose3d_ros.assembly import DETECTOR_FILE
    from pose3d_ros.core.pose2d import Pose2DConfig, Pose2DEstimator

    cfg = Pose2DConfig(tracking=False, detect_tiles=0, decoder=decoder)
    return Pose2DEstimator(
        create_backend(engines / DETECTOR_FILE, "onnxruntime", 1),
        create_backend(landmark_onnx, "onnxruntime", 1),
        cfg,
    )


def calibration_crops(engines: Path, photos: list[Path]) -> np.ndarray:
    """(N, 256, 256, 3) float32 landmark-model inputs of the people found on `photos`."""
    from pose3d_ros.assembly import LANDMARK_FILE
    from pose3d_ros.core.pose2d.landmarks import crop_rois

    est = _stage(engines, engines / LANDMARK_FILE, "softargmax")
    crops = []
    try:
        for p in photos:
            img = _rgb(p)
            est.reset()
            poses = est.process(img)
            if poses:
                crops.append(crop_rois(img, [q.roi for q in poses]))
    finally:
        est.close()
    return np.concatenate(crops)


def head_convs(model) -> list[str]:
    """Names of the Conv nodes whose output reaches a graph output through pass-through ops only."""
    producer = {o: n for n in model.graph.node for o in n.output}
    heads, todo = [], [o.name for o in model.graph.output]
    while todo:
        node = producer.get(todo.pop())
        if node is None:
            continue
        if node.op_type == "Conv":
            heads.append(node.name)
        elif node.op_type in HEAD_PASS_THROUGH:
            todo.append(node.input[0])
    return heads


def quantize(src: Path, out_dir: Path, crops: np.ndarray) -> dict[str, Path]:
    """{variant name: INT8 model path} (see the module docstring)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self, name: str):
            self._name, self._i = name, 0

        def get_next(self):
            if self._i >= len(crops):
                return None
            self._i += 1
            return {self._name: crops[self._i - 1 : self._i]}

    pre = out_dir / "landmark_pre.onnx"
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    model = onnx.load(str(pre))
    input_name = model.graph.input[0].name
    variants = {"int8, every Conv": [], "int8, output heads float": head_convs(model)}
    out = {}
    for i, (name, exclude) in enumerate(variants.items()):
        path = out_dir / f"landmark_int8_{i}.onnx"
        quantize_static(
            str(pre),
            str(path),
            Reader(input_name),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=exclude,
        )
        out[name] = path
    return out


def model_speed(models: dict[str, Path], crop: np.ndarray, reps: int) -> dict[str, tuple]:
    """{name: (median wall ms, median thread CPU ms)}, batch 1, runs interleaved across models."""
    backends = {n: create_backend(p, "onnxruntime", 1) for n, p in models.items()}
    try:
        feeds = {n: {next(iter(b.input_shapes)): crop[None]} for n, b in backends.items()}
        for n, b in backends.items():
            for _ in range(5):
                b.run(feeds[n])
        times = {n: [] for n in backends}
        for _ in range(reps):
            for n, b in backends.items():
                t0, c0 = time.perf_counter(), time.thread_time()
                b.run(feeds[n])
                times[n].append((time.perf_counter() - t0, time.thread_time() - c0))
    finally:
        for b in backends.values():
            b.close()
    return {n: tuple(np.median(np.asarray(t), axis=0) * 1e3) for n, t in times.items()}


def deviations(engines: Path, models: dict[str, Path], photos: dict[str, Path], decoder: str):
    """{variant: {photo: (people float, people int8, mean px, max px)}} vs the first model."""
    results = {}
    for name, path in models.items():
        est = _stage(engines, path, decoder)
        try:
            results[name] = {}
            for photo, p in photos.items():
                est.reset()
                results[name][photo] = est.process(_rgb(p))
        finally:
            est.close()
    ref_name = next(iter(models))
    ref = results.pop(ref_name)
    table = {}
    for name, per_photo in results.items():
        table[name] = {}
        for photo, poses in per_photo.items():
            mean = worst = float("nan")
            if poses and len(poses) == len(ref[photo]):
                d = np.concatenate(
                    [
                        np.linalg.norm(a.keypoints_px - b.keypoints_px, axis=1)
                        for a, b in zip(ref[photo], poses)
                    ]
                )
                mean, worst = float(d.mean()), float(d.max())
            table[name][photo] = (len(ref[photo]), len(poses), mean, worst)
    return table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dev.bench_int8", description=__doc__.split("\n")[0])
    p.add_argument("--engines", type=Path, default=None)
    p.add_argument("--reps", type=int, default=50, help="timed runs per model")
    args = p.parse_args(argv)
    from pose3d_ros.assembly import LANDMARK_FILE

    engines = args.engines or oracle_client.default_engines_dir()
    real = oracle_client.shared_dir() / "data" / "real_images"
    calib = sorted((real / "coco_mini").glob("*.jpg"))
    photos = {}
    if oracle_client.oracle_python() is not None:
        samples = oracle_client.repo_root() / ".cache" / "samples"
        photos.update(oracle_client.dump_samples(samples))
    photos.update({f"coco {q.stem}": q for q in sorted((real / "coco").glob("*.jpg"))})
    with tempfile.TemporaryDirectory(prefix="pose3d_int8_") as tmp:
        crops = calibration_crops(engines, calib)
        print(f"calibration: {len(crops)} crops from {len(calib)} coco_mini photos", flush=True)
        models = {
            "float": engines / LANDMARK_FILE,
            **quantize(engines / LANDMARK_FILE, Path(tmp), crops),
        }
        speed = model_speed(models, crops[0], args.reps)
        print("\n| landmark model, batch 1, 1 thread | wall ms | thread CPU ms |\n|---|---|---|")
        for name, (wall, cpu) in speed.items():
            print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
        for decoder in ("softargmax", "refine"):
            table = deviations(engines, models, photos, decoder)
            print(
                f"\nDecoder {decoder}: INT8 vs float keypoints, image px (people float / int8, "
                "mean, max)\n\n| photo | "
                + " | ".join(table)
                + " |\n"
                + "|---" * (len(table) + 1)
                + "|"
            )
            for photo in photos:
                cells = ["{} / {}: {:.2f}, {:.2f}".format(*table[n][photo]) for n in table]
                print(f"| {photo} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
