"""Per-track One-Euro filtering of the 3D joints (core/filters.py),
one filter state per track id."""

from __future__ import annotations

import dataclasses

from pose3d_ros.core.filters import OneEuroConfig, OneEuroFilter
from pose3d_ros.core.types import Person


class PoseSmoother:
    """Per-track One-Euro filtering of Person.joints3d_m; pass-through when the config
    is disabled."""

    def __init__(self, config: OneEuroConfig | None = None):
        self._config = config or OneEuroConfig()
        self._filters: dict[str, OneEuroFilter] = {}

    def set_config(self, config: OneEuroConfig) -> None:
        """Change parameters at run time; filter states restart when they changed."""
        if config != self._config:
            self._config = config
            self._filters.clear()

    def smooth(self, people: list[Person], stamp_s: float) -> list[Person]:
        """Tracked people of one frame -> copies with filtered joints3d_m
        (untracked ones unchanged)."""
        if not self._config.enabled:
            return list(people)
        out = []
        for p in people:
            if p.track_id is None:
                out.append(p)
                continue
            filt = self._filters.setdefault(p.track_id, OneEuroFilter(self._config))
            out.append(dataclasses.replace(p, joints3d_m=filt.filter(p.joints3d_m, stamp_s)))
        return out

    def forget(self, track_ids) -> None:
        """Drop the states of ended tracks."""
        for tid in track_ids:
            self._filters.pop(tid, None)
