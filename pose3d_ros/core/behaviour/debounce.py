"""Hysteresis in time: a label is reported once it is the clear majority of the recent frames.

Labels with a negative value (UNDEFINED: the skeleton is not trusted) abstain: they never outvote
a label, and only when no frame of the last hold_s seconds had a trusted label is the abstaining
label reported. One odd frame, or a short run of untrusted ones, therefore never changes the
output, while a real change shows after about min_share * hold_s.
"""

from __future__ import annotations

from collections import Counter, deque
from enum import IntEnum


class Debounce:
    """The first label is taken at once; then the label reported is replaced by another when that
    one makes at least min_share of the trusted labels seen over the last hold_s seconds."""

    def __init__(self, hold_s: float, min_share: float = 0.6):
        self._hold_s = float(hold_s)
        self._min_share = float(min_share)
        self._current: IntEnum | None = None
        self._recent: deque[tuple[float, IntEnum]] = deque()  # (stamp s, trusted label)
        self._last_trusted_s: float | None = None

    def update(self, label: IntEnum, stamp_s: float) -> IntEnum:
        """This frame's raw label at stamp_s (seconds, any epoch) -> the reported label."""
        if label >= 0:
            self._recent.append((stamp_s, label))
            self._last_trusted_s = stamp_s
        while self._recent and self._recent[0][0] <= stamp_s - self._hold_s:
            self._recent.popleft()
        if self._current is None:
            self._current = label
        elif not self._recent:
            if self._last_trusted_s is None or stamp_s - self._last_trusted_s >= self._hold_s:
                self._current = label  # nothing trusted for hold_s: report the abstention
        else:
            best, n = Counter(lab for _, lab in self._recent).most_common(1)[0]
            if best != self._current and n >= self._min_share * len(self._recent):
                self._current = best
        return self._current
