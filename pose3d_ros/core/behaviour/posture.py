"""Posture of one 3D skeleton by geometric rules: STANDING, SITTING, CROUCHING, LAYING or OTHER.

Needs the direction of "up" in the skeleton's frame. The node has no camera pose, so it assumes a
level camera: up = -y of the REP-103 optical frame (BehaviourConfig.up_optical). The rules tolerate
a camera pitched or rolled by up to ~30 deg; beyond that LAYING and SITTING degrade first.

Features (legs averaged unless said otherwise; a leg is hip -> knee -> ankle):
- trunk tilt: angle between the trunk (mid-hip -> thorax) and up, deg;
- thigh tilt: angle between a thigh (hip -> knee) and down, deg (0: thigh vertical);
- knee angle: between thigh and shin at the knee, deg (180: straight leg);
- height: mid-hip above the lower ankle along up, over the leg length (thigh + shin), so the
  rules hold for any body size: ~0.95 standing, ~0.5 sitting on a chair, ~0.3 in a deep squat;
- offset: horizontal distance (perpendicular to up) from mid-hip to the ankles' midpoint over the
  leg length: small when the weight is over the feet (standing, squatting), ~0.45 on a chair.
Rules, first match wins:
  LAYING     trunk tilt > laying_trunk_tilt_deg, thigh tilt > laying_thigh_tilt_deg and height
             <= laying_max_height (bending over keeps the hips high)
  STANDING   height >= standing_min_height and the more vertical thigh's tilt
             <= standing_max_thigh_deg (walking and running included)
  CROUCHING  knee angle <= crouch_max_knee_deg, height <= crouch_max_height and
             offset <= crouch_max_offset (squatting, crouching: hips over the feet)
  SITTING    thigh tilt within sitting_thigh_deg, offset >= sitting_min_offset and trunk tilt
             <= sitting_max_trunk_tilt_deg (chair, ledge, floor with legs out)
  OTHER      anything else (kneeling, mid-air in a jump, lunges, bent far over, ...)
UNDEFINED when a hip, knee or ankle, or the thorax, is below min_conf (legs out of the image).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.behaviour.features import LEGS, J, angle_deg, trusted
from pose3d_ros.core.behaviour.labels import Posture

POSTURE_JOINTS = ("l_hip", "l_knee", "l_ankle", "r_hip", "r_knee", "r_ankle", "thorax")


@dataclass(frozen=True)
class PostureConfig:
    """Thresholds of the posture rules (module docstring); angles in degrees, height and offset
    as fractions of the leg length."""

    min_conf: float = 0.3
    laying_trunk_tilt_deg: float = 60.0
    laying_thigh_tilt_deg: float = 50.0
    laying_max_height: float = 0.4
    standing_min_height: float = 0.75
    standing_max_thigh_deg: float = 35.0
    crouch_max_knee_deg: float = 110.0
    crouch_max_height: float = 0.75
    crouch_max_offset: float = 0.3
    sitting_thigh_deg: tuple[float, float] = (50.0, 130.0)
    sitting_min_offset: float = 0.3
    sitting_max_trunk_tilt_deg: float = 50.0


@dataclass(frozen=True)
class PostureFeatures:
    """What the rules read (module docstring): angles in degrees, height and offset as fractions
    of the leg length; min_thigh_tilt_deg is the more vertical thigh's."""

    trunk_tilt_deg: float
    thigh_tilt_deg: float
    min_thigh_tilt_deg: float
    knee_deg: float
    height: float
    offset: float


def posture_features(joints_m: np.ndarray, up: np.ndarray) -> PostureFeatures:
    """(17, 3) H36M joints, m, and the (3,) unit up direction in the same frame -> features."""
    j = np.asarray(joints_m, dtype=np.float64)
    u = np.asarray(up, dtype=np.float64)
    mid_hip = 0.5 * (j[J["l_hip"]] + j[J["r_hip"]])
    thigh_tilts, knees, lengths = [], [], []
    for hip, knee, ankle in LEGS:
        thigh = j[J[knee]] - j[J[hip]]
        shin = j[J[ankle]] - j[J[knee]]
        thigh_tilts.append(angle_deg(thigh, -u))
        knees.append(angle_deg(-thigh, shin))
        lengths.append(float(np.linalg.norm(thigh) + np.linalg.norm(shin)))
    leg_m = max(float(np.mean(lengths)), 1e-6)
    ankles = j[[J["l_ankle"], J["r_ankle"]]]
    height = (float(mid_hip @ u) - float(np.min(ankles @ u))) / leg_m
    d = mid_hip - ankles.mean(axis=0)
    offset = float(np.linalg.norm(d - (d @ u) * u)) / leg_m
    return PostureFeatures(
        trunk_tilt_deg=angle_deg(j[J["thorax"]] - mid_hip, u),
        thigh_tilt_deg=float(np.mean(thigh_tilts)),
        min_thigh_tilt_deg=float(np.min(thigh_tilts)),
        knee_deg=float(np.mean(knees)),
        height=height,
        offset=offset,
    )


def classify_posture(
    joints_m: np.ndarray,
    conf: np.ndarray,
    up: np.ndarray,
    config: PostureConfig = PostureConfig(),
) -> Posture:
    """One skeleton -> its posture (no memory; tracker.py adds hysteresis).

    joints_m: (17, 3) H36M joints, m; conf: (17,) in [0, 1]; up: (3,) unit vector, same frame.
    """
    if not trusted(np.asarray(conf), POSTURE_JOINTS, config.min_conf):
        return Posture.UNDEFINED
    f = posture_features(joints_m, up)
    c = config
    if (
        f.trunk_tilt_deg > c.laying_trunk_tilt_deg
        and f.thigh_tilt_deg > c.laying_thigh_tilt_deg
        and f.height <= c.laying_max_height
    ):
        return Posture.LAYING
    if f.height >= c.standing_min_height and f.min_thigh_tilt_deg <= c.standing_max_thigh_deg:
        return Posture.STANDING
    if (
        f.knee_deg <= c.crouch_max_knee_deg
        and f.height <= c.crouch_max_height
        and f.offset <= c.crouch_max_offset
    ):
        return Posture.CROUCHING
    lo, hi = c.sitting_thigh_deg
    if (
        lo <= f.thigh_tilt_deg <= hi
        and f.offset >= c.sitting_min_offset
        and f.trunk_tilt_deg <= c.sitting_max_trunk_tilt_deg
    ):
        return Posture.SITTING
    return Posture.OTHER
