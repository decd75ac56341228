"""Which landmark results are people: presence thresholds, one result per person, no tile ghosts,
evidence that a track is still its person, and evidence that a new person is real.

Zoomed detector tiles and re-detections give several crops of one body; the landmark model then
returns confident poses lying on top of each other. These rules keep one per person: tracked
people first (a re-detection never takes over a track), then new whole-frame detections, then
tile-only detections, each by best presence. Two people are one only when their landmarks agree
(same_person) or their visible-landmark boxes nearly coincide: neighbours in a crowd, whose
square crops overlap heavily, stay two people.

A tracked crop continues its track only when the new pose is the same body as last frame's
(`continues`: landmarks moved little for the body's size, size about the same). The size change
is measured on the landmarks visible in both frames (`size_ratio`), not on each frame's visible
box: a COCO-17 model (MoveNet Thunder / Lightning) scores a partly hidden person's lower body
around the visibility threshold, so its visible box halves or doubles from frame to frame while
the body does not (street clip, thunder: box ratio p5 0.55, common-landmark ratio p5 0.95).

A new person is reported only when `confirmed`: cropped again from its own auxiliary landmarks, the
landmark model still sees a person there, in the same place. On the COCO photos (dev/eval2d)
phantoms on a pizza, an elephant's eye, a wave or a cut-off frame move 0.11-0.49 body sizes or drop
to presence 0.54-0.67 on that second look, real people <= 0.074 and >= 0.89. `plausible` drops poses
smaller than a few px or lying mostly outside the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.geometry import box_iou, contained_fraction, point_in_box, points_box
from pose3d_ros.core.types import Pose2D, Roi

MIN_VISIBILITY = 0.5  # landmarks this visible define a pose's box and its agreement with another
MAX_CONFIRM_SHIFT = 0.1  # confirmed: median landmark shift on the second look, x body size
MAX_TRACK_SHIFT = 0.35  # continues: median landmark move between frames, x body size
MAX_TRACK_SCALE = 1.6  # continues: body size (size_ratio) may change by at most this factor
MIN_BODY_PX = 16.0  # plausible: visible-landmark box side at least this long
MIN_INSIDE = 0.5  # plausible: at least this fraction of the visible-landmark box in the frame


@dataclass(frozen=True)
class Candidate:
    """A crop the landmark model runs on: a tracked person's next ROI, or a new detection's.

    key: the ROI track's number (new keys for new detections); tile_face_px: (2,) face-box centre of
    a detection found only in a zoomed tile, else None; previous: a tracked person's pose on the
    last frame (the evidence `continues` compares with).
    """

    key: int
    roi: Roi
    tracked: bool
    tile_face_px: np.ndarray | None = None
    previous: Pose2D | None = None


def visible_box(pose: Pose2D) -> np.ndarray:
    """(4,) box of the landmarks with visibility >= 0.5 (all 33 if fewer than 4 qualify), px."""
    return points_box(pose.keypoints_px, pose.visibility >= MIN_VISIBILITY)


def body_size_px(pose: Pose2D) -> float:
    """The longer side of the pose's visible-landmark box, px (>= 1)."""
    box = visible_box(pose)
    return max(float(box[2] - box[0]), float(box[3] - box[1]), 1.0)


def median_shift(a: Pose2D, b: Pose2D) -> float:
    """Median distance between the two poses' landmarks visible in both (all 33 if fewer than 4),
    as a fraction of a's body size."""
    both = _common_landmarks(a, b)
    d = np.linalg.norm(a.keypoints_px[both] - b.keypoints_px[both], axis=-1)
    return float(np.median(d)) / body_size_px(a)


def _common_landmarks(a: Pose2D, b: Pose2D) -> np.ndarray:
    """(33,) bool: the landmarks visible (>= 0.5) in both poses, all of them if fewer than 4."""
    both = (a.visibility >= MIN_VISIBILITY) & (b.visibility >= MIN_VISIBILITY)
    return both if both.sum() >= 4 else np.ones_like(both)


def size_ratio(previous: Pose2D, current: Pose2D) -> float:
    """How much the body grew from `previous` to `current`: the ratio of the RMS distances of
    the landmarks visible in both (all 33 if fewer than 4) to their centroid, current /
    previous. The same landmarks on both sides, so a landmark that is visible in one frame only
    does not change it."""
    both = _common_landmarks(previous, current)

    def spread_px(pose: Pose2D) -> float:
        p = pose.keypoints_px[both]
        return max(float(np.sqrt(np.mean(np.sum((p - p.mean(axis=0)) ** 2, axis=-1)))), 1e-6)

    return spread_px(current) / spread_px(previous)


