"""Joint geometry the posture and gesture rules read: joint indices by name, angles, and the
skeleton expressed in its body frame. All positions in metres, any right-handed frame."""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.skeleton import H36M_JOINTS

J = {name: i for i, name in enumerate(H36M_JOINTS)}
LEGS = (("l_hip", "l_knee", "l_ankle"), ("r_hip", "r_knee", "r_ankle"))


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two (3,) vectors, degrees in [0, 180] (90 when one has zero length)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-9 or nb < 1e-9:
        return 90.0
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))))


def trusted(conf: np.ndarray, joints: tuple[str, ...], min_conf: float) -> bool:
    """True when every named joint's confidence (17,) is at least min_conf."""
    return bool(all(conf[J[n]] >= min_conf for n in joints))


def unit(v: np.ndarray) -> np.ndarray:
    """(3,) vector scaled to length 1 (raises ValueError for a zero vector)."""
    n = float(np.linalg.norm(v))
    if not n > 1e-9:
        raise ValueError("zero-length direction")
    return np.asarray(v, dtype=np.float64) / n
