"""ONNX Runtime on an NVIDIA GPU: the CUDA execution provider behind the same
InferenceBackend interface.

Needs the onnxruntime-gpu wheel (it replaces the CPU-only onnxruntime wheel) and CUDA + cuDNN
libraries; `onnxruntime.preload_dlls()` (onnxruntime >= 1.21) loads those from NVIDIA's pip
packages (nvidia-cublas, nvidia-cudnn-cu13, ...) when they are installed. If the CUDA provider is
not available, or the session falls back to the CPU, the constructor raises one ModelError: a
GPU backend never runs on the CPU without saying so.

io_binding=True feeds inputs and fetches outputs through an IOBinding (outputs allocated by
ONNX Runtime on the GPU, copied back once per run) instead of session.run(); which one is faster
for these small models is measured by dev/gpu_check.py (docs/gpu.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from pose3d_ros.backends.onnxruntime_backend import CPU_PROVIDER, OnnxRuntimeBackend
from pose3d_ros.errors import ModelError

CUDA_PROVIDER = "CUDAExecutionProvider"
_LOG = logging.getLogger("pose3d_ros.onnxruntime_cuda")


def cuda_provider_available() -> tuple[bool, str]:
    """(available, why not): whether this onnxruntime has the CUDA provider,
    after preloading CUDA libraries."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return False, f"onnxruntime does not import: {exc}"
    if CUDA_PROVIDER not in ort.get_available_providers():
        return False, (
            f"onnxruntime {ort.__version__} has no {CUDA_PROVIDER} (providers: "
            f"{ort.get_available_providers()}); install onnxruntime-gpu instead of onnxruntime"
        )
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        try:
            preload()
        except Exception as exc:  # noqa: BLE001 - missing pip CUDA packages: the system's libraries may still do
            _LOG.warning(
                "onnxruntime.preload_dlls() failed (%s); relying on the system's CUDA libraries",
                exc,
            )
    return True, ""


class OnnxRuntimeCudaBackend(OnnxRuntimeBackend):
    """One ONNX Runtime session on GPU `device_id` through the CUDA execution provider.

    tf32: allow TF32 matrix maths (faster on Ampere and later, ~1e-3 relative error); off by
    default so results stay within the accuracy budget against the CPU backend.
    conv_algo_search: cuDNN convolution algorithm search, HEURISTIC (no start-up benchmarking per
    new batch size) | EXHAUSTIVE | DEFAULT.
    """

    def __init__(
        self,
        model_path: str | Path,
        threads: int = 1,
        device_id: int = 0,
        io_binding: bool = False,
        tf32: bool = False,
        conv_algo_search: str = "HEURISTIC",
    ):
        ok, why = cuda_provider_available()
        if not ok:
            raise ModelError(
                f"backend 'onnxruntime_cuda' is not available: {why}; or use backend 'onnxruntime'"
            )
        options = {
            "device_id": str(int(device_id)),
            "use_tf32": "1" if tf32 else "0",
            "cudnn_conv_algo_search": conv_algo_search,
        }
        super().__init__(model_path, threads, providers=[(CUDA_PROVIDER, options), CPU_PROVIDER])
        if not self.providers or self.providers[0] != CUDA_PROVIDER:
            got = self.providers
            self.close()
            raise ModelError(
                f"onnxruntime could not start {CUDA_PROVIDER} for {model_path} (session providers: "
                f"{got}); check the CUDA/cuDNN libraries (onnxruntime.preload_dlls) and the driver"
            )
        self._device_id = int(device_id)
        self.io_binding = bool(io_binding)  # may be switched between runs

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not self.io_binding:
            return super().run(feeds)
        if self._session is None:
            raise ModelError("backend is closed")
        self.check_feeds(feeds)
        try:
            binding = self._session.io_binding()
            for name, array in feeds.items():
                binding.bind_cpu_input(name, np.ascontiguousarray(array, np.float32))
            for name in self._output_names:
                binding.bind_output(name, "cuda", self._device_id)
            self._session.run_with_iobinding(binding)
            outs = binding.copy_outputs_to_cpu()
        except Exception as exc:
            raise ModelError(f"onnxruntime CUDA inference failed: {exc}") from exc
        return dict(zip(self._output_names, outs))
