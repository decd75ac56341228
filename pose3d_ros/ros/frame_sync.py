"""Small thread-safe helpers between the subscription callbacks and the worker (no ROS imports).

- LatestSlot: holds only the newest frame; overwriting an unprocessed one counts a drop.
- StampCache: recent items keyed by stamp (camera_info, depth), looked up exact-or-nearest.
"""

from __future__ import annotations

import threading
from collections import deque


class LatestSlot:
    """One-item mailbox: put() never blocks and replaces what was there; take() waits."""

    def __init__(self):
        self._cond = threading.Condition()
        self._item = None
        self._closed = False
        self.received = 0
        self.dropped = 0

    def put(self, item) -> None:
        with self._cond:
            self.received += 1
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify()

    def take(self, timeout_s: float):
        """The newest item (and empties the slot), or None after timeout_s / once closed."""
        with self._cond:
            if self._item is None and not self._closed:
                self._cond.wait(timeout_s)
            item, self._item = self._item, None
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def reopen(self) -> None:
        """Accept frames again after close() (a managed node activated again); a frame left
        from before is discarded, uncounted."""
        with self._cond:
            self._closed = False
            self._item = None

    @property
    def closed(self) -> bool:
        return self._closed


class StampCache:
    """The last `size` (stamp_ns, value) pairs; nearest() finds the closest stamp within a
    tolerance."""

    def __init__(self, size: int = 30):
        self._items: deque = deque(maxlen=size)
        self._cond = threading.Condition()

    def add(self, stamp_ns: int, value) -> None:
        with self._cond:
            self._items.append((stamp_ns, value))
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._items)

    def nearest(self, stamp_ns: int, tolerance_ns: int, wait_s: float = 0.0):
        """(found, value): the exact stamp if it arrives within wait_s, else the nearest within
        tolerance."""
        with self._cond:
            self._cond.wait_for(lambda: any(s == stamp_ns for s, _ in self._items), timeout=wait_s)
            if not self._items:
                return False, None
            s, v = min(self._items, key=lambda sv: abs(sv[0] - stamp_ns))
            return (True, v) if abs(s - stamp_ns) <= tolerance_ns else (False, None)


class StampGaps:
    """Counts frames missing from an input stream by its stamps (transport losses show up here).

    The nominal period is the median of the last `window` stamp steps; a step of k periods
    (k >= 1.5) means round(k) - 1 frames never arrived. A stamp going backwards restarts the
    estimate.
    """

    def __init__(self, window: int = 30):
        self._steps: deque = deque(maxlen=window)
        self._last_ns: int | None = None
        self._lock = threading.Lock()
        self.missing = 0

    def observe(self, stamp_ns: int) -> int:
        """Record a frame's stamp; returns the frames found missing before it."""
        with self._lock:
            last, self._last_ns = self._last_ns, stamp_ns
            if last is None or stamp_ns <= last:
                if last is not None and stamp_ns < last:
                    self._steps.clear()
                return 0
            step = stamp_ns - last
            missing = 0
            if len(self._steps) >= 5:
                period = sorted(self._steps)[len(self._steps) // 2]
                k = step / period
                if k >= 1.5:
                    missing = int(round(k)) - 1
            if missing == 0:
                self._steps.append(step)
            self.missing += missing
            return missing
