"""python -m dev.tracking_sensitivity: how far ROI tracking carries a tiny model-output difference.

Runs the 2D stage twice over the sample street clip (looped 3 times), once as is and once with
every landmark-model output multiplied by (1 + noise * N(0, 1)), and prints per frame the largest
landmark difference (px) between the two runs, for tracking on and off. A GPU backend differs from
the CPU one by about 1e-5 relative (docs/gpu.md), so this bounds what any backend can agree to.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np

from pose3d_ros.assembly import open_pose2d, resolve_engines_dir
from pose3d_ros.core.pose2d import Pose2DConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSE3D_SHARED", ROOT / ".." / "shared"))
CLIP = SHARED / "data" / "real_images" / "video" / "street_walk_5frames.mp4"


def read_frames(path: Path, loops: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return out * loops


def run(frames, config: Pose2DConfig, noise: float, seed: int = 0) -> list[list[np.ndarray]]:
    """Landmarks (33, 2) px per person per frame, people sorted by their first landmark's x."""
    est = open_pose2d(resolve_engines_dir(), "onnxruntime", 1, config)
    landmark_model = est._backends[1]  # a dev probe: perturb the one model's outputs in place
    plain_run, rng = landmark_model.run, np.random.default_rng(seed)

    def noisy_run(feeds):
        out = plain_run(feeds)
        return {
            k: (v * (1 + noise * rng.standard_normal(v.shape))).astype(v.dtype)
            for k, v in out.items()
        }

    landmark_model.run = noisy_run
    try:
        return [
            sorted((p.keypoints_px for p in est.process(f)), key=lambda k: k[0, 0]) for f in frames
        ]
    finally:
        est.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--noise", type=float, default=1e-6, help="relative output noise")
    ap.add_argument("--loops", type=int, default=3)
    ap.add_argument("--decoder", default=Pose2DConfig.decoder)
    args = ap.parse_args(argv)
    frames = read_frames(CLIP, args.loops)
    for tracking in (True, False):
        cfg = Pose2DConfig(tracking=tracking, decoder=args.decoder)
        a, b = run(frames, cfg, 0.0), run(frames, cfg, args.noise)
        diffs = [
            f"{max(float(np.abs(p - q).max()) for p, q in zip(x, y)):.3g}"
            if len(x) == len(y) and x
            else f"{len(x)}vs{len(y)} people"
            for x, y in zip(a, b)
        ]
        print(f"tracking={tracking} decoder={args.decoder} noise={args.noise:g}: max px per frame")
        print("  " + " ".join(diffs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
