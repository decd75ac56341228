"""ONNX Runtime backend on the CPU (the reference every other backend is compared with).

The GPU variant (CUDA execution provider) is onnxruntime_cuda_backend.py; this class only runs
the providers it is given, CPUExecutionProvider by default, so installing onnxruntime-gpu never
silently moves the `onnxruntime` backend onto a GPU.

Session options (docs/benchmarks.md "cpu_speed"): graph optimisation stays at ONNX Runtime's
default ORT_ENABLE_ALL (its NCHWc layout; an ad-hoc check, not a repo command, had the landmark
model about 2.6x slower at ORT_ENABLE_EXTENDED). With more than one intra-op thread the pool's
threads do not spin while idle (`session.intra_op.allow_spinning` 0): the 2D stage runs two
sessions (landmark model on the frame's thread, detector on the newcomer-scan worker) and spinning
pools starve each other and the rest of the machine: on the 2-core VM (load 4) with threads=2 the
one-person clip ran at 51-61 fps not spinning vs 17-25 fps spinning, at 16-18 vs 40-42 CPU ms per
frame (`dev.bench2d --spin-rounds`). With 1 thread (the default) ONNX Runtime runs on the
caller's thread and has no pool to spin.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.errors import ConfigError, ModelError

CPU_PROVIDER = "CPUExecutionProvider"
SPIN_CONFIG_KEY = "session.intra_op.allow_spinning"


def _shape(dims) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else -1 for d in dims)


def _provider_name(provider) -> str:
    return provider[0] if isinstance(provider, tuple) else provider


class OnnxRuntimeBackend(InferenceBackend):
    """Wraps one onnxruntime.InferenceSession.

    providers: ONNX Runtime providers in priority order (names, or (name, options) tuples);
    those this onnxruntime build lacks are skipped. Default: the CPU provider alone.
    allow_spinning: let idle intra-op pool threads spin (module docstring: off by default).
    InferenceSession.run is thread-safe, so two threads may run one session (concurrent_runs).
    """

    concurrent_runs = True

    def __init__(
        self,
        model_path: str | Path,
        threads: int = 1,
        providers: list | None = None,
        allow_spinning: bool = False,
    ):
        import onnxruntime as ort

        self._session = None
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(
                f"model file not found: {path} (run `pose3d_models` to generate engines/)"
            )
        if threads < 0:
            raise ConfigError(f"threads must be >= 0, got {threads}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        opts.add_session_config_entry(SPIN_CONFIG_KEY, "1" if allow_spinning else "0")
        self.session_config = {SPIN_CONFIG_KEY: opts.get_session_config_entry(SPIN_CONFIG_KEY)}
        avail = ort.get_available_providers()
        chosen = [p for p in (providers or [CPU_PROVIDER]) if _provider_name(p) in avail]
        try:
            self._session = ort.InferenceSession(str(path), sess_options=opts, providers=chosen)
        except Exception as exc:  # onnxruntime raises several private types
            raise ModelError(f"cannot load ONNX model {path}: {exc}") from exc
        self._inputs = {i.name: _shape(i.shape) for i in self._session.get_inputs()}
        self._outputs = {o.name: _shape(o.shape) for o in self._session.get_outputs()}
        self._output_names = list(self._outputs)

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        return dict(self._inputs)

    @property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        return dict(self._outputs)

    @property
    def providers(self) -> list[str]:
        """The providers the session really uses, in priority order."""
        return list(self._session.get_providers()) if self._session else []

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self._session is None:
            raise ModelError("backend is closed")
        self.check_feeds(feeds)
        try:
            outs = self._session.run(
                self._output_names,
                {k: np.ascontiguousarray(v, np.float32) for k, v in feeds.items()},
            )
        except Exception as exc:
            raise ModelError(f"onnxruntime inference failed: {exc}") from exc
        return dict(zip(self._output_names, outs))

    def close(self) -> None:
        self._session = None
