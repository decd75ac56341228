"""Owning CUDA buffers and a stream on top of NVIDIA's cuda-python runtime bindings.

Only the TensorRT backend uses this module; it is imported lazily so CPU-only installs never
need cuda-python. Every CUDA status goes through `check`, which raises ModelError.
"""

from __future__ import annotations

import ctypes

import numpy as np

from pose3d_ros.core.errors import ModelError


def _import_cudart():
    try:
        from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
    except ImportError:
        try:
            from cuda import cudart  # older cuda-python
        except ImportError as exc:
            raise ModelError("the tensorrt backend needs cuda-python (`pip install cuda-python`)") from exc
    return cudart


class Cuda:
    """The runtime API handle plus one stream; pass it to buffers so nothing is global."""

    def __init__(self) -> None:
        self.rt = _import_cudart()
        self.stream = self.check(self.rt.cudaStreamCreate(), "cudaStreamCreate")

    def check(self, result, what: str):
        """Unpack a cuda-python (err, *values) tuple, raising ModelError on any error."""
        err, *values = result if isinstance(result, tuple) else (result,)
        if int(err) != 0:
            _, msg = self.rt.cudaGetErrorString(err)
            raise ModelError(f"{what} failed: {msg.decode() if isinstance(msg, bytes) else msg}")
        return values[0] if len(values) == 1 else (values or None)

    def synchronize(self) -> None:
        self.check(self.rt.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")

    def close(self) -> None:
        if self.stream is not None:
            self.check(self.rt.cudaStreamDestroy(self.stream), "cudaStreamDestroy")
            self.stream = None


class HostDeviceBuffer:
    """A pinned host array and a device allocation of the same byte size, sized for the largest batch."""

    def __init__(self, cuda: Cuda, max_shape: tuple[int, ...], dtype: np.dtype):
        self._cuda = cuda
        self.dtype = np.dtype(dtype)
        self.max_shape = tuple(int(d) for d in max_shape)
        self.nbytes = int(np.prod(self.max_shape)) * self.dtype.itemsize
        self._host_ptr = cuda.check(cuda.rt.cudaMallocHost(self.nbytes), "cudaMallocHost")
        self.device_ptr = cuda.check(cuda.rt.cudaMalloc(self.nbytes), "cudaMalloc")
        raw = (ctypes.c_byte * self.nbytes).from_address(int(self._host_ptr))
        self._host = np.frombuffer(raw, dtype=self.dtype)

    def host_view(self, shape: tuple[int, ...]) -> np.ndarray:
        """Pinned host memory viewed as `shape` (must fit in the allocation)."""
        n = int(np.prod(shape))
        if n * self.dtype.itemsize > self.nbytes:
            raise ModelError(f"shape {shape} exceeds buffer of max shape {self.max_shape}")
        return self._host[:n].reshape(shape)

    def to_device(self, array: np.ndarray) -> None:
        view = self.host_view(array.shape)
        np.copyto(view, array, casting="same_kind")
        kind = self._cuda.rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._cuda.check(self._cuda.rt.cudaMemcpyAsync(self.device_ptr, self._host_ptr, view.nbytes, kind,
                                                       self._cuda.stream), "cudaMemcpyAsync H2D")

    def from_device(self, shape: tuple[int, ...]) -> np.ndarray:
        """Queue a D2H copy of `shape`; the returned view is valid after Cuda.synchronize()."""
        view = self.host_view(shape)
        kind = self._cuda.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._cuda.check(self._cuda.rt.cudaMemcpyAsync(self._host_ptr, self.device_ptr, view.nbytes, kind,
                                                       self._cuda.stream), "cudaMemcpyAsync D2H")
        return view

    def free(self) -> None:
        if self.device_ptr is not None:
            self._cuda.check(self._cuda.rt.cudaFree(self.device_ptr), "cudaFree")
            self._cuda.check(self._cuda.rt.cudaFreeHost(self._host_ptr), "cudaFreeHost")
            self.device_ptr = None
