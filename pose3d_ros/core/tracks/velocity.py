"""Per-track linear velocity by finite differences of consecutive positions over image stamps.

The positions are the tracked, smoothed ones (the body frame origin of each track), so no further
filtering happens here: v_k = (p_k - p_{k-1}) / (t_k - t_{k-1}). A track's first frame has zero
velocity. A frame whose stamp is not later than the track's last one (a repeated or reordered
stamp) leaves the state alone and returns the last velocity, so a duplicate frame cannot produce
an infinite speed. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NS_PER_S = 1_000_000_000


@dataclass
class _TrackState:
    stamp_ns: int
    position_m: np.ndarray  # (3,) m
    velocity_mps: np.ndarray  # (3,) m/s


class TrackVelocities:
    """Velocity of every live track, keyed by track id."""

    def __init__(self) -> None:
        self._tracks: dict[str, _TrackState] = {}

    def update(self, track_id: str, stamp_ns: int, position_m: np.ndarray) -> np.ndarray:
        """Record a track's position at an image stamp; returns its (3,) velocity in m/s.

        position_m: (3,) m, any fixed frame (the velocity is in the same frame).
        Zero on the track's first frame; raises ValueError for a non-finite or misshaped position.
        """
        p = np.asarray(position_m, dtype=np.float64)
        if p.shape != (3,) or not np.all(np.isfinite(p)):
            raise ValueError(f"position must be a finite (3,) vector in m, got {p!r}")
        state = self._tracks.get(track_id)
        if state is None:
            self._tracks[track_id] = _TrackState(int(stamp_ns), p, np.zeros(3))
            return np.zeros(3)
        dt_s = (int(stamp_ns) - state.stamp_ns) / NS_PER_S
        if dt_s <= 0.0:
            return state.velocity_mps.copy()
        velocity = (p - state.position_m) / dt_s
        self._tracks[track_id] = _TrackState(int(stamp_ns), p, velocity)
        return velocity.copy()

    def end(self, track_ids) -> None:
        """Forget ended tracks (ids are never reused, so their state would only leak)."""
        for tid in track_ids:
            self._tracks.pop(tid, None)

    @property
    def track_ids(self) -> tuple[str, ...]:
        """The ids with a recorded position."""
        return tuple(self._tracks)
