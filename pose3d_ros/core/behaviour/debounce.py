"""Hysteresis in time: a label changes only after the new label held for hold_s."""

from __future__ import annotations

from enum import IntEnum


class Debounce:
    """The first label is taken at once; later a different label must be seen on every frame for
    hold_s seconds of stamps before it replaces the current one."""

    def __init__(self, hold_s: float):
        self._hold_s = float(hold_s)
        self._current: IntEnum | None = None
        self._candidate: IntEnum | None = None
        self._since_s = 0.0

    def update(self, label: IntEnum, stamp_s: float) -> IntEnum:
        """This frame's raw label at stamp_s (seconds, any epoch) -> the reported label."""
        if self._current is None or label == self._current:
            self._current, self._candidate = label, None
            return self._current
        if label != self._candidate:
            self._candidate, self._since_s = label, stamp_s
        if stamp_s - self._since_s >= self._hold_s:
            self._current, self._candidate = label, None
        return self._current
