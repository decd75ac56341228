"""pose3d_engines: build TensorRT engines from the ONNX models in engines/ (run on the target GPU).

Building is a separate program from running: it parses ONNX, logs every parser error, sets an
optimisation profile for the dynamic batch, and serialises `<model>.engine` plus a `<model>.json`
that records the TensorRT version and the ONNX hash, so the runtime can refuse a stale engine.
NOT RUN in this project's CI: TensorRT could not be installed on its machines (docs/gpu.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

from pose3d_ros.backends.tensorrt_backend import import_tensorrt, make_logger
from pose3d_ros.core.errors import ModelError

_LOG = logging.getLogger("pose3d_engines")
DEFAULT_MODELS = ("pose_detection.onnx", "pose_landmark_full.onnx", "lifter_h36m17.onnx")


def build_engine(onnx_path: Path, max_batch: int, fp16: bool, workspace_mib: int) -> Path:
    """Build `onnx_path` into `<stem>.engine` beside it; returns the engine path."""
    trt = import_tensorrt()
    logger = make_logger(trt, _LOG)
    builder = trt.Builder(logger)
    explicit = 0 if int(trt.__version__.split(".")[0]) >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(explicit)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes()):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        for err in errors:
            _LOG.error("ONNX parser: %s", err)
        raise ModelError(f"TensorRT cannot parse {onnx_path}: {errors[:3]}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, workspace_mib << 20)
    if fp16 and builder.platform_has_fast_fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        dims = tuple(tensor.shape)
        if dims and dims[0] == -1:
            rest = dims[1:]
            profile.set_shape(tensor.name, (1, *rest), (1, *rest), (max_batch, *rest))
    config.add_optimization_profile(profile)
    blob = builder.build_serialized_network(network, config)
    if blob is None:
        raise ModelError(f"TensorRT failed to build an engine from {onnx_path} (see the log above)")
    engine_path = onnx_path.with_suffix(".engine")
    engine_path.write_bytes(bytes(blob))
    meta = {"tensorrt_version": trt.__version__, "onnx": onnx_path.name,
            "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
            "fp16": bool(fp16 and builder.platform_has_fast_fp16), "max_batch": max_batch}
    engine_path.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    return engine_path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="pose3d_engines", description=__doc__.split("\n\n")[0])
    ap.add_argument("--engines-dir", type=Path, default=Path("engines"), help="folder with the ONNX models")
    ap.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), help="ONNX file names to build")
    ap.add_argument("--max-batch", type=int, default=8, help="largest batch (people) the engines accept")
    ap.add_argument("--fp32", action="store_true", help="disable FP16 kernels")
    ap.add_argument("--workspace-mib", type=int, default=1024, help="builder workspace limit")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        for name in args.models:
            t0 = time.perf_counter()
            out = build_engine(args.engines_dir / name, args.max_batch, not args.fp32, args.workspace_mib)
            print(f"built {out} in {time.perf_counter() - t0:.1f} s")
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
