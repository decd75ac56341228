"""Frames: validation and rotated-square crops sampled exactly as MediaPipe samples them.

Pixel convention (MediaPipe's, kept so our crops are sample-for-sample the same as its
ImageToTensorCalculator on CPU): the four corners of a region (an ROI, core/geometry.py) are mapped
onto the corners (0, 0) .. (size, size) of the output by a perspective (here affine) matrix and the
image is resampled with `cv2.warpPerspective` (bilinear). Output pixel (i, j) therefore samples
the image at the mapped position of (j, i), not of the pixel centre (j + 0.5, i + 0.5). Image px
are MediaPipe's too: x_px = x_norm * width_px (no half-pixel shift).

OpenCV is pinned (opencv-python-headless==4.11.0.86): other versions interpolate
differently and move weak landmarks by many pixels (see ../shared/notes/blazepose.md).
"""

from __future__ import annotations

import cv2
import numpy as np

from pose3d_ros.core.types import Roi
from pose3d_ros.errors import InputError

MIN_FRAME_SIDE_PX = 32


def validate_frame(frame_rgb: np.ndarray) -> None:
    """Raise InputError unless `frame_rgb` is a (H, W, 3) uint8 RGB image with both
    sides >= 32 px."""
    if not isinstance(frame_rgb, np.ndarray):
        raise InputError(
            f"frame must be a numpy array (H, W, 3) uint8 RGB, got {type(frame_rgb).__name__}"
        )
    problem = None
    if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3:
        problem = f"shape {frame_rgb.shape} is not (H, W, 3)"
    elif frame_rgb.dtype != np.uint8:
        problem = f"dtype {frame_rgb.dtype} is not uint8"
    elif frame_rgb.size == 0:
        problem = "frame is empty"
    elif min(frame_rgb.shape[:2]) < MIN_FRAME_SIDE_PX:
        problem = (
            f"frame {frame_rgb.shape[1]}x{frame_rgb.shape[0]} px is smaller than "
            f"{MIN_FRAME_SIDE_PX} px a side"
        )
    if problem is not None:
        raise InputError(
            f"bad frame: {problem}; expected an (H, W, 3) uint8 RGB image, "
            f"H and W >= {MIN_FRAME_SIDE_PX}"
        )


def roi_corners_px(roi: Roi) -> np.ndarray:
    """(4, 2) float32 image px corners of `roi` in cv2.boxPoints order: bottom-left, top-left,
    top-right, bottom-right (of the crop, before rotation)."""
    c = np.asarray(roi.center_px, dtype=np.float64)
    box = (
        (float(c[0]), float(c[1])),
        (float(roi.size_px), float(roi.size_px)),
        float(np.degrees(roi.rotation_rad)),
    )
    return cv2.boxPoints(box).astype(np.float32)


def image_to_crop_matrix(roi: Roi, out_size_px: int) -> np.ndarray:
    """(3, 3) matrix mapping homogeneous image px to crop px of an `out_size_px` square
    crop of `roi`."""
    s = float(out_size_px)
    dst = np.array([[0.0, s], [0.0, 0.0], [s, 0.0], [s, s]], dtype=np.float32)
    return cv2.getPerspectiveTransform(roi_corners_px(roi), dst)


def warp_roi(
    frame_rgb: np.ndarray, roi: Roi, out_size_px: int, replicate_border: bool
) -> np.ndarray:
    """(out, out, 3) uint8 crop of the rotated square `roi`
    (bilinear; border replicated or zero)."""
    if (
        not roi.size_px > 0
        or not np.all(np.isfinite(roi.center_px))
        or not np.isfinite(roi.rotation_rad)
    ):
        raise InputError(
            f"invalid ROI: centre {roi.center_px}, size {roi.size_px}, rotation {roi.rotation_rad}"
        )
    m = image_to_crop_matrix(roi, out_size_px)
    border = cv2.BORDER_REPLICATE if replicate_border else cv2.BORDER_CONSTANT
    return cv2.warpPerspective(
        frame_rgb,
        m,
        (out_size_px, out_size_px),
        flags=cv2.INTER_LINEAR,
        borderMode=border,
        borderValue=(0, 0, 0),
    )
