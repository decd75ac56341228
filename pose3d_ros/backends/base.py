"""The backend interface: named float32 tensors in, named tensors out."""

from __future__ import annotations

import abc

import numpy as np

from pose3d_ros.errors import ModelError


class InferenceBackend(abc.ABC):
    """One loaded model. Allocates in the constructor, frees in close(); run() is the hot path.

    Input/output shapes may have a dynamic leading batch dimension (reported as -1).
    `concurrent_runs`: run() may be called from two threads at once (ONNX Runtime sessions);
    False (the default) makes callers that share the backend between threads take turns.
    """

    concurrent_runs: bool = False

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

    @property
    def max_batch(self) -> int | None:
        """Largest batch one run() takes (None: any), from the first input's leading dimension."""
        shape = next(iter(self.input_shapes.values()), ())
        return int(shape[0]) if shape and shape[0] is not None and shape[0] > 0 else None

    def run_batched(self, input_name: str, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Run a model with one input on a (N, ...) batch of any size, in chunks of max_batch; the
        outputs are concatenated along the batch dimension."""
        step = self.max_batch or max(batch.shape[0], 1)
        parts = [
            self.run({input_name: batch[i : i + step]}) for i in range(0, batch.shape[0], step)
        ]
        return (
            {name: np.concatenate([p[name] for p in parts]) for name in parts[0]} if parts else {}
        )

    def check_feeds(self, feeds: dict[str, np.ndarray]) -> None:
        """Raise ModelError unless every input tensor is fed."""
        missing = set(self.input_shapes) - set(feeds)
        if missing:
            raise ModelError(f"missing input tensors: {sorted(missing)}")

    def __enter__(self) -> "InferenceBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def single_io(backend: InferenceBackend, model: str) -> tuple[tuple[str, tuple], tuple[str, tuple]]:
    """((input name, shape), (output name, shape)) of a model that has exactly one input and one
    output; a ModelError naming `model` otherwise."""
    if len(backend.input_shapes) != 1 or len(backend.output_shapes) != 1:
        raise ModelError(f"{model} must have one input and one output")
    return next(iter(backend.input_shapes.items())), next(iter(backend.output_shapes.items()))
