"""Benchmark: lifter inference time per person (ONNX Runtime backend) and NN-baseline lookup time.

  OPENBLAS_NUM_THREADS=1 nice python -m dev.bench_lifter [--write-docs docs/benchmarks.md]

(one BLAS thread: on a busy 2-core machine a multi-threaded BLAS makes the baseline's small
matmuls ~20x slower.)

Times `Lifter.lift` end to end (numpy normalisation + backend run + reshape) at batch 1 and 8,
and the backend run alone; the NN baseline's lookup over its train library (same sizes as the
evaluation). Prints a markdown table; median of `--reps` timed calls after warm-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from dev import lifter_data as ld
from dev.doc_sections import write_section
from dev.timing import time_calls
from pose3d_ros.assembly import open_lifter
from pose3d_ros.core.pose3d.lifting import normalise_2d
from pose3d_ros.core.types import CameraIntrinsics


def time_call(fn, reps: int, warmup: int = 20) -> float:
    """Median seconds of fn()."""
    return float(np.median(time_calls(fn, reps, warmup)))


def sample_inputs(batch: int, seed: int = 0):
    """Real test-subject poses projected by one 1280x720 camera: (B, 17, 2) px, conf, intrinsics."""
    te = ld.load_split("test")
    rng = np.random.default_rng(seed)
    poses = te.poses_m[rng.choice(len(te.poses_m), batch)]
    _, uv, _, _, _ = ld.sample_views(poses, rng)
    intr = CameraIntrinsics(900.0, 900.0, 640.0, 360.0, 1280, 720)
    return uv, np.ones(uv.shape[:2]), intr


def bench(args: argparse.Namespace) -> list[tuple[str, int, float]]:
    rows = []
    lifter = open_lifter(args.engine, "onnxruntime", args.threads)
    for batch in (1, 8):
        uv, conf, intr = sample_inputs(batch)
        t = time_call(lambda: lifter.lift(uv, conf, intr), args.reps)
        rows.append(("lifter, Lifter.lift (normalise + ONNX Runtime)", batch, t))
        feats = normalise_2d(
            uv, conf, [intr.fx_px, intr.fy_px], [intr.cx_px, intr.cy_px], lifter.conf_min
        )
        t = time_call(lambda: lifter.lift_features(feats), args.reps)
        rows.append(("lifter, backend run only", batch, t))
    lifter.close()
    if not args.skip_baseline:
        from dev.eval_lifter import build_library

        nn = build_library(args.library_stride, args.library_views, 1, 0.2)
        for batch in (1, 8):
            uv, conf, intr = sample_inputs(batch)
            t = time_call(lambda: nn.lift(uv, conf, intr), max(args.reps // 20, 10), warmup=3)
            rows.append((f"NN baseline ({len(nn)} entries)", batch, t))
    return rows


def markdown(rows, args: argparse.Namespace) -> str:
    env = "".join(
        f"{k}={os.environ[k]} "
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
        if k in os.environ
    )
    cmd = env + "nice python -m dev.bench_lifter " + " ".join(shlex.quote(a) for a in args.argv)
    lines = [
        "## 2D -> 3D lifter",
        "",
        f"Command: `{cmd.strip()}`  ",
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"{platform.processor() or platform.machine()}, ONNX Runtime CPU with {args.threads} "
        "intra-op thread(s); machine shared with other jobs, median of timed calls. Target: lifter "
        "<= 0.2 ms per person at batch 1 and 8.",
        "",
        "| what | batch | ms per call | ms per person |",
        "|---|---:|---:|---:|",
    ]
    for what, batch, t in rows:
        lines.append(f"| {what} | {batch} | {t * 1e3:.3f} | {t * 1e3 / batch:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--engine", default="engines/lifter_h36m17.onnx")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--reps", type=int, default=2000)
    p.add_argument("--library-stride", type=int, default=2)
    p.add_argument("--library-views", type=int, default=4)
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument(
        "--write-docs",
        default=None,
        help="markdown file to put the section in (e.g. docs/benchmarks.md)",
    )
    args = p.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    text = markdown(bench(args), args)
    print(text)
    if args.write_docs:
        write_section(Path(args.write_docs), "lifter", text, "# Benchmarks")
        print(f"wrote {args.write_docs}")


if __name__ == "__main__":
    main()
