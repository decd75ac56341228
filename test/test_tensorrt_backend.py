"""TensorRT backend plumbing against an in-test stand-in for `tensorrt` and the CUDA runtime.

TensorRT cannot be installed on this project's machines, so these tests pin OUR logic only:
tensors bound by name, dynamic batch within the profile, copies in and out, clear errors.
The stand-ins implement the documented call signatures with host memory; they prove nothing
about TensorRT itself (docs/gpu.md says what was and was not run).
"""

import ctypes
import enum
import json
import sys
import types

import numpy as np
import pytest

from pose3d_ros.backends import create_backend
from pose3d_ros.core.errors import ModelError


def _fake_cudart():
    keep = {}

    def alloc(n):
        buf = ctypes.create_string_buffer(n)
        keep[ctypes.addressof(buf)] = buf
        return 0, ctypes.addressof(buf)

    def memcpy(dst, src, n, kind, stream):
        ctypes.memmove(int(dst), int(src), n)
        return (0,)

    rt = types.SimpleNamespace(
        cudaStreamCreate=lambda: (0, 7), cudaStreamDestroy=lambda s: (0,), cudaStreamSynchronize=lambda s: (0,),
        cudaMalloc=alloc, cudaMallocHost=alloc, cudaFree=lambda p: (0,), cudaFreeHost=lambda p: (0,),
        cudaMemcpyAsync=memcpy, cudaGetErrorString=lambda e: (0, b"fake error"),
        cudaMemcpyKind=types.SimpleNamespace(cudaMemcpyHostToDevice=1, cudaMemcpyDeviceToHost=2))
    return rt


class _Mode(enum.Enum):
    INPUT = 0
    OUTPUT = 1


class _Engine:
    """x (-1, 3) float32 -> y = 2x, profile batch 1..4."""

    num_io_tensors = 2

    def get_tensor_name(self, i):
        return ["x", "y"][i]

    def get_tensor_mode(self, name):
        return _Mode.INPUT if name == "x" else _Mode.OUTPUT

    def get_tensor_shape(self, name):
        return (-1, 3)

    def get_tensor_profile_shape(self, name, profile):
        return (1, 3), (1, 3), (4, 3)

    def get_tensor_dtype(self, name):
        return "float32"

    def create_execution_context(self):
        return _Context()


class _Context:
    def __init__(self):
        self.addr, self.batch = {}, None

    def set_input_shape(self, name, shape):
        self.batch = shape[0]
        return 1 <= shape[0] <= 4

    def set_tensor_address(self, name, ptr):
        self.addr[name] = ptr

    def get_tensor_shape(self, name):
        return (self.batch, 3)

    def execute_async_v3(self, stream):
        n = self.batch * 3
        x = np.ctypeslib.as_array((ctypes.c_float * n).from_address(self.addr["x"]))
        y = np.ctypeslib.as_array((ctypes.c_float * n).from_address(self.addr["y"]))
        y[:] = 2 * x
        return True


def _fake_trt():
    class ILogger:
        Severity = enum.Enum("Severity", "INTERNAL_ERROR ERROR WARNING INFO VERBOSE")

        def __init__(self):
            pass

    class Runtime:
        def __init__(self, logger):
            self.logger = logger

        def deserialize_cuda_engine(self, blob):
            return _Engine() if blob == b"ENGINE" else None

    return types.SimpleNamespace(__version__="10.0.0", ILogger=ILogger, Runtime=Runtime,
                                 TensorIOMode=_Mode, nptype=np.dtype)


@pytest.fixture
def fake_gpu(monkeypatch):
    cuda_pkg = types.ModuleType("cuda")
    bindings = types.ModuleType("cuda.bindings")
    bindings.runtime = _fake_cudart()
    cuda_pkg.bindings = bindings
    monkeypatch.setitem(sys.modules, "cuda", cuda_pkg)
    monkeypatch.setitem(sys.modules, "cuda.bindings", bindings)
    monkeypatch.setitem(sys.modules, "cuda.bindings.runtime", bindings.runtime)
    monkeypatch.setitem(sys.modules, "tensorrt", _fake_trt())


def _write_engine(tmp_path, blob=b"ENGINE", version="10.0.0"):
    (tmp_path / "m.engine").write_bytes(blob)
    (tmp_path / "m.json").write_text(json.dumps({"tensorrt_version": version}))
    return tmp_path / "m.onnx"


def test_runs_by_name_with_dynamic_batch(fake_gpu, tmp_path):
    with create_backend(_write_engine(tmp_path), "tensorrt") as be:
        assert be.input_shapes == {"x": (-1, 3)} and be.output_shapes == {"y": (-1, 3)}
        for batch in (1, 3):
            x = np.arange(batch * 3, dtype=np.float32).reshape(batch, 3)
            out = be.run({"x": x})
            np.testing.assert_array_equal(out["y"], 2 * x)


def test_batch_outside_profile_is_a_model_error(fake_gpu, tmp_path):
    with create_backend(_write_engine(tmp_path), "tensorrt") as be:
        with pytest.raises(ModelError, match="outside the engine's profile"):
            be.run({"x": np.zeros((5, 3), np.float32)})
        with pytest.raises(ModelError, match="missing input"):
            be.run({})


def test_corrupt_or_stale_engine_fails_in_constructor(fake_gpu, tmp_path):
    with pytest.raises(ModelError, match="cannot deserialise"):
        create_backend(_write_engine(tmp_path, blob=b"garbage"), "tensorrt")
    with pytest.raises(ModelError, match="built with TensorRT 8.6"):
        create_backend(_write_engine(tmp_path, version="8.6.1"), "tensorrt")
    with pytest.raises(ModelError, match="not found"):
        create_backend(tmp_path / "absent.onnx", "tensorrt")


def test_without_tensorrt_the_error_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    with pytest.raises(ModelError, match="onnxruntime"):
        create_backend(_write_engine(tmp_path), "tensorrt")
