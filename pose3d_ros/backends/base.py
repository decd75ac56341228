"""The backend interface: named float32 tensors in, named tensors out."""

from __future__ import annotations

import abc
from pathlib import Path

import numpy as np

from pose3d_ros.core.errors import ConfigError, ModelError

BACKEND_KINDS = ("onnxruntime", "tensorrt")


class InferenceBackend(abc.ABC):
    """One loaded model. Allocates in the constructor, frees in close(); run() is the hot path.

    Input/output shapes may have a dynamic leading batch dimension (reported as -1).
    """

    @property
    @abc.abstractmethod
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Input tensor name -> shape (-1 for dynamic dims)."""

    @property
    @abc.abstractmethod
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        """Output tensor name -> shape (-1 for dynamic dims)."""

    @abc.abstractmethod
    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run once. Raises ModelError on failure (the caller drops the frame)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release runtime resources; idempotent."""

    def check_feeds(self, feeds: dict[str, np.ndarray]) -> None:
        """Raise ModelError unless every input tensor is fed."""
        missing = set(self.input_shapes) - set(feeds)
        if missing:
            raise ModelError(f"missing input tensors: {sorted(missing)}")

    def __enter__(self) -> "InferenceBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def create_backend(model_path: str | Path, kind: str = "onnxruntime", threads: int = 1) -> InferenceBackend:
    """Load a model with the backend `kind` (onnxruntime | tensorrt).

    `model_path` names the ONNX file; the tensorrt backend loads the engine built from it
    beside it (same stem, `.engine`, made by `pose3d_engines`).
    """
    if kind == "onnxruntime":
        from pose3d_ros.backends.onnxruntime_backend import OnnxRuntimeBackend

        return OnnxRuntimeBackend(model_path, threads=threads)
    if kind == "tensorrt":
        from pose3d_ros.backends.tensorrt_backend import TensorRTBackend

        return TensorRTBackend(Path(model_path).with_suffix(".engine"))
    raise ConfigError(f"unknown backend {kind!r}; expected one of {BACKEND_KINDS}")
