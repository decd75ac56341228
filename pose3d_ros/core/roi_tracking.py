"""ROI geometry for tracking people across frames: next-frame ROIs, overlap tests, detector tiles.

MediaPipe tracks one person by cropping the next frame where the auxiliary landmarks 33 (centre)
and 34 (size/rotation point) of this frame say the body is, with the same rule the detector ROI
uses. We do that for every tracked person, and use overlaps to keep one track per person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.detect import alignment_roi, box_iou
from pose3d_ros.core.preprocess import Letterbox
from pose3d_ros.core.types import Pose2D, Roi


def roi_from_aux(aux_px: np.ndarray) -> Roi:
    """Next-frame ROI from (2, 2) auxiliary landmarks (33: centre, 34: scale/rotation point), image px."""
    return alignment_roi(aux_px[0], aux_px[1])


MIN_ROI_PX = 8.0


def roi_is_valid(roi: Roi) -> bool:
    """Finite centre and rotation, side >= MIN_ROI_PX (a collapsed landmark set gives a degenerate ROI)."""
    return bool(np.all(np.isfinite(roi.center_px)) and np.isfinite(roi.rotation_rad)
                and np.isfinite(roi.size_px) and roi.size_px >= MIN_ROI_PX)


def roi_bounds(roi: Roi) -> np.ndarray:
    """(4,) xmin, ymin, xmax, ymax (image px) of the axis-aligned box around the rotated square."""
    half = 0.5 * roi.size_px * (abs(np.cos(roi.rotation_rad)) + abs(np.sin(roi.rotation_rad)))
    c = np.asarray(roi.center_px, dtype=np.float64)
    return np.array([c[0] - half, c[1] - half, c[0] + half, c[1] + half])


def roi_iou(a: Roi, others: list[Roi]) -> np.ndarray:
    """(M,) IoU of the axis-aligned bounds of ROI `a` with each ROI in `others`."""
    if not others:
        return np.zeros((0,))
    return box_iou(roi_bounds(a), np.stack([roi_bounds(o) for o in others]))


def keypoint_box(pose: Pose2D, min_visibility: float = 0.5) -> np.ndarray:
    """(4,) box of the landmarks with visibility >= min_visibility (all 33 if fewer than 4 qualify)."""
    k = pose.keypoints_px[pose.visibility >= min_visibility]
    if k.shape[0] < 4:
        k = pose.keypoints_px
    return np.array([k[:, 0].min(), k[:, 1].min(), k[:, 0].max(), k[:, 1].max()])


def same_person(a: Pose2D, b: Pose2D, dist_frac: float = 0.1, min_agree: float = 0.5) -> bool:
    """True when two poses describe one person: of the landmarks visible (>= 0.5) in both (all 33 if
    fewer than 4), at least `min_agree` lie within dist_frac x the larger keypoint box's longer side.

    Works where box IoU does not: a zoomed tile that saw only the upper body gives a second, smaller
    pose whose shoulders, elbows and face coincide with the full-body pose's.
    """
    both = (a.visibility >= 0.5) & (b.visibility >= 0.5)
    if both.sum() < 4:
        both = np.ones_like(both)
    boxes = np.stack([keypoint_box(a), keypoint_box(b)])
    scale = float(np.max(np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])))
    d = np.linalg.norm(a.keypoints_px[both] - b.keypoints_px[both], axis=-1)
    return bool(np.mean(d <= dist_frac * max(scale, 1.0)) >= min_agree)


def part_of(pose: Pose2D, face_center_px: np.ndarray, other: Pose2D, min_contained: float = 0.75) -> bool:
    """True when `pose`, found only in a zoomed detector tile, looks like a piece of `other`'s body.

    Zoomed tiles make the detector see a "person" in part of a body (an arm, a torso, upside down);
    the landmark model then gives it a confident pose lying on `other`. Test: the tile detection's
    face-box centre (image px) lies inside `other`'s keypoint box, or at least `min_contained` of
    `pose`'s keypoint-box area does. On the COCO / sample photos ghosts score >= 0.8 and real
    neighbours (side by side, partly overlapping) <= 0.67.
    """
    box = keypoint_box(other)
    fx, fy = np.asarray(face_center_px, dtype=np.float64)
    if box[0] <= fx <= box[2] and box[1] <= fy <= box[3]:
        return True
    own = keypoint_box(pose)
    iw = max(0.0, min(own[2], box[2]) - max(own[0], box[0]))
    ih = max(0.0, min(own[3], box[3]) - max(own[1], box[1]))
    area = max((own[2] - own[0]) * (own[3] - own[1]), 1e-9)
    return bool(iw * ih / area >= min_contained)


def suppress_duplicates(poses: list[Pose2D], iou_threshold: float, order: list[int] | None = None) -> list[int]:
    """Indices of `poses` to keep (ascending). Poses are visited in `order` (default: best presence
    first); one that is the same person as a kept one (same_person, or keypoint-box IoU >
    iou_threshold) is dropped."""
    if order is None:
        order = sorted(range(len(poses)), key=lambda i: -poses[i].score)
    kept: list[int] = []
    for i in order:
        if kept:
            ious = box_iou(keypoint_box(poses[i]), np.stack([keypoint_box(poses[j]) for j in kept]))
            if np.any(ious > iou_threshold) or any(same_person(poses[i], poses[j]) for j in kept):
                continue
        kept.append(i)
    return sorted(kept)


def tile_regions(width_px: int, height_px: int, grid: int, overlap: float = 0.25) -> list[Letterbox]:
    """Square detector regions: a grid x grid cover of the frame with `overlap` (fraction of a tile),
    each tile a square of side max(tile w, tile h) so small people appear larger to the detector."""
    if grid <= 1:
        return []
    tw = width_px / (grid - (grid - 1) * overlap)
    th = height_px / (grid - (grid - 1) * overlap)
    regions = []
    for r in range(grid):
        for c in range(grid):
            x0 = c * tw * (1.0 - overlap)
            y0 = r * th * (1.0 - overlap)
            regions.append(Letterbox.for_region(x0, y0, tw, th))
    return regions


@dataclass(frozen=True)
class Track:
    """A tracked person: stable id, the ROI to crop on the next frame, and this frame's keypoint box
    ((4,) xmin, ymin, xmax, ymax image px, keypoint_box(); None if unknown)."""

    track_id: int
    next_roi: Roi
    keypoint_box_px: np.ndarray | None = None


@dataclass(frozen=True)
class AuxFilterConfig:
    """MediaPipe's one-euro filter on the auxiliary landmarks that place the next frame's crop.

    mp.solutions.pose (0.10.21) always applies it, even with smooth_landmarks=False: min_cutoff
    0.01 Hz, beta 10, derivative cutoff 1 Hz, speed scaled by 1 / object scale (the side of the
    square the RAW aux pair spans, 2 |p34 - p33| px), at a fixed 30 Hz (mp.solutions feeds
    simulated timestamps 33333 us apart, whatever the real frame rate).
    """

    min_cutoff_hz: float = 0.01
    beta: float = 10.0
    derivative_cutoff_hz: float = 1.0
    frequency_hz: float = 30.0


def _alpha(cutoff_hz: np.ndarray | float, frequency_hz: float) -> np.ndarray | float:
    """Exponential smoothing factor 1 / (1 + tau / te), tau = 1 / (2 pi cutoff), te = 1 / frequency."""
    return 1.0 / (1.0 + frequency_hz / (2.0 * np.pi * cutoff_hz))


class AuxSmoother:
    """One one-euro filter state per track over its (2, 2) auxiliary landmarks (image px).

    smooth(track_id, aux_px) -> smoothed (2, 2) copy; the first sample of a track passes unchanged.
    keep_only(ids) forgets the other tracks; reset() forgets all.
    """

    def __init__(self, config: AuxFilterConfig | None = None):
        self.config = config or AuxFilterConfig()
        self._state: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # raw, filtered, d filtered

    def reset(self) -> None:
        self._state = {}

    def keep_only(self, track_ids) -> None:
        ids = set(track_ids)
        self._state = {k: v for k, v in self._state.items() if k in ids}

    def smooth(self, track_id: int, aux_px: np.ndarray) -> np.ndarray:
        c = self.config
        x = np.array(aux_px, dtype=np.float64)
        scale_px = 2.0 * float(np.hypot(*(x[1] - x[0])))
        prev = self._state.get(track_id)
        if prev is None or not scale_px > 1e-6 or not np.all(np.isfinite(x)):
            self._state[track_id] = (x, x.copy(), np.zeros_like(x))
            return x
        last_raw, last_out, last_d = prev
        d = (x - last_raw) * (c.frequency_hz / scale_px)
        a_d = _alpha(c.derivative_cutoff_hz, c.frequency_hz)
        ed = a_d * d + (1.0 - a_d) * last_d
        a = _alpha(c.min_cutoff_hz + c.beta * np.abs(ed), c.frequency_hz)
        out = a * x + (1.0 - a) * last_out
        self._state[track_id] = (x, out, ed)
        return out.copy()
