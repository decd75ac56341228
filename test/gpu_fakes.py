"""In-test stand-ins for the CUDA bindings (cuda-python, pycuda) and TensorRT's Python API.

They implement the documented call signatures with host memory, so the tests pin OUR logic only
(feature detection, caching, buffers, binding by name); they prove nothing about NVIDIA's
libraries. What ran on real GPUs is in docs/gpu.md.
"""

from __future__ import annotations

import ctypes
import enum
import json
import sys
import types

import numpy as np


class CudaLog:
    """What the fake CUDA bindings were asked to do (copies, allocations, frees)."""

    def __init__(self):
        self.calls: list[str] = []
        self.keep: dict[int, object] = {}

    def alloc(self, n: int) -> int:
        buf = ctypes.create_string_buffer(max(1, n))
        self.keep[ctypes.addressof(buf)] = buf
        return ctypes.addressof(buf)


def fake_cudart(log: CudaLog, gpu=("Fake GPU 9000", 9, 0)):
    """cuda.bindings.runtime: every call returns (err, *values)."""

    def memcpy(dst, src, n, kind, stream):
        log.calls.append(f"memcpy{kind}")
        ctypes.memmove(int(dst), int(src), n)
        return (0,)

    def record(name, value=None):
        def fn(*args):
            log.calls.append(name)
            return (0,) if value is None else (0, value)

        return fn

    props = types.SimpleNamespace(name=gpu[0].encode(), major=gpu[1], minor=gpu[2])
    return types.SimpleNamespace(
        cudaStreamCreate=record("cudaStreamCreate", 7),
        cudaStreamDestroy=record("cudaStreamDestroy"),
        cudaStreamSynchronize=record("cudaStreamSynchronize"),
        cudaMalloc=lambda n: (0, log.alloc(n)),
        cudaMallocHost=lambda n: (0, log.alloc(n)),
        cudaFree=record("cudaFree"),
        cudaFreeHost=record("cudaFreeHost"),
        cudaMemcpyAsync=memcpy,
        cudaGetErrorString=lambda e: (0, b"fake error"),
        cudaGetDevice=lambda: (0, 0),
        cudaGetDeviceProperties=lambda dev: (0, props),
        cudaMemcpyKind=types.SimpleNamespace(cudaMemcpyHostToDevice=1, cudaMemcpyDeviceToHost=2),
    )


def fake_pycuda_driver(log: CudaLog, gpu=("Fake GPU 9000", 9, 0)):
    """pycuda.driver with the calls cuda_buffers uses."""

    class Error(Exception):
        pass

    class DeviceAllocation:
        def __init__(self, n):
            self.ptr = log.alloc(n)

        def __int__(self):
            return self.ptr

        def free(self):
            log.calls.append("mem_free")

    class Context:
        def push(self):
            log.calls.append("ctx_push")

        def pop(self):
            log.calls.append("ctx_pop")

    class Device:
        def __init__(self, i):
            self.i = i

        def retain_primary_context(self):
            return Context()

        def name(self):
            return gpu[0]

        def compute_capability(self):
            return gpu[1], gpu[2]

    class Stream:
        handle = 11

        def synchronize(self):
            log.calls.append("stream_sync")

    def htod(dst, src, stream):
        log.calls.append("htod")
        ctypes.memmove(int(dst), src.ctypes.data, src.nbytes)

    def dtoh(dst, src, stream):
        log.calls.append("dtoh")
        ctypes.memmove(dst.ctypes.data, int(src), dst.nbytes)

    return types.SimpleNamespace(
        Error=Error,
        init=lambda: None,
        Device=Device,
        Stream=Stream,
        mem_alloc=DeviceAllocation,
        pagelocked_empty=lambda shape, dtype: np.empty(shape, dtype),
        memcpy_htod_async=htod,
        memcpy_dtoh_async=dtoh,
    )


def install_cuda_python(monkeypatch, log: CudaLog, gpu=("Fake GPU 9000", 9, 0)) -> None:
    cuda_pkg = types.ModuleType("cuda")
    bindings = types.ModuleType("cuda.bindings")
    bindings.runtime = fake_cudart(log, gpu)
    cuda_pkg.bindings = bindings
    monkeypatch.setitem(sys.modules, "cuda", cuda_pkg)
    monkeypatch.setitem(sys.modules, "cuda.bindings", bindings)
    monkeypatch.setitem(sys.modules, "cuda.bindings.runtime", bindings.runtime)


