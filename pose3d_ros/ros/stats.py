"""Running statistics for diagnostics: processing rate and per-stage latency (no ROS imports)."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np


class RunStats:
    """Keeps the last `window` frames' stage timings and completion times."""

    def __init__(self, window: int = 100):
        self._lock = threading.Lock()
        self._done_s: deque = deque(maxlen=window)
        self._stages: dict[str, deque] = {}
        self._window = window
        self.processed = 0
        self.bad_input = 0
        self.model_errors = 0
        self.people = 0

    def frame_done(self, timings_s: dict[str, float], people: int) -> None:
        with self._lock:
            self._done_s.append(time.monotonic())
            for k, v in timings_s.items():
                self._stages.setdefault(k, deque(maxlen=self._window)).append(v)
            self.processed += 1
            self.people = people

    def fps(self) -> float:
        """Frames per second over the window (0 with fewer than two frames or none in 2 s)."""
        with self._lock:
            t = list(self._done_s)
        if len(t) < 2 or time.monotonic() - t[-1] > 2.0:
            return 0.0
        return (len(t) - 1) / max(t[-1] - t[0], 1e-9)

    def latency_ms(self) -> dict[str, tuple[float, float]]:
        """stage -> (p50, p95) milliseconds over the window."""
        with self._lock:
            stages = {k: np.array(v) for k, v in self._stages.items() if v}
        return {k: (1e3 * float(np.percentile(v, 50)), 1e3 * float(np.percentile(v, 95))) for k, v in stages.items()}
