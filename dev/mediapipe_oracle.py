"""MediaPipe 0.10.21 reference ("oracle") for the 2D stage. TEST/EVAL ONLY.

Runs ONLY inside the separate oracle venv made by `scripts/setup_mediapipe_oracle.sh`
(`.venv-mediapipe`): it imports mediapipe, which pins numpy<2 / protobuf<5, so the product never
imports this module. It is self-contained (no `pose3d_ros` imports) and is started as a script:

    .venv-mediapipe/bin/python dev/mediapipe_oracle.py samples --out DIR
    .venv-mediapipe/bin/python dev/mediapipe_oracle.py landmarks --mode static \
        --out out.json IMAGE [IMAGE ...]
    .venv-mediapipe/bin/python dev/mediapipe_oracle.py bench --mode tracking \
        --frames 200 --out bench.json FRAMES.npy

Inputs are image files (decoded with OpenCV, converted to RGB), `.npy` arrays (H, W, 3) uint8 RGB
or a stack (N, H, W, 3) = a sequence, or `sample:NAME` for a sample photo that ships inside a wheel
(astronaut, camera: scikit-image; grace_hopper: matplotlib). `samples` writes those photos as
lossless RGB PNGs so a process without scikit-image reads exactly the same pixels.

Landmark convention in the JSON: MediaPipe's normalised x, y times the image width, height, i.e.
image px with (0, 0) at the top-left CORNER of the top-left pixel; `z_px` is MediaPipe's z times
the width; `visibility` is MediaPipe's probability. `mp.solutions.pose` returns only the most
prominent person, so `people` holds at most one entry.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SAMPLE_NAMES = ("astronaut", "camera", "grace_hopper")


def load_sample(name: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB sample photo shipped inside the scikit-image / matplotlib wheels."""
    if name in ("astronaut", "camera"):
        import skimage.data  # only in the oracle venv

        img = getattr(skimage.data, name)()
    elif name == "grace_hopper":
        import matplotlib.cbook
        import matplotlib.image

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
            img = matplotlib.image.imread(f, format="jpg")
    else:
        raise ValueError(f"unknown sample {name!r}; known: {', '.join(SAMPLE_NAMES)}")
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3].astype(np.uint8))


def load_frames(spec: str) -> list[np.ndarray]:
    """One input spec -> list of (H, W, 3) uint8 RGB frames (a `.npy` stack gives several)."""
    if spec.startswith("sample:"):
        return [load_sample(spec.split(":", 1)[1])]
    path = Path(spec)
    if path.suffix == ".npy":
        arr = np.load(path)
        if arr.ndim == 3:
            arr = arr[None]
        if arr.ndim != 4 or arr.shape[-1] != 3 or arr.dtype != np.uint8:
            raise ValueError(
                f"{path}: need (H,W,3) or (N,H,W,3) uint8 RGB, got {arr.shape} {arr.dtype}"
            )
        return [np.ascontiguousarray(a) for a in arr]
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot read image {path}")
    return [np.ascontiguousarray(bgr[:, :, ::-1])]


def make_pose(mode: str, smooth: bool):
    """mp.solutions.pose.Pose, full model (model_complexity=1); static or tracking mode."""
    import mediapipe as mp

    return mp.solutions.pose.Pose(
        static_image_mode=(mode == "static"),
        model_complexity=1,
        smooth_landmarks=smooth,
        enable_segmentation=False,
        min_detection_confidence=0.5,
        min_tracking_confidence=0.5,
    )


def result_to_people(result, width: int, height: int) -> list[dict]:
    """MediaPipe result -> [] or [{keypoints_px (33,2), z_px (33,), visibility (33,), world_m}]."""
    if not result.pose_landmarks:
        return []
    lms = result.pose_landmarks.landmark
    xy = [[lm.x * width, lm.y * height] for lm in lms]
    person = {
        "keypoints_px": xy,
        "z_px": [lm.z * width for lm in lms],
        "visibility": [lm.visibility for lm in lms],
    }
    if result.pose_world_landmarks:
        person["world_m"] = [[w.x, w.y, w.z] for w in result.pose_world_landmarks.landmark]
    return [person]