def install_pycuda(monkeypatch, log: CudaLog, gpu=("Fake GPU 9000", 9, 0)) -> None:
    pkg = types.ModuleType("pycuda")
    pkg.driver = fake_pycuda_driver(log, gpu)
    monkeypatch.setitem(sys.modules, "pycuda", pkg)
    monkeypatch.setitem(sys.modules, "pycuda.driver", pkg.driver)


def hide_cuda_python(monkeypatch) -> None:
    for name in ("cuda", "cuda.bindings", "cuda.bindings.runtime", "cuda.cudart"):
        monkeypatch.setitem(sys.modules, name, None)


def hide_pycuda(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pycuda", None)
    monkeypatch.setitem(sys.modules, "pycuda.driver", None)


# ------------------------------------------------------------------ TensorRT


class Mode(enum.Enum):
    """Stand-in for TensorRT's TensorIOMode (the fake module exposes it under that name)."""

    INPUT = 0
    OUTPUT = 1


def _ptr_array(ptr: int, n: int) -> np.ndarray:
    return np.ctypeslib.as_array((ctypes.c_float * n).from_address(ptr))


class NamedEngine:
    """x (-1, 3) float32 -> y = 2x, profile batch 1..max_batch
    (tensor-name API, TensorRT >= 8.5)."""

    def __init__(self, max_batch: int):
        self.max_batch = max_batch
        self.num_io_tensors = 2

    def get_tensor_name(self, i):
        return ["x", "y"][i]

    def get_tensor_mode(self, name):
        return Mode.INPUT if name == "x" else Mode.OUTPUT

    def get_tensor_shape(self, name):
        return (-1, 3)

    def get_tensor_profile_shape(self, name, profile):
        return (1, 3), (1, 3), (self.max_batch, 3)

    def get_tensor_dtype(self, name):
        return "float32"

    def create_execution_context(self):
        return NamedContext(self.max_batch)


class NamedContext:
    """NamedEngine's execution context: y = 2x over the host memory at the tensor addresses."""

    def __init__(self, max_batch):
        self.addr, self.batch, self.max_batch = {}, None, max_batch

    def set_input_shape(self, name, shape):
        self.batch = shape[0]
        return 1 <= shape[0] <= self.max_batch

    def set_tensor_address(self, name, ptr):
        self.addr[name] = ptr

    def get_tensor_shape(self, name):
        return (self.batch, 3)

    def execute_async_v3(self, stream):
        n = self.batch * 3
        _ptr_array(self.addr["y"], n)[:] = 2 * _ptr_array(self.addr["x"], n)
        return True


class BindingEngine:
    """The same model through the binding API of TensorRT 8 (no num_io_tensors)."""

    def __init__(self, max_batch: int):
        self.max_batch = max_batch
        self.num_bindings = 2

    def get_binding_name(self, i):
        return ["x", "y"][i]

    def binding_is_input(self, i):
        return i == 0

    def get_binding_shape(self, i):
        return (-1, 3)

    def get_profile_shape(self, profile, i):
        return (1, 3), (1, 3), (self.max_batch, 3)

    def get_binding_dtype(self, i):
        return "float32"

    def create_execution_context(self):
        return BindingContext(self.max_batch)


class BindingContext:
    """BindingEngine's execution context (binding API): y = 2x over the bindings' host memory."""

    def __init__(self, max_batch):
        self.batch, self.max_batch = None, max_batch

    def set_binding_shape(self, i, shape):
        self.batch = shape[0]
        return 1 <= shape[0] <= self.max_batch

    def get_binding_shape(self, i):
        return (self.batch, 3)

    def execute_async_v2(self, bindings, stream):
        n = self.batch * 3
        _ptr_array(bindings[1], n)[:] = 2 * _ptr_array(bindings[0], n)
        return True


def fake_tensorrt(flavour: str = "tensorrt10", version: str | None = None):
    """A TensorRT-like module. flavour: tensorrt10 | tensorrt8
    (binding API, EXPLICIT_BATCH needed) | rtx.

    rtx: no EXPLICIT_BATCH, no BuilderFlag.FP16 (strongly typed), version 1.x.
    The module records every build in `.builds` (flags, fp16, profile) for the tests.
    """
    rtx = flavour == "rtx"
    mod = types.ModuleType({"rtx": "tensorrt_rtx"}.get(flavour, "tensorrt"))
    mod.__version__ = (
        version or {"tensorrt10": "10.3.0", "tensorrt8": "8.5.2", "rtx": "1.7.1"}[flavour]
    )
    mod.builds = []
    mod.TensorIOMode = Mode
    mod.nptype = np.dtype
    mod.ILogger = type(
        "ILogger",
        (),
        {
            "Severity": enum.IntEnum("Severity", "INTERNAL_ERROR ERROR WARNING INFO VERBOSE"),
            "__init__": lambda self: None,
        },
    )
    mod.NetworkDefinitionCreationFlag = (
        types.SimpleNamespace(STRONGLY_TYPED=1) if rtx else types.SimpleNamespace(EXPLICIT_BATCH=0)
    )
    mod.BuilderFlag = (
        types.SimpleNamespace(TF32=7) if rtx else types.SimpleNamespace(FP16=0, TF32=7)
    )
    mod.MemoryPoolType = types.SimpleNamespace(WORKSPACE=0)

    class Network:
        def __init__(self, flags):
            self.flags = flags
            self.num_inputs = 1

        def get_input(self, i):
            return types.SimpleNamespace(name="x", shape=(-1, 3))

    class OnnxParser:
        def __init__(self, network, logger):
            self.num_errors = 0

        def parse(self, data):
            if data.startswith(b"BAD"):
                self.num_errors = 1
                return False
            return True

        def get_error(self, i):
            return "fake parser error: unsupported node"

    class Config:
        def __init__(self):
            self.flags, self.profiles, self.pool = [], [], None

        def set_memory_pool_limit(self, kind, n):
            self.pool = n

        def set_flag(self, flag):
            self.flags.append(flag)

        def add_optimization_profile(self, profile):
            self.profiles.append(profile)

    class Profile:
        def __init__(self):
            self.shapes = {}

        def set_shape(self, name, lo, opt, hi):
            self.shapes[name] = (lo, opt, hi)

    class Builder:
        platform_has_fast_fp16 = True

        def __init__(self, logger):
            self.logger = logger

        def create_network(self, flags):
            if not rtx and flavour == "tensorrt8" and flags != 1:
                raise RuntimeError("TensorRT 8 needs EXPLICIT_BATCH")
            return Network(flags)

        def create_builder_config(self):
            return Config()

        def create_optimization_profile(self):
            return Profile()

        def build_serialized_network(self, network, config):
            max_batch = config.profiles[0].shapes["x"][2][0] if config.profiles else 1
            record = {"flags": network.flags, "fp16": 0 in config.flags, "max_batch": max_batch}
            mod.builds.append(record)
            return b"ENGINE" + json.dumps(record).encode()

    class Runtime:
        def __init__(self, logger):
            self.logger = logger

        def deserialize_cuda_engine(self, blob):
            if not bytes(blob).startswith(b"ENGINE"):
                self.logger.log(mod.ILogger.Severity.ERROR, "fake: engine plan is not for this GPU")
                return None
            max_batch = json.loads(bytes(blob)[len(b"ENGINE") :] or b'{"max_batch": 4}')[
                "max_batch"
            ]
            return BindingEngine(max_batch) if flavour == "tensorrt8" else NamedEngine(max_batch)

    mod.Builder, mod.OnnxParser, mod.Runtime = Builder, OnnxParser, Runtime
    return mod


def install_tensorrt(monkeypatch, flavour: str = "tensorrt10", version: str | None = None):
    """Put a fake TensorRT flavour on sys.modules (full TensorRT as `tensorrt`, RTX as
    `tensorrt_rtx`)."""
    mod = fake_tensorrt(flavour, version)
    for name in ("tensorrt", "tensorrt_rtx", "tensorrt_rtx_bindings"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorrt_rtx" if flavour == "rtx" else "tensorrt", mod)
    return mod
