"""Plain data types passed between pipeline stages. Units and frames are in the field names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.errors import InputError


@dataclass(frozen=True)
class CameraIntrinsics:
    """Pinhole intrinsics of the (rectified) image; REP-103 optical frame
    (x right, y down, z forward)."""

    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    width_px: int
    height_px: int

    def __post_init__(self) -> None:
        vals = np.array([self.fx_px, self.fy_px, self.cx_px, self.cy_px], dtype=np.float64)
        if not np.all(np.isfinite(vals)):
            raise InputError(f"camera intrinsics contain NaN/inf: {vals.tolist()}")
        if self.fx_px <= 0 or self.fy_px <= 0:
            raise InputError(f"focal lengths must be > 0, got fx={self.fx_px}, fy={self.fy_px}")
        if self.width_px <= 0 or self.height_px <= 0:
            raise InputError(f"image size must be > 0, got {self.width_px}x{self.height_px}")

    def implausibility(self) -> str | None:
        """Why these intrinsics cannot describe a real pinhole image of their size, or None.

        Accepted: horizontal and vertical fields of view of 1..179 deg (f between 0.0044 and 57
        times the image side), fx / fy within 0.25..4, the principal point within half an
        image of it.
        """
        w, h = float(self.width_px), float(self.height_px)
        lo, hi = 0.5 / np.tan(np.deg2rad(89.5)), 0.5 / np.tan(np.deg2rad(0.5))
        if not (lo * w <= self.fx_px <= hi * w and lo * h <= self.fy_px <= hi * h):
            return (
                f"focal lengths fx={self.fx_px:g}, fy={self.fy_px:g} px give a field of view "
                f"outside 1..179 deg for a {self.width_px}x{self.height_px} image"
            )
        if not 0.25 <= self.fx_px / self.fy_px <= 4.0:
            return f"fx / fy = {self.fx_px / self.fy_px:g} is outside 0.25..4"
        if not (-0.5 * w <= self.cx_px <= 1.5 * w and -0.5 * h <= self.cy_px <= 1.5 * h):
            return (
                f"principal point ({self.cx_px:g}, {self.cy_px:g}) px is more than half an image "
                f"outside the {self.width_px}x{self.height_px} image"
            )
        return None

    @classmethod
    def default_for(
        cls, width_px: int, height_px: int, hfov_deg: float = 60.0
    ) -> "CameraIntrinsics":
        """Fallback when no camera_info is available: principal point at the centre,
        given horizontal FOV."""
        fx = 0.5 * width_px / np.tan(np.deg2rad(hfov_deg) / 2.0)
        return cls(
            fx, fx, (width_px - 1) / 2.0, (height_px - 1) / 2.0, int(width_px), int(height_px)
        )

    @property
    def matrix(self) -> np.ndarray:
        """(3, 3) K matrix."""
        return np.array(
            [[self.fx_px, 0.0, self.cx_px], [0.0, self.fy_px, self.cy_px], [0.0, 0.0, 1.0]]
        )


@dataclass(frozen=True)
class Roi:
    """Rotated square region of the image a landmark crop is taken from."""

    center_px: np.ndarray  # (2,) x, y image px
    size_px: float  # side length of the square, image px
    # MediaPipe convention: positive turns the crop's up axis clockwise on screen (y down)
    rotation_rad: float


@dataclass(frozen=True)
class Pose2D:
    """One person's 2D result from the keypoint stage.

    keypoints_px: (33, 2) BlazePose landmarks, image px.
    depth_rel: (33,) BlazePose relative z (same scale as x px), smaller is closer.
    visibility, presence: (33,) probabilities in [0, 1].
    score: person presence probability.
    roi: the crop the landmarks were computed in.
    aux_px: (2, 2) auxiliary landmarks 33 and 34 (for the next frame's ROI).
    track_key: the 2D stage's number for this person, the same while its crop is tracked from
    frame to frame (None when not from a tracking 2D stage).
    world_m: (33, 3) BlazePose world landmarks, metres, hip-centred, in the image's axes (x right,
    y down, z away from the camera; core/pose3d/source3d.py turns them into the optical frame), or
    None when the landmark model has no world output.
    """

    keypoints_px: np.ndarray
    depth_rel: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    score: float
    roi: Roi
    aux_px: np.ndarray
    track_key: int | None = None
    world_m: np.ndarray | None = None


@dataclass(frozen=True)
class Person:
    """One person, 2D and metric 3D, in the camera optical frame.

    joints2d_px: (17, 2) H36M-17 joints, image px.
    joints2d_conf: (17,) in [0, 1].
    joints3d_m: (17, 3) metres, camera optical frame (absolute, root translation applied).
    joints3d_conf: (17,) in [0, 1].
    pose2d: the 33-landmark result it came from.
    track_id: REP-155 style id once tracked, else None.
    """

    joints2d_px: np.ndarray
    joints2d_conf: np.ndarray
    joints3d_m: np.ndarray
    joints3d_conf: np.ndarray
    pose2d: Pose2D
    track_id: str | None = None
