"""A person's body frame (REP-155 `body_<id>`) from H36M-17 joints, and quaternions.

Body frame (REP-103 body convention): origin at mid-hip (the H36M pelvis), z towards the head
(pelvis -> thorax), y towards the person's left (right hip/shoulder -> left hip/shoulder, made
orthogonal to z), x = y cross z, forward out of the front of the body.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.skeleton import H36M_JOINTS
from pose3d_ros.errors import InputError

_J = {n: i for i, n in enumerate(H36M_JOINTS)}
_MIN_LEN_M = 1e-4


@dataclass(frozen=True)
class BodyPose:
    """origin_m: (3,) m and rotation: (3, 3) body axes as columns, both in the parent
    (camera) frame;
    joints_body_m: (17, 3) m, every joint expressed in the body frame."""

    origin_m: np.ndarray
    rotation: np.ndarray
    joints_body_m: np.ndarray

    @property
    def quat_xyzw(self) -> np.ndarray:
        return rotation_to_quat_xyzw(self.rotation)


def _unit(v: np.ndarray, what: str) -> np.ndarray:
    n = float(np.linalg.norm(v))
    if not n > _MIN_LEN_M:
        raise InputError(f"degenerate skeleton: {what} has length {n:.2e} m")
    return v / n


def body_pose(joints_m: np.ndarray) -> BodyPose:
    """(17, 3) H36M joints, m, any right-handed frame -> the body frame in that frame.

    Raises InputError for non-finite joints or a skeleton whose axes are undefined.
    """
    j = np.asarray(joints_m, dtype=np.float64)
    if j.shape != (17, 3):
        raise InputError(f"expected (17, 3) joints, got {j.shape}")
    if not np.all(np.isfinite(j)):
        raise InputError("skeleton contains NaN/inf")
    origin = 0.5 * (j[_J["l_hip"]] + j[_J["r_hip"]])
    z = _unit(j[_J["thorax"]] - origin, "pelvis->thorax")
    lateral = (j[_J["l_hip"]] - j[_J["r_hip"]]) + (j[_J["l_shoulder"]] - j[_J["r_shoulder"]])
    y = _unit(lateral - np.dot(lateral, z) * z, "right->left (orthogonal to the spine)")
    x = np.cross(y, z)
    rot = np.column_stack([x, y, z])
    return BodyPose(origin_m=origin, rotation=rot, joints_body_m=(j - origin) @ rot)


def rotation_to_quat_xyzw(rot: np.ndarray) -> np.ndarray:
    """(3, 3) proper rotation matrix -> (4,) unit quaternion x, y, z, w with w >= 0."""
    r = np.asarray(rot, dtype=np.float64)
    if r.shape != (3, 3) or not np.all(np.isfinite(r)):
        raise InputError("rotation must be a finite (3, 3) matrix")
    t = np.trace(r)
    if t > 0:
        s = 2.0 * np.sqrt(1.0 + t)
        q = [(r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, 0.25 * s]
    else:
        i = int(np.argmax(np.diag(r)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + r[i, i] - r[j, j] - r[k, k])
        q = [0.0, 0.0, 0.0, (r[k, j] - r[j, k]) / s]
        q[i] = 0.25 * s
        q[j] = (r[j, i] + r[i, j]) / s
        q[k] = (r[k, i] + r[i, k]) / s
    q = np.asarray(q)
    q /= np.linalg.norm(q)
    return -q if q[3] < 0 else q


def quat_xyzw_to_rotation(q_xyzw: np.ndarray) -> np.ndarray:
    """(4,) quaternion x, y, z, w -> (3, 3) rotation matrix."""
    x, y, z, w = np.asarray(q_xyzw, dtype=np.float64) / np.linalg.norm(q_xyzw)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
