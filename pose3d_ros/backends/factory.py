"""Choose and load a backend implementation by name (the only module that imports them all)."""

from __future__ import annotations

from pathlib import Path

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.errors import ConfigError

BACKEND_KINDS = ("onnxruntime", "onnxruntime_cuda", "tensorrt")


def create_backend(
    model_path: str | Path,
    kind: str = "onnxruntime",
    threads: int = 1,
    *,
    engine_cache_dir: str | Path | None = None,
    precision: str = "fp16",
    max_batch: int = 8,
    io_binding: bool = False,
) -> InferenceBackend:
    """Load the ONNX model `model_path` with the backend `kind`.

    onnxruntime: ONNX Runtime on the CPU (`threads` intra-op threads).
    onnxruntime_cuda: ONNX Runtime's CUDA execution provider (onnxruntime-gpu); `io_binding`
        runs through an IOBinding.
    tensorrt: TensorRT or TensorRT for RTX, whichever imports; the engine comes from the cache
        `engine_cache_dir` (default ~/.cache/pose3d_ros/engines, or $POSE3D_ENGINE_CACHE), built
        there first if no engine matches this GPU, runtime, ONNX hash, `precision` and `max_batch`.
    """
    if kind == "onnxruntime":
        from pose3d_ros.backends.onnxruntime_backend import OnnxRuntimeBackend

        return OnnxRuntimeBackend(model_path, threads=threads)
    if kind == "onnxruntime_cuda":
        from pose3d_ros.backends.onnxruntime_cuda_backend import OnnxRuntimeCudaBackend

        return OnnxRuntimeCudaBackend(model_path, threads=threads, io_binding=io_binding)
    if kind == "tensorrt":
        from pose3d_ros.backends.engine_build import ensure_engine
        from pose3d_ros.backends.tensorrt_backend import TensorRTBackend, import_tensorrt

        runtime = import_tensorrt()
        engine = ensure_engine(model_path, engine_cache_dir, precision, max_batch, runtime=runtime)
        return TensorRTBackend(engine, runtime=runtime)
    raise ConfigError(f"unknown backend {kind!r}; expected one of {BACKEND_KINDS}")