def continues(previous: Pose2D, current: Pose2D) -> bool:
    """Evidence that a tracked crop still holds last frame's person: the landmarks moved at most
    MAX_TRACK_SHIFT body sizes (median) and the body size changed by at most MAX_TRACK_SCALE
    (size_ratio)."""
    ratio = size_ratio(previous, current)
    return (
        1.0 / MAX_TRACK_SCALE <= ratio <= MAX_TRACK_SCALE
        and median_shift(previous, current) <= MAX_TRACK_SHIFT
    )


def confirmed(first: Pose2D, again: Pose2D, min_presence: float) -> bool:
    """Evidence that a new person is real: `again`, the landmark model's second look from the
    first pose's own auxiliary landmarks, has presence >= min_presence and its landmarks moved at
    most MAX_CONFIRM_SHIFT body sizes (median)."""
    return again.score >= min_presence and median_shift(first, again) <= MAX_CONFIRM_SHIFT


def plausible(pose: Pose2D, width_px: int, height_px: int) -> bool:
    """A pose can be a person in this frame: its visible-landmark box is at least MIN_BODY_PX on
    its longer side and at least MIN_INSIDE of it lies inside the frame."""
    box = visible_box(pose)
    if not np.all(np.isfinite(box)) or body_size_px(pose) < MIN_BODY_PX:
        return False
    return contained_fraction(box, np.array([0.0, 0.0, width_px, height_px])) >= MIN_INSIDE


def same_person(a: Pose2D, b: Pose2D, dist_frac: float = 0.1, min_agree: float = 0.5) -> bool:
    """True when two poses describe one person: of the landmarks visible (>= 0.5) in both (all 33 if
    fewer than 4), at least `min_agree` lie within dist_frac x the larger visible box's longer side.

    Works where box IoU does not: a zoomed tile that saw only the upper body gives a second, smaller
    pose whose shoulders, elbows and face coincide with the full-body pose's.
    """
    both = (a.visibility >= MIN_VISIBILITY) & (b.visibility >= MIN_VISIBILITY)
    if both.sum() < 4:
        both = np.ones_like(both)
    boxes = np.stack([visible_box(a), visible_box(b)])
    scale = float(np.max(np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])))
    d = np.linalg.norm(a.keypoints_px[both] - b.keypoints_px[both], axis=-1)
    return bool(np.mean(d <= dist_frac * max(scale, 1.0)) >= min_agree)


def duplicates(a: Pose2D, b: Pose2D, iou_threshold: float) -> bool:
    """True when the visible boxes overlap by IoU > iou_threshold or the landmarks agree
    (same_person)."""
    return bool(box_iou(visible_box(a), visible_box(b))[0, 0] > iou_threshold) or same_person(a, b)


def part_of(
    pose: Pose2D, face_center_px: np.ndarray, other: Pose2D, min_contained: float = 0.75
) -> bool:
    """True when `pose`, found only in a zoomed detector tile, looks like a piece of `other`'s body.

    Zoomed tiles make the detector see a "person" in part of a body (an arm, a torso, upside down);
    the landmark model then gives it a confident pose lying on `other`. Test: the tile detection's
    face-box centre (image px) lies inside `other`'s visible box, or at least `min_contained` of
    `pose`'s visible-box area does. On the COCO / sample photos ghosts score >= 0.8 and real
    neighbours (side by side, partly overlapping) <= 0.67.
    """
    box = visible_box(other)
    return (
        point_in_box(face_center_px, box)
        or contained_fraction(visible_box(pose), box) >= min_contained
    )


def select_people(
    cands: list[Candidate],
    poses: list[Pose2D],
    min_presence: float,
    min_new_presence: float,
    duplicate_iou: float,
) -> list[int]:
    """Indices (ascending) of the poses to report, one per person.

    A tracked candidate needs presence >= min_presence, a new one >= max(min_presence,
    min_new_presence). Visiting tracked, then whole-frame, then tile-only candidates, each by best
    presence: a pose that duplicates an earlier one is dropped, and a tile-only pose that is
    part_of a kept person is dropped.
    """

    def needed(c: Candidate) -> float:
        return min_presence if c.tracked else max(min_presence, min_new_presence)

    present = [i for i, (c, p) in enumerate(zip(cands, poses)) if p.score >= needed(c)]
    present.sort(
        key=lambda i: (not cands[i].tracked, cands[i].tile_face_px is not None, -poses[i].score)
    )
    unique: list[int] = []
    kept: list[int] = []
    for i in present:
        if any(duplicates(poses[i], poses[k], duplicate_iou) for k in unique):
            continue
        unique.append(i)
        face = cands[i].tile_face_px
        if face is not None and any(part_of(poses[i], face, poses[k]) for k in kept):
            continue
        kept.append(i)
    return sorted(kept)
