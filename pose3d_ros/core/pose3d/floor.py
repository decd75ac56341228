"""The floor as seen from the camera: its up direction in the optical frame and the camera's height.

A known floor fixes what one camera cannot: how far away a person of unknown size is. Placement
(core/pose3d/placement.py) puts the lowest foot on it. Two ways to know it:

- parameters: the camera's height above the floor, its pitch (optical axis below the horizontal,
  down positive) and its roll (about the optical axis, clockwise positive as seen from behind the
  camera, so the image's content turns counter-clockwise);
- a transform: the camera optical frame's pose in a floor frame whose z axis points up and whose
  xy plane is the floor (REP-103), e.g. from TF.

Optical frame: x right, y down, z forward. A level camera has up = (0, -1, 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.body_frame import quat_xyzw_to_rotation
from pose3d_ros.errors import ConfigError


@dataclass(frozen=True, eq=False)
class FloorPlane:
    """up_cam: (3,) unit vector against gravity in the camera optical frame;
    camera_height_m: the camera's height above the floor (> 0). Floor points X satisfy
    up_cam . X = -camera_height_m."""

    up_cam: np.ndarray
    camera_height_m: float

    def __post_init__(self) -> None:
        up = np.asarray(self.up_cam, dtype=np.float64)
        if up.shape != (3,) or not np.all(np.isfinite(up)) or abs(np.linalg.norm(up) - 1) > 1e-6:
            raise ConfigError(f"floor up vector must be a finite unit 3-vector, got {up}")
        if not (np.isfinite(self.camera_height_m) and self.camera_height_m > 0.0):
            raise ConfigError(
                f"camera height above the floor must be > 0 m, got {self.camera_height_m}"
            )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FloorPlane)
            and np.array_equal(self.up_cam, other.up_cam)
            and self.camera_height_m == other.camera_height_m
        )

    def __hash__(self) -> int:
        return hash((tuple(np.asarray(self.up_cam, dtype=np.float64)), self.camera_height_m))

    def height_above_m(self, points_m: np.ndarray) -> np.ndarray:
        """(..., 3) m optical frame -> (...) m above the floor."""
        return np.asarray(points_m, dtype=np.float64) @ self.up_cam + self.camera_height_m


def floor_from_angles(camera_height_m: float, pitch_deg: float, roll_deg: float) -> FloorPlane:
    """The floor under a camera at camera_height_m, pitched down by pitch_deg, rolled by roll_deg
    (conventions in the module docstring)."""
    th, ph = np.deg2rad(pitch_deg), np.deg2rad(roll_deg)
    up_pitched = np.array([0.0, -np.cos(th), -np.sin(th)])  # pitch only
    c, s = np.cos(-ph), np.sin(-ph)  # world vectors turn by -roll in the rolled camera's frame
    up = np.array(
        [
            c * up_pitched[0] - s * up_pitched[1],
            s * up_pitched[0] + c * up_pitched[1],
            up_pitched[2],
        ]
    )
    return FloorPlane(up / np.linalg.norm(up), float(camera_height_m))


def floor_from_pose(rotation: np.ndarray, translation_m: np.ndarray) -> FloorPlane:
    """The floor from the camera optical frame's pose in the floor frame (z up, floor at z = 0):
    p_floor = R p_cam + t, R (3, 3). up_cam = R^T (0, 0, 1); the camera's height is t_z."""
    up = np.asarray(rotation, dtype=np.float64)[2]
    return FloorPlane(up / np.linalg.norm(up), float(np.asarray(translation_m)[2]))


def floor_from_transform(rotation_xyzw: np.ndarray, translation_m: np.ndarray) -> FloorPlane:
    """floor_from_pose with the rotation as a quaternion x, y, z, w (as in a TF message)."""
    return floor_from_pose(quat_xyzw_to_rotation(rotation_xyzw), translation_m)