def cmd_samples(args: argparse.Namespace) -> dict:
    import cv2

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in args.names or SAMPLE_NAMES:
        img = load_sample(name)
        path = out / f"{name}.png"
        if not cv2.imwrite(str(path), img[:, :, ::-1]):
            raise RuntimeError(f"cannot write {path}")
        written[name] = str(path)
    return {"samples": written}


def cmd_landmarks(args: argparse.Namespace) -> dict:
    """Static: a fresh detection per image. Tracking: all frames in order through one graph."""
    import mediapipe as mp

    frames = []
    for spec in args.inputs:
        for i, img in enumerate(load_frames(spec)):
            frames.append((spec if i == 0 else f"{spec}[{i}]", img))
    records = []
    with make_pose(args.mode, args.smooth) as pose:
        for name, img in frames:
            h, w = img.shape[:2]
            people = result_to_people(pose.process(img), w, h)
            records.append({"name": name, "width": w, "height": h, "people": people})
    return {
        "mediapipe_version": mp.__version__,
        "solution": "mp.solutions.pose",
        "model_complexity": 1,
        "mode": args.mode,
        "smooth_landmarks": bool(args.smooth),
        "coordinates": "px, pixel-corner origin",
        "frames": records,
    }


def cmd_bench(args: argparse.Namespace) -> dict:
    """Time `Pose.process` per frame inside this process (frames looped to `--frames`)."""
    import mediapipe as mp

    frames = [img for spec in args.inputs for img in load_frames(spec)]
    lat_ms = []
    found = 0
    with make_pose(args.mode, args.smooth) as pose:
        for i in range(args.warmup):
            pose.process(frames[i % len(frames)])
        t_start, cpu_start = time.perf_counter(), time.process_time()
        for i in range(args.frames):
            img = frames[i % len(frames)]
            t0 = time.perf_counter()
            res = pose.process(img)
            lat_ms.append((time.perf_counter() - t0) * 1e3)
            found += int(res.pose_landmarks is not None)
        total_s = time.perf_counter() - t_start
        cpu_s = time.process_time() - cpu_start
    lat = np.asarray(lat_ms)
    return {
        "mediapipe_version": mp.__version__,
        "mode": args.mode,
        "frames": args.frames,
        "distinct_frames": len(frames),
        "fps": args.frames / total_s,
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
        "frames_with_person": found,
        "cpu_cores_used": cpu_s / total_s,
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("samples", help="write the wheel-shipped sample photos as RGB PNGs")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("names", nargs="*", help=f"subset of {', '.join(SAMPLE_NAMES)} (default: all)")
    for name, hlp in (
        ("landmarks", "33 landmarks per input as JSON"),
        ("bench", "time mediapipe's pipeline"),
    ):
        c = sub.add_parser(name, help=hlp)
        c.add_argument(
            "inputs", nargs="+", help="image file, .npy (H,W,3)/(N,H,W,3) RGB, or sample:NAME"
        )
        c.add_argument("--mode", choices=("static", "tracking"), default="static")
        c.add_argument(
            "--smooth", action="store_true", help="MediaPipe landmark smoothing (tracking mode)"
        )
        c.add_argument("--out", default="-", help="JSON output path ('-' = stdout)")
    b = sub.choices["bench"]
    b.add_argument("--frames", type=int, default=200, help="timed frames (inputs are looped)")
    b.add_argument("--warmup", type=int, default=10)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"samples": cmd_samples, "landmarks": cmd_landmarks, "bench": cmd_bench}[args.cmd]
    report = handler(args)
    text = json.dumps(report, indent=1)
    if args.cmd == "samples" or args.out == "-":
        print(text)
    else:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
