"""Frame validation, detector letterbox and rotated ROI crops, each with its inverse transform.

Pixel convention (MediaPipe's, kept so our crops are sample-for-sample the same as its
ImageToTensorCalculator on CPU): a region is a rotated rectangle in continuous image
coordinates; its four corners are mapped onto the corners (0, 0) .. (size, size) of the
output tensor by a perspective (here affine) matrix and the image is resampled with
`cv2.warpPerspective` (bilinear). Output pixel (i, j) therefore samples the image at the
mapped position of (j, i), not of the pixel centre (j + 0.5, i + 0.5). Normalised crop
coordinates u, v in [0, 1] relate to image px by

    p_img = centre_px + R(rotation_rad) @ ((u - 0.5) * size_px, (v - 0.5) * size_px)

with R = [[cos, -sin], [sin, cos]] acting on image axes (x right, y down): a positive
rotation turns the crop's up axis clockwise on screen. Image px are MediaPipe's too:
x_px = x_norm * width_px (no half-pixel shift).

OpenCV is pinned (opencv-python-headless==4.11.0.86): other versions interpolate
differently and move weak landmarks by many pixels (see ../shared/notes/blazepose.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pose3d_ros.core.errors import InputError
from pose3d_ros.core.types import Roi

MIN_FRAME_SIDE_PX = 32


def validate_frame(frame_rgb: np.ndarray) -> None:
    """Raise InputError unless `frame_rgb` is a (H, W, 3) uint8 RGB image with both sides >= 32 px."""
    if not isinstance(frame_rgb, np.ndarray):
        raise InputError(f"frame must be a numpy array (H, W, 3) uint8 RGB, got {type(frame_rgb).__name__}")
    problem = None
    if frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3:
        problem = f"shape {frame_rgb.shape} is not (H, W, 3)"
    elif frame_rgb.dtype != np.uint8:
        problem = f"dtype {frame_rgb.dtype} is not uint8"
    elif frame_rgb.size == 0:
        problem = "frame is empty"
    elif min(frame_rgb.shape[:2]) < MIN_FRAME_SIDE_PX:
        problem = f"frame {frame_rgb.shape[1]}x{frame_rgb.shape[0]} px is smaller than {MIN_FRAME_SIDE_PX} px a side"
    if problem is not None:
        raise InputError(f"bad frame: {problem}; expected an (H, W, 3) uint8 RGB image, H and W >= {MIN_FRAME_SIDE_PX}")


def roi_corners_px(roi: Roi) -> np.ndarray:
    """(4, 2) float32 image px corners of `roi` in cv2.boxPoints order: bottom-left, top-left, top-right,
    bottom-right (of the crop, before rotation)."""
    c = np.asarray(roi.center_px, dtype=np.float64)
    box = ((float(c[0]), float(c[1])), (float(roi.size_px), float(roi.size_px)), float(np.degrees(roi.rotation_rad)))
    return cv2.boxPoints(box).astype(np.float32)


def image_to_crop_matrix(roi: Roi, out_size_px: int) -> np.ndarray:
    """(3, 3) matrix mapping homogeneous image px to crop px of an `out_size_px` square crop of `roi`."""
    s = float(out_size_px)
    dst = np.array([[0.0, s], [0.0, 0.0], [s, 0.0], [s, s]], dtype=np.float32)
    return cv2.getPerspectiveTransform(roi_corners_px(roi), dst)


def warp_roi(frame_rgb: np.ndarray, roi: Roi, out_size_px: int, replicate_border: bool) -> np.ndarray:
    """(out, out, 3) uint8 crop of the rotated square `roi` (bilinear; border replicated or zero)."""
    if not roi.size_px > 0 or not np.all(np.isfinite(roi.center_px)) or not np.isfinite(roi.rotation_rad):
        raise InputError(f"invalid ROI: centre {roi.center_px}, size {roi.size_px}, rotation {roi.rotation_rad}")
    m = image_to_crop_matrix(roi, out_size_px)
    border = cv2.BORDER_REPLICATE if replicate_border else cv2.BORDER_CONSTANT
    return cv2.warpPerspective(frame_rgb, m, (out_size_px, out_size_px), flags=cv2.INTER_LINEAR,
                               borderMode=border, borderValue=(0, 0, 0))


def crop_to_image(points_norm: np.ndarray, roi: Roi) -> np.ndarray:
    """(..., 2) normalised crop coordinates (0..1 over the crop) -> (..., 2) image px."""
    p = np.asarray(points_norm, dtype=np.float64) - 0.5
    c, s = np.cos(roi.rotation_rad), np.sin(roi.rotation_rad)
    x = (c * p[..., 0] - s * p[..., 1]) * roi.size_px + roi.center_px[0]
    y = (s * p[..., 0] + c * p[..., 1]) * roi.size_px + roi.center_px[1]
    return np.stack([x, y], axis=-1)


def image_to_crop(points_px: np.ndarray, roi: Roi) -> np.ndarray:
    """Inverse of crop_to_image: (..., 2) image px -> (..., 2) normalised crop coordinates."""
    d = np.asarray(points_px, dtype=np.float64) - np.asarray(roi.center_px, dtype=np.float64)
    c, s = np.cos(roi.rotation_rad), np.sin(roi.rotation_rad)
    u = (c * d[..., 0] + s * d[..., 1]) / roi.size_px + 0.5
    v = (-s * d[..., 0] + c * d[..., 1]) / roi.size_px + 0.5
    return np.stack([u, v], axis=-1)


def crop_rois(frame_rgb: np.ndarray, rois: list[Roi], out_size_px: int = 256) -> np.ndarray:
    """(N, out, out, 3) float32 RGB in [0, 1]: landmark-model input for each ROI (replicated border)."""
    out = np.empty((len(rois), out_size_px, out_size_px, 3), dtype=np.float32)
    for i, roi in enumerate(rois):
        out[i] = warp_roi(frame_rgb, roi, out_size_px, replicate_border=True)
    out *= np.float32(1.0 / 255.0)
    return out


@dataclass(frozen=True)
class Letterbox:
    """A square region of the image (axis-aligned) resized to the detector input with zero border.

    `roi` is the square in image px (centred on the region; for a whole frame, side max(W, H)).
    """

    roi: Roi

    @classmethod
    def for_region(cls, x0_px: float, y0_px: float, width_px: float, height_px: float) -> "Letterbox":
        """Letterbox of the axis-aligned region (x0, y0, w, h): a square of side max(w, h) centred on it."""
        centre = np.array([x0_px + width_px / 2.0, y0_px + height_px / 2.0])
        return cls(Roi(center_px=centre, size_px=float(max(width_px, height_px)), rotation_rad=0.0))

    def to_image(self, points_norm: np.ndarray) -> np.ndarray:
        """(..., 2) normalised detector-input coordinates (0..1) -> (..., 2) image px."""
        return crop_to_image(points_norm, self.roi)

    def to_input(self, points_px: np.ndarray) -> np.ndarray:
        """(..., 2) image px -> (..., 2) normalised detector-input coordinates."""
        return image_to_crop(points_px, self.roi)


def letterbox(frame_rgb: np.ndarray, out_size_px: int = 224, region: Letterbox | None = None) -> tuple[np.ndarray, Letterbox]:
    """Detector input: (out, out, 3) float32 in [-1, 1] and the Letterbox that inverts it.

    Without `region` the whole frame is letterboxed (centred, zero border before scaling, so the
    border reads -1). With a region (a zoomed tile) the pixels around it come from the image.
    """
    box = region or Letterbox.for_region(0.0, 0.0, frame_rgb.shape[1], frame_rgb.shape[0])
    crop = warp_roi(frame_rgb, box.roi, out_size_px, replicate_border=False)
    tensor = crop.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
    return tensor, box
