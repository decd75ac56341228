"""Plane geometry in image px: boxes, their overlap, and the rotated square ROIs crops
are taken from.

Boxes are (..., 4) xmin, ymin, xmax, ymax in image px. An ROI (types.Roi) is a rotated square in
MediaPipe's convention (see core/image.py for how pixels are sampled from it): normalised crop
coordinates u, v in [0, 1] map to image px by

    p_img = centre_px + R(rotation_rad) @ ((u - 0.5) * size_px, (v - 0.5) * size_px)

with R = [[cos, -sin], [sin, cos]] acting on image axes (x right, y down).
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.types import Roi

ROI_SCALE = 1.25  # MediaPipe's landmark ROI: the body circle's diameter enlarged by 25 %
MIN_ROI_PX = 8.0  # a smaller ROI comes from a collapsed landmark set


def box_iou(a_px: np.ndarray, b_px: np.ndarray) -> np.ndarray:
    """(N, 4) and (M, 4) boxes (a single (4,) box counts as N = 1)
    -> (N, M) intersection over union.

    Empty or inverted boxes have area 0; a pair whose union is empty has IoU 0.
    """
    a = np.asarray(a_px, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b_px, dtype=np.float64).reshape(-1, 4)
    ix = np.clip(
        np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None
    )
    inter = ix * iy
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def points_box(
    points_px: np.ndarray, keep: np.ndarray | None = None, min_kept: int = 4
) -> np.ndarray:
    """(4,) box around (K, 2) points; only the `keep` (K,) bool ones when at least
    `min_kept` are kept."""
    p = np.asarray(points_px, dtype=np.float64)
    if keep is not None and int(np.count_nonzero(keep)) >= min_kept:
        p = p[np.asarray(keep, dtype=bool)]
    return np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])


def point_in_box(point_px: np.ndarray, box_px: np.ndarray | None) -> bool:
    """True when the (2,) point lies inside the (4,) box (borders included); False for no box."""
    if box_px is None:
        return False
    x, y = np.asarray(point_px, dtype=np.float64)
    return bool(box_px[0] <= x <= box_px[2] and box_px[1] <= y <= box_px[3])


def contained_fraction(box_px: np.ndarray, container_px: np.ndarray) -> float:
    """Fraction of `box_px`'s area that lies inside `container_px` (both (4,));
    0 for an empty box."""
    iw = max(0.0, min(box_px[2], container_px[2]) - max(box_px[0], container_px[0]))
    ih = max(0.0, min(box_px[3], container_px[3]) - max(box_px[1], container_px[1]))
    area = max((box_px[2] - box_px[0]) * (box_px[3] - box_px[1]), 1e-9)
    return float(iw * ih / area)


def normalize_radians(angle_rad: float) -> float:
    """Wrap to [-pi, pi)."""
    return float(angle_rad - 2.0 * np.pi * np.floor((angle_rad + np.pi) / (2.0 * np.pi)))


def alignment_roi(
    center_px: np.ndarray, scale_point_px: np.ndarray, scale: float = ROI_SCALE
) -> Roi:
    """MediaPipe's landmark ROI from two alignment points (image px): the detector's keypoints
    0 and 1, or the landmark model's auxiliary points 33 and 34.

    Centre = center_px; side = 2 * |scale_point - centre| * scale; rotation =
    normalize(pi/2 - atan2(-(y1 - y0), x1 - x0)) so the crop's up axis points from centre to
    scale point.
    """
    c = np.asarray(center_px, dtype=np.float64)
    p = np.asarray(scale_point_px, dtype=np.float64)
    side = 2.0 * float(np.hypot(*(p - c))) * scale
    rotation = normalize_radians(np.pi / 2.0 - np.arctan2(-(p[1] - c[1]), p[0] - c[0]))
    return Roi(center_px=c, size_px=side, rotation_rad=rotation)


def roi_is_valid(roi: Roi) -> bool:
    """Finite centre and rotation, side >= MIN_ROI_PX (a collapsed landmark set gives a
    degenerate ROI)."""
    return bool(
        np.all(np.isfinite(roi.center_px))
        and np.isfinite(roi.rotation_rad)
        and np.isfinite(roi.size_px)
        and roi.size_px >= MIN_ROI_PX
    )


def roi_bounds(roi: Roi) -> np.ndarray:
    """(4,) box around the rotated square, image px."""
    half = 0.5 * roi.size_px * (abs(np.cos(roi.rotation_rad)) + abs(np.sin(roi.rotation_rad)))
    c = np.asarray(roi.center_px, dtype=np.float64)
    return np.array([c[0] - half, c[1] - half, c[0] + half, c[1] + half])


def roi_iou(roi: Roi, others: list[Roi]) -> np.ndarray:
    """(M,) IoU of the bounds of `roi` with those of each ROI in `others`."""
    if not others:
        return np.zeros((0,))
    return box_iou(roi_bounds(roi), np.stack([roi_bounds(o) for o in others]))[0]


def square_around(x0_px: float, y0_px: float, width_px: float, height_px: float) -> Roi:
    """Unrotated square ROI of side max(w, h) centred on the axis-aligned region (x0, y0, w, h)."""
    centre = np.array([x0_px + width_px / 2.0, y0_px + height_px / 2.0])
    return Roi(center_px=centre, size_px=float(max(width_px, height_px)), rotation_rad=0.0)


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
