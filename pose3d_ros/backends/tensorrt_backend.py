"""TensorRT backend: deserialises a prebuilt engine once, allocates once, binds tensors by name.

Written against NVIDIA's documented Python API: the name-based tensor API
(`num_io_tensors`, `set_input_shape`, `set_tensor_address`, `execute_async_v3`, TensorRT >= 8.5,
including 10.x) with a fallback to the binding API of older TensorRT 8 on Jetson
(`execute_async_v2`). Engines are built by `pose3d_engines` (tools/build_engines.py), never here.
NOT RUN in this project's CI or on its development machines: TensorRT could not be installed
there (see docs/gpu.md).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.errors import ModelError

_LOG = logging.getLogger("pose3d_ros.tensorrt")


def import_tensorrt():
    """Import tensorrt or raise ModelError naming the fix."""
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise ModelError("backend 'tensorrt' needs the TensorRT Python bindings (JetPack, or NVIDIA's "
                         "tensorrt wheel); use backend 'onnxruntime' otherwise") from exc
    return trt


def make_logger(trt, logger: logging.Logger = _LOG):
    """Map TensorRT's logger onto a Python logger (the node maps that onto the ROS logger)."""

    class _Logger(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)

        def log(self, severity, msg) -> None:
            sev = trt.ILogger.Severity
            level = {sev.INTERNAL_ERROR: logging.CRITICAL, sev.ERROR: logging.ERROR,
                     sev.WARNING: logging.WARNING, sev.INFO: logging.INFO}.get(severity, logging.DEBUG)
            logger.log(level, "TensorRT: %s", msg)

    return _Logger()


def check_engine_metadata(engine_path: Path, trt_version: str) -> None:
    """Refuse an engine built by another TensorRT version (engines are not portable)."""
    meta_path = engine_path.with_suffix(".json")
    if not meta_path.is_file():
        _LOG.warning("no metadata %s beside the engine; cannot check it matches this TensorRT", meta_path)
        return
    try:
        built_with = json.loads(meta_path.read_text())["tensorrt_version"]
    except (ValueError, KeyError) as exc:
        raise ModelError(f"corrupt engine metadata {meta_path}: {exc}") from exc
    if built_with != trt_version:
        raise ModelError(f"{engine_path} was built with TensorRT {built_with} but {trt_version} is installed; "
                         "rebuild it with `pose3d_engines`")


class TensorRTBackend(InferenceBackend):
    """One engine + execution context + per-tensor pinned/device buffers sized for the profile's max shape."""

    def __init__(self, engine_path: str | Path):
        from pose3d_ros.backends.cuda_buffers import Cuda, HostDeviceBuffer

        trt = import_tensorrt()
        path = Path(engine_path)
        if not path.is_file():
            raise ModelError(f"TensorRT engine not found: {path} (build it with `pose3d_engines`)")
        check_engine_metadata(path, trt.__version__)
        self._trt = trt
        self._logger = make_logger(trt)
        self._runtime = trt.Runtime(self._logger)
        self._engine = self._runtime.deserialize_cuda_engine(path.read_bytes())
        if self._engine is None:
            raise ModelError(f"cannot deserialise TensorRT engine {path} (corrupt, or built for another GPU)")
        self._context = self._engine.create_execution_context()
        self._named_api = hasattr(self._engine, "num_io_tensors")
        self._io = self._describe_io()
        self._cuda = Cuda()
        self._buffers = {name: HostDeviceBuffer(self._cuda, io["max_shape"], io["dtype"])
                         for name, io in self._io.items()}
        if self._named_api:
            for name, buf in self._buffers.items():
                self._context.set_tensor_address(name, int(buf.device_ptr))

    def _describe_io(self) -> dict[str, dict]:
        """name -> {is_input, shape (-1 dynamic), max_shape, dtype, index} for every I/O tensor."""
        trt, eng = self._trt, self._engine
        io = {}
        if self._named_api:
            for i in range(eng.num_io_tensors):
                name = eng.get_tensor_name(i)
                is_input = eng.get_tensor_mode(name) == trt.TensorIOMode.INPUT
                shape = tuple(eng.get_tensor_shape(name))
                max_shape = tuple(eng.get_tensor_profile_shape(name, 0)[2]) if is_input and -1 in shape else shape
                io[name] = dict(is_input=is_input, shape=shape, max_shape=max_shape, index=i,
                                dtype=np.dtype(trt.nptype(eng.get_tensor_dtype(name))))
        else:
            for i in range(eng.num_bindings):
                name = eng.get_binding_name(i)
                is_input = eng.binding_is_input(i)
                shape = tuple(eng.get_binding_shape(i))
                max_shape = tuple(eng.get_profile_shape(0, i)[2]) if is_input and -1 in shape else shape
                io[name] = dict(is_input=is_input, shape=shape, max_shape=max_shape, index=i,
                                dtype=np.dtype(trt.nptype(eng.get_binding_dtype(i))))
        max_batch = max((v["max_shape"][0] for v in io.values() if v["is_input"]), default=1)
        for v in io.values():  # outputs with a dynamic batch: size them for the inputs' largest batch
            if not v["is_input"] and v["max_shape"] and v["max_shape"][0] == -1:
                v["max_shape"] = (max_batch, *v["max_shape"][1:])
        return io

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        return {k: v["shape"] for k, v in self._io.items() if v["is_input"]}

    @property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        return {k: v["shape"] for k, v in self._io.items() if not v["is_input"]}

    def _set_input(self, name: str, array: np.ndarray) -> None:
        io = self._io[name]
        if array.ndim != len(io["shape"]) or any(s != d for s, d in zip(array.shape, io["shape"]) if s != -1 and d != -1):
            raise ModelError(f"input {name!r} has shape {array.shape}, engine expects {io['shape']}")
        ok = (self._context.set_input_shape(name, array.shape) if self._named_api
              else self._context.set_binding_shape(io["index"], array.shape))
        if ok is False:
            raise ModelError(f"input {name!r} shape {array.shape} is outside the engine's profile {io['max_shape']}")
        self._buffers[name].to_device(np.ascontiguousarray(array, dtype=io["dtype"]))

    def _output_shape(self, name: str) -> tuple[int, ...]:
        if self._named_api:
            return tuple(self._context.get_tensor_shape(name))
        return tuple(self._context.get_binding_shape(self._io[name]["index"]))

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self._context is None:
            raise ModelError("backend is closed")
        self.check_feeds(feeds)
        for name, array in feeds.items():
            self._set_input(name, array)
        stream = int(self._cuda.stream)
        if self._named_api:
            ok = self._context.execute_async_v3(stream)
        else:
            bindings = [0] * len(self._io)
            for name, io in self._io.items():
                bindings[io["index"]] = int(self._buffers[name].device_ptr)
            ok = self._context.execute_async_v2(bindings, stream)
        if not ok:
            raise ModelError("TensorRT execution failed (see the TensorRT log above)")
        views = {name: self._buffers[name].from_device(self._output_shape(name)) for name in self.output_shapes}
        self._cuda.synchronize()
        return {name: view.copy() for name, view in views.items()}

    def close(self) -> None:
        for buf in getattr(self, "_buffers", {}).values():
            buf.free()
        self._buffers = {}
        self._context = None
        self._engine = None
        if getattr(self, "_cuda", None) is not None:
            self._cuda.close()
            self._cuda = None
