"""Build TensorRT engines from ONNX into the engine cache (engine_cache.py);
never beside the models.

`ensure_engine` is what the backend factory and `pose3d_engines` call: it computes the EngineKey
(GPU name + compute capability, runtime name + version, ONNX sha256, precision, max batch), returns
the cached engine when one exists for exactly that key, and otherwise builds and stores a new one,
logging progress lines. Building parses the ONNX (every parser error logged), sets one optimisation
profile for the dynamic batch (1..max_batch), and sets FP16 only where the builder has that flag;
strongly typed builders (TensorRT-RTX) take precision from the ONNX types.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from pose3d_ros.backends import engine_cache
from pose3d_ros.backends.engine_cache import EngineKey
from pose3d_ros.backends.tensorrt_backend import TensorRTRuntime, import_tensorrt, make_logger
from pose3d_ros.errors import ConfigError, ModelError
from pose3d_ros.files import sha256_file

_LOG = logging.getLogger("pose3d_ros.engines")


def effective_precision(runtime: TensorRTRuntime, requested: str) -> str:
    """The precision the builder can honour: strongly typed builders follow the ONNX
    (ours are fp32)."""
    if requested not in engine_cache.PRECISIONS:
        raise ConfigError(f"precision must be one of {engine_cache.PRECISIONS}, got {requested!r}")
    return "fp32" if runtime.strongly_typed else requested


def make_key(
    runtime: TensorRTRuntime, gpu: tuple[str, str], onnx_path: Path, precision: str, max_batch: int
) -> EngineKey:
    """The cache key of `onnx_path` built by `runtime` for `gpu` = (name, compute capability)."""
    return EngineKey(
        gpu_name=gpu[0],
        compute_capability=gpu[1],
        runtime=runtime.name,
        runtime_version=runtime.version,
        onnx_sha256=sha256_file(onnx_path),
        precision=effective_precision(runtime, precision),
        max_batch=int(max_batch),
    )


def build_serialized(
    runtime: TensorRTRuntime,
    onnx_path: Path,
    precision: str,
    max_batch: int,
    workspace_mib: int = 1024,
) -> tuple[bytes, dict]:
    """Parse and build `onnx_path`; returns (serialised engine, facts for the metadata)."""
    trt = runtime.trt
    logger = make_logger(trt, _LOG)
    builder = trt.Builder(logger)
    network = builder.create_network(runtime.network_flags())
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(Path(onnx_path).read_bytes()):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        for err in errors:
            _LOG.error("ONNX parser: %s", err)
        raise ModelError(f"{runtime.name} cannot parse {onnx_path}: {errors[:3]}")
    config = builder.create_builder_config()
    if hasattr(config, "set_memory_pool_limit"):
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_mib) << 20)
    else:  # TensorRT < 8.4
        config.max_workspace_size = int(workspace_mib) << 20
    fp16_kernels = False
    if (
        precision == "fp16"
        and not runtime.strongly_typed
        and getattr(builder, "platform_has_fast_fp16", True)
    ):
        config.set_flag(trt.BuilderFlag.FP16)
        fp16_kernels = True
    profile = builder.create_optimization_profile()
    dynamic = False
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        dims = tuple(tensor.shape)
        if dims and dims[0] == -1:
            rest = dims[1:]
            profile.set_shape(tensor.name, (1, *rest), (1, *rest), (int(max_batch), *rest))
            dynamic = True
    if dynamic:
        config.add_optimization_profile(profile)
    blob = builder.build_serialized_network(network, config)
    if blob is None:
        raise ModelError(
            f"{runtime.name} failed to build an engine from {onnx_path}: "
            f"{'; '.join(logger.errors) or 'see the log above'}"
        )
    return bytes(blob), {"fp16_kernels": fp16_kernels, "strongly_typed": runtime.strongly_typed}


def ensure_engine(
    onnx_path: str | Path,
    cache_dir: str | Path | None = None,
    precision: str = "fp16",
    max_batch: int = 8,
    runtime: TensorRTRuntime | None = None,
    gpu: tuple[str, str] | None = None,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """The engine for `onnx_path` in `cache_dir` (default engine_cache.default_cache_dir()),
    built if needed.

    gpu: (name, compute capability); read from GPU 0 through cuda_buffers when None.
    A cached entry for another key is never loaded: the key names the file and is checked again.
    """
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise ModelError(
            f"model file not found: {onnx_path} (run `pose3d_models` to generate engines/)"
        )
    say = progress or _LOG.info
    rt = runtime or import_tensorrt()
    if gpu is None:
        gpu = current_gpu()
    cache = Path(cache_dir) if cache_dir else engine_cache.default_cache_dir()
    key = make_key(rt, gpu, onnx_path, precision, max_batch)
    found = None if rebuild else engine_cache.lookup(cache, onnx_path, key)
    if found is not None:
        say(f"engine for {onnx_path.name}: cached {found}")
        return found
    say(
        f"engine for {onnx_path.name}: building with {rt.name} {rt.version} for {gpu[0]} "
        f"(sm {gpu[1]}), {key.precision}, batch <= {key.max_batch} ..."
    )
    t0 = time.perf_counter()
    blob, facts = build_serialized(rt, onnx_path, key.precision, key.max_batch)
    build_s = time.perf_counter() - t0
    path = engine_cache.store(cache, onnx_path, key, blob, {**facts, "build_s": round(build_s, 3)})
    say(
        f"engine for {onnx_path.name}: built in {build_s:.1f} s, {len(blob) / 1e6:.1f} MB -> {path}"
    )
    return path


def current_gpu(cuda_binding: str | None = None) -> tuple[str, str]:
    """(name, compute capability) of GPU 0 through cuda-python or pycuda."""
    from pose3d_ros.backends.cuda_buffers import Cuda

    cuda = Cuda(cuda_binding)
    try:
        return cuda.device_identity()
    finally:
        cuda.close()
