"""Running statistics for diagnostics: rate, per-stage latency, outcomes (no ROS imports)."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np


class RunStats:
    """Keeps the last `window` frames' stage timings, completion times and outcomes."""

    def __init__(self, window: int = 100):
        self._lock = threading.Lock()
        self._done_s: deque = deque(maxlen=window)
        self._stages: dict[str, deque] = {}
        self._outcomes: deque = deque(maxlen=window)  # True = processed, False = dropped
        self._window = window
        self.processed = 0
        self.failed = 0
        self.people = 0

    def frame_done(self, timings_s: dict[str, float], people: int) -> None:
        with self._lock:
            self._done_s.append(time.monotonic())
            for k, v in timings_s.items():
                self._stages.setdefault(k, deque(maxlen=self._window)).append(v)
            self._outcomes.append(True)
            self.processed += 1
            self.people = people

    def frame_failed(self) -> None:
        """A frame taken by the worker but dropped (its reason is counted in ros/drops.py)."""
        with self._lock:
            self._outcomes.append(False)
            self.failed += 1

    def failure_ratio(self) -> float:
        """Share of the last `window` frames taken by the worker that were dropped (0 with none)."""
        with self._lock:
            n = len(self._outcomes)
            return 0.0 if n == 0 else self._outcomes.count(False) / n

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
        return {
            k: (1e3 * float(np.percentile(v, 50)), 1e3 * float(np.percentile(v, 95)))
            for k, v in stages.items()
        }
