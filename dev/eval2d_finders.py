"""python -m dev.eval2d_finders: person finders side by side on COCO photos (static, one image at
a time, no tracking).

Methods (each on <shared>/data/real_images/coco and coco_mini):
- `blazepose`: the 2D stage at its default Pose2DConfig (BlazePose detector, whole frame + tiles);
- `blazepose_whole`: the same with the detector on the whole frame only (MediaPipe's path);
- `movenet+landmarks`: MoveNet MultiPose finds the people (core/pose2d/movenet.py: one pass, no
  face needed), each seeds a BlazePose landmark ROI, the rest of the stage as the default;
- `movenet`: MoveNet MultiPose alone, its 17 COCO keypoints as the prediction (score: mean
  keypoint score, as eval2d scores BlazePose people).
Scores come from dev/eval2d.score_coco (found = GT people with >= 5 labelled keypoints matched at
OKS >= 0.5; AP; PCK@0.2 on found people) plus: people predicted on photos where nobody is
annotated ("empty-photo people"), and ms per image (wall and CPU, ONNX Runtime 1 thread; run it
under `nice` on a shared machine and read the times as indicative).
`--write-docs docs/pose2d.md` puts the table between that file's finders markers.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from dev.doc_sections import write_section
from dev.eval2d import Predictions, load_coco, score_coco
from pose3d_ros.core.skeleton import BLAZEPOSE_TO_COCO17

SECTION = "finders"
SETS = ("coco", "coco_mini")
METHODS = ("blazepose", "blazepose_whole", "movenet+landmarks", "movenet")


def _shared() -> Path:
    from dev.oracle_client import shared_dir

    return shared_dir()


def _as33(kp17: list[np.ndarray], score17: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """COCO-17 people placed in the 33-landmark slots eval2d scores (others stay 0)."""
    kp = np.zeros((len(kp17), 33, 2))
    vis = np.zeros((len(kp17), 33))
    for i, (k, s) in enumerate(zip(kp17, score17)):
        kp[i, BLAZEPOSE_TO_COCO17] = k
        vis[i, BLAZEPOSE_TO_COCO17] = s
    return kp, vis


def _open(method: str, engines_dir: Path, min_movenet_score: float):
    """(callable frame -> (kp33, vis33), closer) for one method."""
    from pose3d_ros.assembly import open_movenet_finder, open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    if method == "movenet":
        finder = open_movenet_finder(engines_dir, "onnxruntime", 1, min_movenet_score)

        def run(frame):
            people = finder.people(frame)
            return _as33([p.keypoints_px for p in people], [p.keypoint_scores for p in people])

        return run, finder.close
    if method == "blazepose":
        config = Pose2DConfig(tracking=False)
    elif method == "blazepose_whole":
        config = Pose2DConfig(tracking=False, detect_tiles=0)
    else:
        config = Pose2DConfig(
            tracking=False,
            detect_tiles=0,
            person_finder="movenet",
            movenet_min_score=min_movenet_score,
        )
    est = open_pose2d(engines_dir, "onnxruntime", 1, config)

    def run(frame):
        est.reset()
        poses = est.process(frame)
        kp = np.stack([p.keypoints_px for p in poses]) if poses else np.zeros((0, 33, 2))
        vis = np.stack([p.visibility for p in poses]) if poses else np.zeros((0, 33))
        return kp, vis

    return run, est.close


def evaluate(
    engines_dir: Path, sets: list[str], methods: list[str], min_movenet_score: float
) -> dict:
    """results[set][method] = score_coco's dict + empty_photo_people, wall_ms, cpu_ms."""
    results: dict = {}
    for name in sets:
        images = load_coco(_shared() / "data" / "real_images" / name)
        results[name] = {}
        for method in methods:
            run, close = _open(method, engines_dir, min_movenet_score)
            preds, wall, cpu = Predictions(), [], []
            try:
                run(images[0].rgb)  # warm-up
                for img in images:
                    t0, c0 = time.perf_counter(), time.process_time()
                    kp, vis = run(img.rgb)
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                    preds.kp33.append(kp)
                    preds.vis33.append(vis)
            finally:
                close()
            s = score_coco(images, preds)
            s["empty_photo_people"] = sum(
                len(k) for img, k in zip(images, preds.kp33) if not img.counted.any()
            )
            s["empty_photos"] = sum(1 for img in images if not img.counted.any())
            s["wall_ms"] = 1e3 * float(np.median(wall))
            s["cpu_ms"] = 1e3 * float(np.median(cpu))
            results[name][method] = s
            print(
                f"{name:9s} {method:18s} found {s['found']}/{s['people']} AP {s['ap']:.3f} "
                f"PCK {s['pck']:.3f} empty-photo people {s['empty_photo_people']} "
                f"ms {s['wall_ms']:.0f} (cpu {s['cpu_ms']:.0f})",
                flush=True,
            )
    return results


def render_markdown(command: str, results: dict) -> str:
    lines = [
        f"Command: `{command}` ({platform.machine()}, {platform.processor() or 'cpu'}, "
        "ONNX Runtime 1 thread, static photos, median ms per photo).",
        "",
        "| set | finder | found (OKS >= 0.5) | AP | PCK@0.2 | people on empty photos "
        "| ms | CPU ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, per in results.items():
        for method, s in per.items():
            lines.append(
                f"| {name} | {method} | {s['found']}/{s['people']} | {s['ap']:.3f} | "
                f"{s['pck']:.3f} | {s['empty_photo_people']} ({s['empty_photos']} photos) | "
                f"{s['wall_ms']:.0f} | {s['cpu_ms']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dev.eval2d_finders", description=__doc__.split("\n")[0]
    )
    p.add_argument("--engines-dir", type=Path, default=None)
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument(
        "--movenet-min-score", type=float, default=None, help="person score (default: config's)"
    )
    p.add_argument("--write-docs", type=Path, default=None, help="e.g. docs/pose2d.md")
    p.add_argument("--json", type=Path, default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pose3d_ros.assembly import resolve_engines_dir
    from pose3d_ros.core.pose2d import Pose2DConfig

    engines = args.engines_dir or resolve_engines_dir()
    score = (
        Pose2DConfig().movenet_min_score
        if args.movenet_min_score is None
        else args.movenet_min_score
    )
    results = evaluate(engines, args.sets, args.methods, score)
    argv_txt = " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    md = render_markdown(f"python -m dev.eval2d_finders {argv_txt}".strip(), results)
    print(md)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    if args.write_docs:
        write_section(args.write_docs, SECTION, md, "# The 2D stage")
    return 0


if __name__ == "__main__":
    sys.exit(main())
