"""Wall-clock timing of repeated calls, shared by the benchmark scripts."""

from __future__ import annotations

import time


def time_calls(fn, reps: int, warmup: int = 3) -> list[float]:
    """Seconds of each of `reps` calls of fn(), after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out
