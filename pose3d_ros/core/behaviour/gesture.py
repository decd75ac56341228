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
WAVING (WaveDetector, per hand): while the wrist is above its shoulder (3D, body frame), the
forearm's angle in the image (forearm_angle_2d_deg: elbow -> wrist against the person's own
pelvis -> thorax direction in the image, so camera roll cancels), averaged over wave_smooth_s,
swings through at least wave_min_swing_deg and wave_min_swing_over_jitter times the frame-to-frame
jitter (estimated from the raw angle's second differences) over the last wave_window_s, crosses
its mean (with a band of a quarter of that swing, so jitter does not count) at least
wave_min_reversals
times, no faster than wave_max_hz, over at least wave_min_span_s. The swing is read in 2D because
the lifter, a learned prior, flattens a fast forearm swing (measured: a +-0.1 m swing came out
as +-0.01 m); a wave seen edge-on (the camera beside the person) is therefore not detected.
Trust: an arm counts only when its shoulder, elbow and wrist are at least min_conf; the rules
use the trusted arms (BOTH_HANDS_RAISED and ARMS_CROSSED need both). UNDEFINED when the neck or
head, or both arms, are below min_conf. An untrusted frame neither adds to nor resets a wave.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.behaviour.features import J, trusted
from pose3d_ros.core.behaviour.labels import Gesture

HEAD_JOINTS = ("neck", "head")
ARM_JOINTS = {side: tuple(f"{side}_{n}" for n in ("shoulder", "elbow", "wrist")) for side in "lr"}


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
    wave_min_swing_deg: float = 15.0
    wave_smooth_s: float = 0.15
    wave_min_swing_over_jitter: float = 3.0
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
    sides = trusted_arms(conf, config)
    if not sides or not trusted(np.asarray(conf), HEAD_JOINTS, config.min_conf):
        return Gesture.UNDEFINED
    jb = np.asarray(joints_body_m, dtype=np.float64)
    left = "l" in sides and _raised(jb, "l", config)
    right = "r" in sides and _raised(jb, "r", config)
    if left and right:
        return Gesture.BOTH_HANDS_RAISED
    if left:
        return Gesture.LEFT_HAND_RAISED
    if right:
        return Gesture.RIGHT_HAND_RAISED
    if any(_on_face(jb, side, config) for side in sides):
        return Gesture.HANDS_ON_FACE
    if len(sides) == 2 and _crossed(jb, config):
        return Gesture.ARMS_CROSSED
    return Gesture.OTHER


def trusted_arms(conf: np.ndarray, config: GestureConfig = GestureConfig()) -> tuple[str, ...]:
    """The arms ('l', 'r') whose shoulder, elbow and wrist are all at least min_conf."""
    c = np.asarray(conf)
    return tuple(side for side, names in ARM_JOINTS.items() if trusted(c, names, config.min_conf))


def hand_up(joints_body_m: np.ndarray, side: str) -> bool:
    """True when the wrist of side ('l' or 'r') is above its shoulder (body frame z)."""
    jb = np.asarray(joints_body_m)
    return bool(jb[J[f"{side}_wrist"], 2] > jb[J[f"{side}_shoulder"], 2])


def forearm_angle_2d_deg(joints2d_px: np.ndarray, side: str) -> float:
    """Signed angle in the image between the person's trunk (pelvis -> thorax) and a forearm
    (elbow -> wrist) of side 'l' or 'r', degrees in (-180, 180]; (17, 2) H36M joints, px."""
    j = np.asarray(joints2d_px, dtype=np.float64)
    trunk = j[J["thorax"]] - j[J["pelvis"]]
    fore = j[J[f"{side}_wrist"]] - j[J[f"{side}_elbow"]]
    cross = trunk[0] * fore[1] - trunk[1] * fore[0]
    return float(np.degrees(np.arctan2(cross, float(trunk @ fore))))


class WaveDetector:
    """One hand's waving over time (module docstring). Feed every frame of the track."""

    def __init__(self, config: GestureConfig = GestureConfig()):
        self._c = config
        self._samples: deque[tuple[float, float]] = deque()  # (stamp s, forearm angle deg)

    def update(self, stamp_s: float, up: bool | None, angle_deg: float = float("nan")) -> bool:
        """Add one frame; True while the hand waves.

        up: the hand is above its shoulder (True), below it (False: the wave ends), or the arm is
        not trusted in this frame (None: the frame is skipped). angle_deg: forearm_angle_2d_deg.
        A frame whose stamp is not later than the last one is ignored (repeated frames)."""
        if up is False:
            self._samples.clear()
            return False
        if up is not None and np.isfinite(angle_deg):
            if not self._samples or stamp_s > self._samples[-1][0]:
                self._samples.append((stamp_s, angle_deg))
        while self._samples and self._samples[0][0] < stamp_s - self._c.wave_window_s:
            self._samples.popleft()
        return self._waving()

    def _waving(self) -> bool:
        c = self._c
        if len(self._samples) < 3:
            return False
        t = np.array([s[0] for s in self._samples])
        raw = np.array([s[1] for s in self._samples])
        # causal moving average over wave_smooth_s (2D jitter is per frame)
        recent = (t[None, :] <= t[:, None]) & (t[None, :] > t[:, None] - c.wave_smooth_s - 1e-9)
        x = (recent * raw[None, :]).sum(axis=1) / recent.sum(axis=1)
        span_s = float(t[-1] - t[0])
        swing_deg = float(np.ptp(x))
        # white jitter of std s gives second differences of std s * sqrt(1.5); a wave barely any
        jitter_deg = float(np.std(raw[1:-1] - 0.5 * (raw[:-2] + raw[2:]))) / np.sqrt(1.5)
        if (
            span_s < c.wave_min_span_s
            or swing_deg < c.wave_min_swing_deg
            or swing_deg < c.wave_min_swing_over_jitter * jitter_deg
        ):
            return False
        reversals = count_reversals(x - x.mean(), 0.25 * swing_deg)
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
