"""TensorRT backend: deserialises one engine, allocates once, binds tensors by name,
runs on one stream.

Runs with full TensorRT (JetPack / NVIDIA's wheels, module `tensorrt`) or TensorRT for RTX (PyPI,
module `tensorrt_rtx` or `tensorrt_rtx_bindings`), whichever imports; differences are found by
feature detection, never by comparing version numbers (TensorRT-RTX is 1.x with TensorRT 10's
API). The name-based tensor API (`num_io_tensors`, `set_input_shape`, `set_tensor_address`,
`execute_async_v3`) is used where the engine has it, the binding API of older TensorRT 8 on Jetson
(`execute_async_v2`) otherwise. Engines come from engine_build.ensure_engine (a cache keyed by
GPU, runtime, ONNX hash, precision and batch), never from beside the ONNX models.
What has and has not run on real GPUs is in docs/gpu.md.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from pathlib import Path

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.errors import ModelError

_LOG = logging.getLogger("pose3d_ros.tensorrt")

# Import name -> runtime name recorded in engine keys. Full TensorRT first.
MODULES = (
    ("tensorrt", "tensorrt"),
    ("tensorrt_rtx", "tensorrt_rtx"),
    ("tensorrt_rtx_bindings", "tensorrt_rtx"),
)


@dataclasses.dataclass(frozen=True)
class TensorRTRuntime:
    """An imported TensorRT flavour: the module, its runtime name and version string."""

    trt: object
    name: str
    version: str

    @property
    def strongly_typed(self) -> bool:
        """True when precision comes from the ONNX types (no FP16 builder flag: TensorRT-RTX)."""
        return not hasattr(self.trt.BuilderFlag, "FP16")

    def network_flags(self) -> int:
        """create_network() flags: EXPLICIT_BATCH where the enum still has it
        (TensorRT 8/10), else 0."""
        flag = getattr(self.trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH", None)
        return 0 if flag is None else 1 << int(flag)


def import_tensorrt(prefer: str | None = None) -> TensorRTRuntime:
    """The first TensorRT flavour that imports (only `prefer`'s modules when given),
    or ModelError naming the fix."""
    candidates = [m for m in MODULES if prefer is None or m[1] == prefer]
    failures = []
    for module_name, runtime_name in candidates:
        try:
            trt = importlib.import_module(module_name)
        except ImportError as exc:  # also OSError-wrapping ImportErrors from missing libraries
            failures.append(f"{module_name}: {exc}")
            continue
        except OSError as exc:
            failures.append(f"{module_name}: {exc}")
            continue
        return TensorRTRuntime(trt, runtime_name, str(getattr(trt, "__version__", "unknown")))
    raise ModelError(
        "backend 'tensorrt' needs TensorRT's Python bindings (JetPack's tensorrt, NVIDIA's "
        "tensorrt wheel, or TensorRT for RTX: `pip install tensorrt-rtx`); none imports "
        f"({'; '.join(failures) or prefer}). Use backend 'onnxruntime' or "
        "'onnxruntime_cuda' otherwise"
    )


def make_logger(trt, logger: logging.Logger = _LOG):
    """Map TensorRT's logger onto a Python logger (the node maps that onto the ROS logger).

    The returned object keeps the last error lines in `.errors` so failures can quote them.
    """

    class _Logger(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)
            self.errors: list[str] = []

        def log(self, severity, msg) -> None:
            sev = trt.ILogger.Severity
            level = {
                sev.INTERNAL_ERROR: logging.CRITICAL,
                sev.ERROR: logging.ERROR,
                sev.WARNING: logging.WARNING,
                sev.INFO: logging.INFO,
            }.get(severity, logging.DEBUG)
            if level >= logging.ERROR:
                self.errors = (self.errors + [str(msg)])[-5:]
            logger.log(level, "TensorRT: %s", msg)

    return _Logger()


class TensorRTBackend(InferenceBackend):
    """One engine + execution context + per-tensor pinned/device buffers sized for the
    profile's max shape."""

    def __init__(
        self,
        engine_path: str | Path,
        runtime: TensorRTRuntime | None = None,
        cuda_binding: str | None = None,
    ):
        from pose3d_ros.backends.cuda_buffers import Cuda, HostDeviceBuffer

        self._buffers: dict = {}
        self._context = None
        self._cuda = None
        rt = runtime or import_tensorrt()
        path = Path(engine_path)
        if not path.is_file():
            raise ModelError(f"TensorRT engine not found: {path} (build it with `pose3d_engines`)")
        self._trt = rt.trt
        self.runtime = rt
        self._cuda = Cuda(cuda_binding)  # creates the CUDA context TensorRT then uses
        try:
            self._logger = make_logger(rt.trt)
            self._runtime = rt.trt.Runtime(self._logger)
            self._engine = self._runtime.deserialize_cuda_engine(path.read_bytes())
            if self._engine is None:
                said = "; ".join(self._logger.errors) or "no message"
                raise ModelError(f"{rt.name} {rt.version} cannot deserialise engine {path}: {said}")
            self._context = self._engine.create_execution_context()
            if self._context is None:
                raise ModelError(
                    f"cannot create an execution context for {path}: "
                    f"{'; '.join(self._logger.errors)}"
                )
            self._named_api = hasattr(self._engine, "num_io_tensors")
            self._io = self._describe_io()
            for name, io in self._io.items():
                self._buffers[name] = HostDeviceBuffer(self._cuda, io["max_shape"], io["dtype"])
            if self._named_api:
                for name, buf in self._buffers.items():
                    self._context.set_tensor_address(name, int(buf.device_ptr))
        except BaseException:
            self.close()
            raise

    def _describe_io(self) -> dict[str, dict]:
        """name -> {is_input, shape (-1 dynamic), max_shape, dtype, index} for every I/O tensor."""
        trt, eng = self._trt, self._engine
        io = {}
        if self._named_api:
            for i in range(eng.num_io_tensors):
                name = eng.get_tensor_name(i)
                is_input = eng.get_tensor_mode(name) == trt.TensorIOMode.INPUT
                shape = tuple(eng.get_tensor_shape(name))
                max_shape = (
                    tuple(eng.get_tensor_profile_shape(name, 0)[2])
                    if is_input and -1 in shape
                    else shape
                )
                io[name] = dict(
                    is_input=is_input,
                    shape=shape,
                    max_shape=max_shape,
                    index=i,
                    dtype=np.dtype(trt.nptype(eng.get_tensor_dtype(name))),
                )
        else:
            for i in range(eng.num_bindings):
                name = eng.get_binding_name(i)
                is_input = eng.binding_is_input(i)
                shape = tuple(eng.get_binding_shape(i))
                max_shape = (
                    tuple(eng.get_profile_shape(0, i)[2]) if is_input and -1 in shape else shape
                )
                io[name] = dict(
                    is_input=is_input,
                    shape=shape,
                    max_shape=max_shape,
                    index=i,
                    dtype=np.dtype(trt.nptype(eng.get_binding_dtype(i))),
                )
        max_batch = max(
            (v["max_shape"][0] for v in io.values() if v["is_input"] and v["max_shape"]), default=1
        )
        for (
            v
        ) in io.values():  # outputs with a dynamic batch: size them for the inputs' largest batch
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
        if array.ndim != len(io["shape"]) or any(
            s != d for s, d in zip(array.shape, io["shape"]) if s != -1 and d != -1
        ):
            raise ModelError(
                f"input {name!r} has shape {array.shape}, engine expects {io['shape']}"
            )
        ok = (
            self._context.set_input_shape(name, array.shape)
            if self._named_api
            else self._context.set_binding_shape(io["index"], array.shape)
        )
        if ok is False:
            raise ModelError(
                f"input {name!r} shape {array.shape} is outside the "
                f"engine's profile {io['max_shape']}"
            )
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
        stream = self._cuda.stream_handle
        if self._named_api:
            ok = self._context.execute_async_v3(stream)
        else:
            bindings = [0] * len(self._io)
            for name, io in self._io.items():
                bindings[io["index"]] = int(self._buffers[name].device_ptr)
            ok = self._context.execute_async_v2(bindings, stream)
        if not ok:
            raise ModelError(
                f"TensorRT execution failed: {'; '.join(self._logger.errors) or 'no message'}"
            )
        views = {
            name: self._buffers[name].from_device(self._output_shape(name))
            for name in self.output_shapes
        }
        self._cuda.synchronize()
        return {name: view.copy() for name, view in views.items()}

    def close(self) -> None:
        for buf in self._buffers.values():
            buf.free()
        self._buffers = {}
        self._context = None
        self._engine = None
        if self._cuda is not None:
            self._cuda.close()
            self._cuda = None
