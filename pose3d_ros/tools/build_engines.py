"""pose3d_engines: prebuild the TensorRT engines for this GPU into the engine cache (run on the
target GPU).

Uses TensorRT (JetPack / NVIDIA) or TensorRT for RTX, whichever imports. Engines go to the cache
folder (default ~/.cache/pose3d_ros/engines, $POSE3D_ENGINE_CACHE, or --cache-dir), keyed by GPU
name + compute capability, runtime + version, ONNX sha256, precision and max batch: nothing is
written beside the ONNX models (engines/lifter_h36m17.json is the lifter's own metadata). An
engine already cached for the same key is reused; the node builds missing ones itself at start-up.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from pose3d_ros.backends.engine_build import ensure_engine
from pose3d_ros.backends.engine_cache import PRECISIONS, default_cache_dir
from pose3d_ros.backends.tensorrt_backend import import_tensorrt
from pose3d_ros.errors import ModelError

DEFAULT_MODELS = ("pose_detection.onnx", "pose_landmark_full.onnx", "lifter_h36m17.onnx")


def _default_engines_dir() -> Path:
    from pose3d_ros.assembly import resolve_engines_dir

    return resolve_engines_dir()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="pose3d_engines", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--engines-dir",
        type=Path,
        default=None,
        help="folder with the ONNX models (default: the one the node uses)",
    )
    ap.add_argument(
        "--models", nargs="+", default=list(DEFAULT_MODELS), help="ONNX file names to build"
    )
    ap.add_argument(
        "--cache-dir", type=Path, default=None, help=f"engine cache (default {default_cache_dir()})"
    )
    ap.add_argument(
        "--max-batch", type=int, default=8, help="largest batch (people) the engines accept"
    )
    ap.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp16",
        help="builder precision (strongly typed TensorRT-RTX follows the ONNX types)",
    )
    ap.add_argument(
        "--runtime",
        choices=("tensorrt", "tensorrt_rtx"),
        default=None,
        help="which TensorRT to use (default: the first that imports)",
    )
    ap.add_argument(
        "--rebuild", action="store_true", help="build even when a matching engine is cached"
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    engines_dir = args.engines_dir or _default_engines_dir()
    try:
        runtime = import_tensorrt(args.runtime)
        t0 = time.perf_counter()
        for name in args.models:
            ensure_engine(
                engines_dir / name,
                args.cache_dir,
                args.precision,
                args.max_batch,
                runtime=runtime,
                rebuild=args.rebuild,
                progress=print,
            )
        print(f"{len(args.models)} engine(s) ready in {time.perf_counter() - t0:.1f} s")
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
