"""Gestures of one 3D skeleton (geometric rules) and waving over time (WaveDetector).

Everything is measured in the person's own body frame (core/body_frame.py: origin mid-hip, x
forward, y to the person's left, z along the trunk towards the head), so the rules need no camera
pose and hold for a sitting or leaning person. Lengths in metres (adult sizes, as the lifter's).
"Left" is the person's left. face = midpoint of the H36M neck (ear level) and head (top).

Static rules (classify_static), first match wins:
  BOTH_HANDS_RAISED / LEFT_HAND_RAISED / RIGHT_HAND_RAISED  a wrist is raised: above the top of
      the head, or above the neck by raised_above_neck_m and further than face_radius_m from the
      face
  HANDS_ON_FACE   a wrist within face_radius_m of the face
  ARMS_CROSSED    each wrist past the midline by crossed_margin_m on the other side, both between
                  crossed_above_pelvis_m above mid-hip and crossed_below_neck_m below the neck, in
                  front of the trunk's back (x > -0.05 m) and within crossed_max_from_thorax_m of
                  the thorax
  OTHER           none of these
WAVING (WaveDetector, per hand): while the wrist is above its shoulder, the forearm's sideways
swing (wrist y - elbow y) over the last wave_window_s swings through at least wave_min_ptp_m and
crosses its mean (with a band of a quarter of that swing, so jitter does not count) at least
wave_min_reversals times, no faster than wave_max_hz, over at least wave_min_span_s.
UNDEFINED when a shoulder, elbow, wrist, the neck or the head is below min_conf.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.behaviour.features import J, trusted
from pose3d_ros.core.behaviour.labels import Gesture

GESTURE_JOINTS = (
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "neck",
    "head",
)


@dataclass(frozen=True)
class GestureConfig:
    """Thresholds of the gesture rules (module docstring); m, s, Hz."""

    min_conf: float = 0.3
    raised_above_neck_m: float = 0.05
    face_radius_m: float = 0.2
    crossed_margin_m: float = 0.03
    crossed_above_pelvis_m: float = 0.1
    crossed_below_neck_m: float = 0.05
    crossed_max_from_thorax_m: float = 0.4
    wave_window_s: float = 1.5
    wave_min_span_s: float = 0.8
    wave_min_ptp_m: float = 0.08
    wave_min_reversals: int = 3
    wave_max_hz: float = 5.0


def _raised(jb: np.ndarray, side: str, c: GestureConfig) -> bool:
    wrist = jb[J[f"{side}_wrist"]]
    face = 0.5 * (jb[J["neck"]] + jb[J["head"]])
    if wrist[2] > jb[J["head"], 2]:
        return True
    return bool(
        wrist[2] > jb[J["neck"], 2] + c.raised_above_neck_m
        and np.linalg.norm(wrist - face) > c.face_radius_m
    )


def _on_face(jb: np.ndarray, side: str, c: GestureConfig) -> bool:
    face = 0.5 * (jb[J["neck"]] + jb[J["head"]])
    return bool(np.linalg.norm(jb[J[f"{side}_wrist"]] - face) < c.face_radius_m)


def _crossed(jb: np.ndarray, c: GestureConfig) -> bool:
    lw, rw = jb[J["l_wrist"]], jb[J["r_wrist"]]
    if not (lw[1] < -c.crossed_margin_m and rw[1] > c.crossed_margin_m):
        return False
    lo, hi = c.crossed_above_pelvis_m, jb[J["neck"], 2] - c.crossed_below_neck_m
    thorax = jb[J["thorax"]]
    near_m = c.crossed_max_from_thorax_m
    return all(
        lo <= w[2] <= hi and w[0] > -0.05 and np.linalg.norm(w - thorax) <= near_m for w in (lw, rw)
    )


def classify_static(
    joints_body_m: np.ndarray, conf: np.ndarray, config: GestureConfig = GestureConfig()
) -> Gesture:
    """One skeleton in its body frame -> a gesture other than WAVING (no memory).

    joints_body_m: (17, 3) H36M joints in the body frame, m; conf: (17,) in [0, 1].
    """
    if not trusted(np.asarray(conf), GESTURE_JOINTS, config.min_conf):
        return Gesture.UNDEFINED
    jb = np.asarray(joints_body_m, dtype=np.float64)
    left, right = _raised(jb, "l", config), _raised(jb, "r", config)
    if left and right:
        return Gesture.BOTH_HANDS_RAISED
    if left:
        return Gesture.LEFT_HAND_RAISED
    if right:
        return Gesture.RIGHT_HAND_RAISED
    if _on_face(jb, "l", config) or _on_face(jb, "r", config):
        return Gesture.HANDS_ON_FACE
    if _crossed(jb, config):
        return Gesture.ARMS_CROSSED
    return Gesture.OTHER


def hand_up(joints_body_m: np.ndarray, side: str) -> bool:
    """True when the wrist of side ('l' or 'r') is above its shoulder (body frame z)."""
    jb = np.asarray(joints_body_m)
    return bool(jb[J[f"{side}_wrist"], 2] > jb[J[f"{side}_shoulder"], 2])


def forearm_swing_m(joints_body_m: np.ndarray, side: str) -> float:
    """Sideways position of the wrist relative to the elbow (body frame y), m."""
    jb = np.asarray(joints_body_m)
    return float(jb[J[f"{side}_wrist"], 1] - jb[J[f"{side}_elbow"], 1])


class WaveDetector:
    """One hand's waving over time (module docstring). Feed every frame of the track."""

    def __init__(self, config: GestureConfig = GestureConfig()):
        self._c = config
        self._samples: deque[tuple[float, float]] = deque()  # (stamp s, forearm swing m)

    def update(self, stamp_s: float, up: bool, swing_m: float) -> bool:
        """Add one frame (up: the hand is above its shoulder); True while the hand waves.

        A frame whose stamp is not later than the last one is ignored (repeated frames)."""
        if not up or not np.isfinite(swing_m):
            self._samples.clear()
            return False
        if self._samples and stamp_s <= self._samples[-1][0]:
            return self._waving()
        self._samples.append((stamp_s, swing_m))
        while self._samples and self._samples[0][0] < stamp_s - self._c.wave_window_s:
            self._samples.popleft()
        return self._waving()

    def _waving(self) -> bool:
        c = self._c
        if len(self._samples) < 3:
            return False
        t = np.array([s[0] for s in self._samples])
        x = np.array([s[1] for s in self._samples])
        span_s = float(t[-1] - t[0])
        ptp_m = float(np.ptp(x))
        if span_s < c.wave_min_span_s or ptp_m < c.wave_min_ptp_m:
            return False
        reversals = count_reversals(x - x.mean(), 0.25 * ptp_m)
        return reversals >= c.wave_min_reversals and reversals / (2.0 * span_s) <= c.wave_max_hz

    def reset(self) -> None:
        self._samples.clear()


def count_reversals(x: np.ndarray, band: float) -> int:
    """How often a zero-mean signal (K,) goes from above +band to below -band or back (a Schmitt
    trigger, so noise inside the band never counts)."""
    state, flips = 0, 0
    for v in x:
        new = 1 if v > band else -1 if v < -band else state
        if state != 0 and new != state:
            flips += 1
        state = new
    return flips
