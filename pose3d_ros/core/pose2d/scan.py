"""The newcomer scan off the frame's path: the person finder on a worker thread.

With tracking, the tracked people's crops need no detector; the periodic scan for newcomers (whole
frame plus zoomed tiles, ~20-110 ms on a CPU) would make every N-th frame several times slower
than the others. NewcomerScan runs it on one worker thread instead: a frame starts a scan of a copy
of itself and goes on; a later frame takes what the scan found (people found in frame t join on
the first frame processed after the scan ends, re-measured there by the landmark model).

`asynchronous=False` runs the scan inline (start() returns after it, the next take() gets it):
deterministic, for tests, static images and tracking off.

The worker runs at a lower CPU priority (SCAN_NICENESS, Linux): on a machine with a free core it
runs beside the frames; on a busy one the frames go first.

Thread safety: only the finder runs on the worker, and the estimator uses a worker only over a
finder whose model may run on two threads at once (InferenceBackend.concurrent_runs: ONNX Runtime
sessions may; TensorRT, whose pycuda binding keeps the CUDA context per thread, scans inline).
PersonFinder also serialises its backend runs unless the backend takes concurrent runs.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from typing import Callable

import numpy as np

from pose3d_ros.core.pose2d.finder import Detection
from pose3d_ros.core.types import Roi

FindFn = Callable[[np.ndarray, list[Roi]], list[Detection]]
SCAN_NICENESS = 10  # the worker's nice above the frame thread's (Linux: nice is per thread)


def _lower_priority() -> None:
    """Worker initializer: on Linux, nice this thread (ONNX Runtime with 1 intra-op thread runs on
    the caller's thread), so on a busy CPU the tracked frames go first; elsewhere nothing."""
    try:
        tid = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, nice + SCAN_NICENESS))
    except (AttributeError, OSError):
        pass


class NewcomerScan:
    """At most one scan in flight; its result is taken once.

    find: PersonFinder.find (frame (H, W, 3) uint8, detector regions) -> detections in image px.
    Methods are called from one thread (the estimator's); the worker only calls `find`.
    """

    def __init__(self, find: FindFn, asynchronous: bool):
        self._find = find
        self._asynchronous = asynchronous
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._running: concurrent.futures.Future | None = None
        self._done: list[Detection] | None = None
        self.scans = 0  # scans started

    @property
    def busy(self) -> bool:
        """A scan is running (its result not yet taken)."""
        return self._running is not None and not self._running.done()

    def start(self, frame_rgb: np.ndarray, regions: list[Roi]) -> bool:
        """Begin a scan of a copy of frame_rgb over `regions`; False (nothing started) while one
        is still running or its result waits to be taken."""
        if self._running is not None or self._done is not None:
            return False
        self.scans += 1
        if not self._asynchronous:
            self._done = self._find(frame_rgb, list(regions))
            return True
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="pose2d-scan", initializer=_lower_priority
            )
        self._running = self._executor.submit(self._find, frame_rgb.copy(), list(regions))
        return True

    def take(self) -> list[Detection] | None:
        """The detections of the scan that finished since the last take(), else None. A scan that
        failed raises its error here (ModelError from the backend)."""
        if self._running is not None and self._running.done():
            running, self._running = self._running, None
            self._done = running.result()
        done, self._done = self._done, None
        return done

    def cancel(self) -> None:
        """Forget the running scan's result (a scene cut or reset: it saw another picture)."""
        if self._running is not None:
            self._running.cancel()  # a scan already running finishes unseen
        self._running = None
        self._done = None

    def close(self) -> None:
        """Stop the worker, waiting for a running scan (then the backends may close)."""
        self.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
