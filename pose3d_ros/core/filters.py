"""The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): the one low-pass filter of the package.

An exponential low-pass whose cutoff rises with the signal's filtered speed: cutoff = min_cutoff +
beta * |dx/dt|. Slow movement is smoothed strongly (less jitter), fast movement weakly (less lag).
Every element of the sample array is filtered independently. Used for the 3D joints
(core/tracks/smoothing.py) and, with MediaPipe's settings, for the points that place the next
frame's landmark crop (core/pose2d/roi_tracker.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.errors import ConfigError


@dataclass(frozen=True)
class OneEuroConfig:
    """min_cutoff_hz: cutoff at rest; beta: cutoff increase per (unit/s) of speed; d_cutoff_hz:
    cutoff of the speed estimate. derivative_of_raw: differentiate the raw samples (MediaPipe's
    OneEuroFilter) instead of the last filtered value (the paper's reference code).
    enabled: False makes the users of this config pass samples through."""

    enabled: bool = True
    min_cutoff_hz: float = 1.0
    beta: float = 0.5
    d_cutoff_hz: float = 1.0
    derivative_of_raw: bool = False

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
    """One-Euro filter over an array of any fixed shape (e.g. (17, 3) joints, m).

    `filter(x, t_s)` takes the sample time; `step(x, dt_s, speed_scale)` the time since the last
    sample, with the speed multiplied by speed_scale (MediaPipe divides it by the object's size).
    The first sample, or one of another shape, passes unchanged and restarts the filter.
    """

    def __init__(self, config: OneEuroConfig):
        self._config = config
        self._raw: np.ndarray | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t_s: float | None = None

    def reset(self) -> None:
        self._raw = self._x = self._dx = self._t_s = None

    def filter(self, x: np.ndarray, t_s: float) -> np.ndarray:
        """Filter sample x taken at time t_s (s); a sample not after the last one returns the
        last output."""
        if self._t_s is not None and self._x is not None and np.shape(x) == self._x.shape:
            dt_s = t_s - self._t_s
            if dt_s <= 0.0:
                return self._x.copy()
        else:
            dt_s = 0.0
        out = self.step(x, dt_s)
        self._t_s = t_s
        return out

    def step(self, x: np.ndarray, dt_s: float, speed_scale: float = 1.0) -> np.ndarray:
        """Filter sample x, dt_s after the previous one; returns a new array (x is not modified)."""
        x = np.array(x, dtype=np.float64)
        if self._x is None or self._x.shape != x.shape or not dt_s > 0.0:
            self._raw, self._x, self._dx = x, x.copy(), np.zeros_like(x)
            return x.copy()
        cfg = self._config
        prev = self._raw if cfg.derivative_of_raw else self._x
        dx = (x - prev) / dt_s * speed_scale
        a_d = smoothing_factor(cfg.d_cutoff_hz, dt_s)
        dx_hat = a_d * dx + (1.0 - a_d) * self._dx
        a = smoothing_factor(cfg.min_cutoff_hz + cfg.beta * np.abs(dx_hat), dt_s)
        x_hat = a * x + (1.0 - a) * self._x
        self._raw, self._x, self._dx = x, x_hat, dx_hat
        return x_hat.copy()
