"""CUDA memory for the TensorRT backend: one stream, pinned host buffers,
async copies on that stream.

Works with whichever CUDA binding imports: NVIDIA's cuda-python (`cuda.bindings.runtime`, or the
older `cuda.cudart`) or pycuda (`pycuda.driver`, on the device's primary context, which is the
one TensorRT's runtime uses). Both sit behind the same two small classes, `Cuda` (the binding +
one stream) and `HostDeviceBuffer` (a pinned host array + a device allocation of equal bytes).
Imported lazily, so CPU-only installs never need either binding. Every CUDA failure raises
ModelError naming the call.
"""

from __future__ import annotations

import ctypes

import numpy as np

from pose3d_ros.errors import ModelError

BINDINGS = ("cuda-python", "pycuda")


class _CudaPython:
    """cuda-python runtime API: every call returns (err, *values)."""

    name = "cuda-python"

    def __init__(self) -> None:
        try:
            from cuda.bindings import runtime as rt  # cuda-python >= 12.6
        except ImportError:
            from cuda import cudart as rt  # older cuda-python; ImportError propagates
        self.rt = rt
        self.stream = self._check(rt.cudaStreamCreate(), "cudaStreamCreate")

    def _check(self, result, what: str):
        err, *values = result if isinstance(result, tuple) else (result,)
        if int(err) != 0:
            _, msg = self.rt.cudaGetErrorString(err)
            raise ModelError(f"{what} failed: {msg.decode() if isinstance(msg, bytes) else msg}")
        return values[0] if len(values) == 1 else (values or None)

    def stream_handle(self) -> int:
        return int(self.stream)

    def synchronize(self) -> None:
        self._check(self.rt.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")

    def close(self) -> None:
        self._check(self.rt.cudaStreamDestroy(self.stream), "cudaStreamDestroy")

    def alloc_pinned(self, nbytes: int) -> tuple[object, np.ndarray]:
        ptr = self._check(self.rt.cudaMallocHost(nbytes), "cudaMallocHost")
        raw = (ctypes.c_byte * nbytes).from_address(int(ptr))
        return ptr, np.frombuffer(raw, dtype=np.uint8)

    def free_pinned(self, handle) -> None:
        self._check(self.rt.cudaFreeHost(handle), "cudaFreeHost")

    def alloc_device(self, nbytes: int) -> tuple[object, int]:
        ptr = self._check(self.rt.cudaMalloc(nbytes), "cudaMalloc")
        return ptr, int(ptr)

    def free_device(self, handle) -> None:
        self._check(self.rt.cudaFree(handle), "cudaFree")

    def copy_htod(self, device_ptr: int, host: np.ndarray) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._check(
            self.rt.cudaMemcpyAsync(device_ptr, host.ctypes.data, host.nbytes, kind, self.stream),
            "cudaMemcpyAsync H2D",
        )

    def copy_dtoh(self, host: np.ndarray, device_ptr: int) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._check(
            self.rt.cudaMemcpyAsync(host.ctypes.data, device_ptr, host.nbytes, kind, self.stream),
            "cudaMemcpyAsync D2H",
        )

    def device_identity(self) -> tuple[str, str]:
        dev = self._check(self.rt.cudaGetDevice(), "cudaGetDevice")
        props = self._check(self.rt.cudaGetDeviceProperties(dev), "cudaGetDeviceProperties")
        name = (
            props.name.decode(errors="replace")
            if isinstance(props.name, bytes)
            else str(props.name)
        )
        return name.rstrip("\x00").strip(), f"{props.major}.{props.minor}"


class _PyCuda:
    """pycuda driver API on the primary context (shared with TensorRT and the CUDA runtime)."""

    name = "pycuda"

    def __init__(self) -> None:
        import pycuda.driver as drv  # ImportError propagates

        self.drv = drv
        try:
            drv.init()
            self._device = drv.Device(0)
            self._context = self._device.retain_primary_context()
            self._context.push()
            self.stream = drv.Stream()
        except drv.Error as exc:
            raise ModelError(f"pycuda could not open GPU 0: {exc}") from exc

    def _call(self, what: str, fn, *args):
        try:
            return fn(*args)
        except self.drv.Error as exc:
            raise ModelError(f"{what} failed: {exc}") from exc

    def stream_handle(self) -> int:
        return int(self.stream.handle)

    def synchronize(self) -> None:
        self._call("stream synchronize", self.stream.synchronize)

    def close(self) -> None:
        self.stream = None
        self._call("context pop", self._context.pop)

    def alloc_pinned(self, nbytes: int) -> tuple[object, np.ndarray]:
        host = self._call("pagelocked_empty", self.drv.pagelocked_empty, (nbytes,), np.uint8)
        return host, host

    def free_pinned(self, handle) -> None:
        base = getattr(handle, "base", None)
        if base is not None and hasattr(base, "free"):
            self._call("free pinned", base.free)

    def alloc_device(self, nbytes: int) -> tuple[object, int]:
        alloc = self._call("mem_alloc", self.drv.mem_alloc, nbytes)
        return alloc, int(alloc)

    def free_device(self, handle) -> None:
        self._call("free device", handle.free)

    def copy_htod(self, device_ptr: int, host: np.ndarray) -> None:
        self._call("memcpy_htod_async", self.drv.memcpy_htod_async, device_ptr, host, self.stream)

    def copy_dtoh(self, host: np.ndarray, device_ptr: int) -> None:
        self._call("memcpy_dtoh_async", self.drv.memcpy_dtoh_async, host, device_ptr, self.stream)

    def device_identity(self) -> tuple[str, str]:
        major, minor = self._device.compute_capability()
        return self._device.name().strip(), f"{major}.{minor}"


_IMPLS = {"cuda-python": _CudaPython, "pycuda": _PyCuda}


class Cuda:
    """One CUDA binding (cuda-python or pycuda, first that imports unless `binding` names one)
    + one stream.

    Pass it to every HostDeviceBuffer so nothing is global; close() destroys the stream.
    """

    def __init__(self, binding: str | None = None) -> None:
        order = [binding] if binding else list(BINDINGS)
        unknown = [b for b in order if b not in _IMPLS]
        if unknown:
            raise ModelError(f"unknown CUDA binding {unknown[0]!r}; expected one of {BINDINGS}")
        failures = []
        self._api = None
        for name in order:
            try:
                self._api = _IMPLS[name]()
                break
            except ImportError as exc:
                failures.append(f"{name}: {exc}")
        if self._api is None:
            raise ModelError(
                "GPU buffers need cuda-python (`pip install cuda-python`) or pycuda "
                f"(`pip install pycuda`); neither imports ({'; '.join(failures)})"
            )

    @property
    def binding(self) -> str:
        """'cuda-python' or 'pycuda'."""
        return self._api.name

    @property
    def stream_handle(self) -> int:
        """The raw cudaStream_t as an int (what TensorRT's execute_async_* take)."""
        if self._api is None:
            raise ModelError("CUDA stream is closed")
        return self._api.stream_handle()

    def device_identity(self) -> tuple[str, str]:
        """(GPU name, compute capability 'major.minor') of the current device."""
        return self._api.device_identity()

    def synchronize(self) -> None:
        self._api.synchronize()

    def close(self) -> None:
        if self._api is not None:
            api, self._api = self._api, None
            api.close()


class HostDeviceBuffer:
    """A pinned host array and a device allocation of the same byte size,
    sized for the largest shape."""

    def __init__(self, cuda: Cuda, max_shape: tuple[int, ...], dtype: np.dtype):
        self._api = cuda._api
        self.dtype = np.dtype(dtype)
        self.max_shape = tuple(int(d) for d in max_shape)
        if any(d < 0 for d in self.max_shape):
            raise ModelError(
                f"buffer shape {self.max_shape} has a dynamic dimension; give its maximum"
            )
        self.nbytes = max(1, int(np.prod(self.max_shape)) * self.dtype.itemsize)
        self._host_handle, raw = self._api.alloc_pinned(self.nbytes)
        self._host = raw.view(self.dtype) if self.nbytes % self.dtype.itemsize == 0 else raw
        try:
            self._device_handle, self.device_ptr = self._api.alloc_device(self.nbytes)
        except ModelError:
            self._api.free_pinned(self._host_handle)
            raise

    def host_view(self, shape: tuple[int, ...]) -> np.ndarray:
        """Pinned host memory viewed as `shape` (must fit in the allocation)."""
        n = int(np.prod(shape))
        if n * self.dtype.itemsize > self.nbytes:
            raise ModelError(f"shape {tuple(shape)} exceeds buffer of max shape {self.max_shape}")
        return self._host[:n].reshape(shape)

    def to_device(self, array: np.ndarray) -> None:
        """Copy `array` into pinned memory, then queue the H2D copy of just those bytes
        on the stream."""
        view = self.host_view(array.shape)
        np.copyto(view, array, casting="same_kind")
        self._api.copy_htod(self.device_ptr, view)

    def from_device(self, shape: tuple[int, ...]) -> np.ndarray:
        """Queue a D2H copy of `shape`; the returned pinned view is valid after
        Cuda.synchronize()."""
        view = self.host_view(shape)
        self._api.copy_dtoh(view, self.device_ptr)
        return view

    def free(self) -> None:
        """Release both allocations; idempotent."""
        if self.device_ptr is not None:
            self._api.free_device(self._device_handle)
            self._api.free_pinned(self._host_handle)
            self.device_ptr = None
