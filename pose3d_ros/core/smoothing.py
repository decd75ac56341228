"""One-Euro filtering of 3D joints, one filter state per track.

The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) is an exponential low-pass whose cutoff
rises with the signal's filtered speed: cutoff = min_cutoff + beta * |dx/dt|. Slow movement is
smoothed strongly (less jitter), fast movement weakly (less lag). Each coordinate is filtered
independently; a whole (J, 3) array is filtered at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.errors import ConfigError
from pose3d_ros.core.types import Person


@dataclass(frozen=True)
class OneEuroConfig:
    """min_cutoff_hz: cutoff at rest; beta: cutoff increase per (unit/s) of speed; d_cutoff_hz: speed filter."""

    enabled: bool = True
    min_cutoff_hz: float = 1.0
    beta: float = 0.5
    d_cutoff_hz: float = 1.0

    def __post_init__(self) -> None:
        for name in ("min_cutoff_hz", "d_cutoff_hz"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0.0):
                raise ConfigError(f"one-euro {name} must be > 0, got {v}")
        if not (np.isfinite(self.beta) and self.beta >= 0.0):
            raise ConfigError(f"one-euro beta must be >= 0, got {self.beta}")


def smoothing_factor(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    """Exponential smoothing factor alpha = 1 / (1 + tau / dt), tau = 1 / (2 pi cutoff)."""
    tau_s = 1.0 / (2.0 * np.pi * cutoff_hz)
    return 1.0 / (1.0 + tau_s / dt_s)


class OneEuroFilter:
    """One-Euro filter over an array of any fixed shape (e.g. (17, 3) joints, m)."""

    def __init__(self, config: OneEuroConfig):
        self._config = config
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t_s: float | None = None

    def __call__(self, x: np.ndarray, t_s: float) -> np.ndarray:
        """Filter sample x taken at time t_s; returns a new array (x is not modified)."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._x.shape != x.shape:
            self._x, self._dx, self._t_s = x.copy(), np.zeros_like(x), t_s
            return x.copy()
        dt_s = t_s - self._t_s
        if dt_s <= 0.0:
            return self._x.copy()
        cfg = self._config
        dx = (x - self._x) / dt_s
        a_d = smoothing_factor(cfg.d_cutoff_hz, dt_s)
        dx_hat = a_d * dx + (1.0 - a_d) * self._dx
        cutoff_hz = cfg.min_cutoff_hz + cfg.beta * np.abs(dx_hat)
        a = smoothing_factor(cutoff_hz, dt_s)
        x_hat = a * x + (1.0 - a) * self._x
        self._x, self._dx, self._t_s = x_hat, dx_hat, t_s
        return x_hat.copy()


class PoseSmoother:
    """Per-track One-Euro filtering of Person.joints3d_m; pass-through when disabled."""

    def __init__(self, config: OneEuroConfig | None = None):
        self._config = config or OneEuroConfig()
        self._filters: dict[str, OneEuroFilter] = {}

    def set_config(self, config: OneEuroConfig) -> None:
        """Change parameters at run time; filter states restart."""
        self._config = config
        self._filters.clear()

    def smooth(self, people: list[Person], stamp_s: float) -> list[Person]:
        """Tracked people of one frame -> copies with filtered joints3d_m (untracked ones unchanged)."""
        if not self._config.enabled:
            return list(people)
        out = []
        for p in people:
            if p.track_id is None:
                out.append(p)
                continue
            filt = self._filters.setdefault(p.track_id, OneEuroFilter(self._config))
            out.append(dataclasses.replace(p, joints3d_m=filt(p.joints3d_m, stamp_s)))
        return out

    def forget(self, track_ids) -> None:
        """Drop the states of ended tracks."""
        for tid in track_ids:
            self._filters.pop(tid, None)
