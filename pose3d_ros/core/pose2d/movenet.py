"""Finding people with MoveNet MultiPose Lightning: whole bodies, no face needed.

The converted model (engines/movenet_multipose.onnx, models/tfjs/) takes one RGB image
[1, S, S, 3] (float32 holding whole numbers 0-255, cast to TF.js's int32 inside; S = 256) and
returns [1, 6, 56]: per person slot 17 COCO keypoints as (y, x, score) normalised to the input,
then ymin, xmin, ymax, xmax and the person score. A frame (or a square region of it, a zoomed
tile) is letterboxed into the square, centred with a black border, like the BlazePose detector's
input; results are mapped back to image px.

`MovenetFinder.find` has PersonFinder's contract (pose2d/finder.py), so the estimator can use
either: each person becomes a Detection whose ROI for the BlazePose landmark model comes from its
keypoints (`alignment_points`: mid-hip centre, body radius and the hip -> shoulder direction, the
way the BlazePose detector's keypoints 0 and 1 define it). `people` gives the raw COCO-17 people.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from pose3d_ros.backends.base import InferenceBackend, single_io
from pose3d_ros.core.geometry import alignment_roi, box_iou, crop_to_image, square_around
from pose3d_ros.core.image import warp_roi
from pose3d_ros.core.pose2d.finder import Detection
from pose3d_ros.core.types import Roi
from pose3d_ros.errors import ModelError

MAX_PEOPLE = 6
NUM_KEYPOINTS = 17
# COCO-17 indices
NOSE, L_EYE, R_EYE, L_EAR, R_EAR = 0, 1, 2, 3, 4
L_SHOULDER, R_SHOULDER, L_HIP, R_HIP = 5, 6, 11, 12
HEAD = (NOSE, L_EYE, R_EYE, L_EAR, R_EAR)
KEYPOINT_MIN_SCORE = 0.2  # a keypoint this confident places the landmark ROI
# body radius around the mid-hip = farthest confident keypoint x this (the head top lies beyond
# the eyes and the soles beyond the ankles); the ROI side is then 2 x radius x ROI_SCALE, as
# MediaPipe's detector ROI
RADIUS_MARGIN = 1.15
# a body whose hips are out of view: mid-shoulder -> mid-hip is about 1.3 shoulder widths
# (COCO shoulder keypoints ~0.35 m apart, ~0.5 m above the hip centre) or about 3 head widths
# (ear to ear ~0.15 m)
TORSO_PER_SHOULDER_WIDTH = 1.3
TORSO_PER_HEAD_WIDTH = 3.0
DUPLICATE_IOU = 0.5  # a tile person whose box overlaps a whole-frame one this much is the same


@dataclass(frozen=True)
class MovenetPerson:
    """One person of one MoveNet pass, in image px.

    keypoints_px: (17, 2) COCO-17 x, y; keypoint_scores: (17,) in [0, 1]; box_px: (4,) xmin, ymin,
    xmax, ymax; score: person score in [0, 1]; from_tile: found only in a zoomed tile.
    """

    keypoints_px: np.ndarray
    keypoint_scores: np.ndarray
    box_px: np.ndarray
    score: float
    from_tile: bool = False


def model_input(frame_rgb: np.ndarray, side_px: int, region: Roi | None = None):
    """([1, side, side, 3] float32 RGB 0-255, the square region it shows): the whole frame
    letterboxed (centred, black border) or the square `region` (pixels around it from the
    image)."""
    box = region or square_around(0.0, 0.0, frame_rgb.shape[1], frame_rgb.shape[0])
    crop = warp_roi(frame_rgb, box, side_px, replicate_border=False)
    return crop.astype(np.float32)[None], box


def decode_people(
    output: np.ndarray, region: Roi, min_score: float, from_tile: bool = False
) -> list[MovenetPerson]:
    """The [1, 6, 56] (or [6, 56]) output -> people with score >= min_score, best first."""
    out = np.asarray(output, dtype=np.float64).reshape(-1, 56)
    people = []
    for row in out[np.argsort(-out[:, 55], kind="stable")]:
        if not row[55] >= min_score:
            continue
        kp = row[:51].reshape(NUM_KEYPOINTS, 3)
        xy = crop_to_image(kp[:, [1, 0]], region)
        corners = crop_to_image(np.array([[row[52], row[51]], [row[54], row[53]]]), region)
        box = np.concatenate([corners.min(axis=0), corners.max(axis=0)])
        people.append(MovenetPerson(xy, kp[:, 2].copy(), box, float(row[55]), from_tile))
    return people


def hips_below_shoulders(kp: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """(2,) the mid-hip of a body whose shoulders are confident (ok) and hips are not: one torso
    length below the mid-shoulder, away from the head (the image's down when no head keypoint is
    confident). Torso length: the larger of TORSO_PER_SHOULDER_WIDTH x the shoulder width and
    TORSO_PER_HEAD_WIDTH x the confident head keypoints' spread, so a body seen from the side
    (shoulders overlapping) still gets a full torso."""
    shoulders = kp[[L_SHOULDER, R_SHOULDER]]
    mid = shoulders.mean(axis=0)
    head_ok = ok[list(HEAD)]
    down = np.array([0.0, 1.0])
    head_spread = 0.0
    if head_ok.any():
        head = kp[list(HEAD)][head_ok]
        v = mid - head.mean(axis=0)
        if float(np.hypot(*v)) > 1e-6:
            down = v / float(np.hypot(*v))
        head_spread = float(np.hypot(*(head.max(axis=0) - head.min(axis=0))))
    width = float(np.hypot(*(shoulders[0] - shoulders[1])))
    torso = max(TORSO_PER_SHOULDER_WIDTH * width, TORSO_PER_HEAD_WIDTH * head_spread)
    return mid + torso * down


def alignment_points(person: MovenetPerson) -> tuple[np.ndarray, np.ndarray]:
    """(centre, scale point) in image px for geometry.alignment_roi: the BlazePose detector's
    keypoints 0 (mid-hip) and 1 (|1 - 0| = body radius, 0 -> 1 = the body's up direction).

    Centre: the mid-hip when both hips are confident; else, with both shoulders confident (a
    head-and-shoulders view, hips out of the frame), the mid-hip extrapolated one torso below the
    mid-shoulder (`hips_below_shoulders`), as the BlazePose detector places it; else the centre
    of the confident keypoints' box (else of the person box). Up: mid-hip -> mid-shoulder when
    both pairs are known, else centre -> head keypoints, else the image's up. Radius: the
    farthest confident keypoint from the centre x RADIUS_MARGIN (at least half the person box's
    height).
    """
    kp, ok = person.keypoints_px, person.keypoint_scores >= KEYPOINT_MIN_SCORE
    box = person.box_px
    if ok[L_HIP] and ok[R_HIP]:
        centre = kp[[L_HIP, R_HIP]].mean(axis=0)
    elif ok[L_SHOULDER] and ok[R_SHOULDER]:
        centre = hips_below_shoulders(kp, ok)
    elif ok.sum() >= 2:
        pts = kp[ok]
        centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    else:
        centre = 0.5 * (box[:2] + box[2:])
    up = np.array([0.0, -1.0])
    if ok[L_SHOULDER] and ok[R_SHOULDER]:
        v = kp[[L_SHOULDER, R_SHOULDER]].mean(axis=0) - centre
    elif ok[list(HEAD)].any():
        v = kp[list(HEAD)][ok[list(HEAD)]].mean(axis=0) - centre
    else:
        v = up
    norm = float(np.hypot(*v))
    if norm > 1e-6:
        up = v / norm
    dists = np.hypot(*(kp[ok] - centre).T) if ok.any() else np.zeros(1)
    radius = max(float(dists.max()) * RADIUS_MARGIN, 0.5 * float(box[3] - box[1]))
    return centre, centre + radius * up


def head_box(person: MovenetPerson) -> np.ndarray:
    """(4,) a box around the confident head keypoints (the top tenth of the person box when
    none is): stands in for the BlazePose detector's face box."""
    ok = person.keypoint_scores[list(HEAD)] >= KEYPOINT_MIN_SCORE
    if ok.sum() >= 2:
        pts = person.keypoints_px[list(HEAD)][ok]
        return np.concatenate([pts.min(axis=0), pts.max(axis=0)])
    x0, y0, x1, y1 = person.box_px
    return np.array([x0, y0, x1, y0 + 0.1 * (y1 - y0)])


def to_detection(person: MovenetPerson) -> Detection:
    """A finder Detection: head box, BlazePose-style keypoints 0-3, the landmark ROI."""
    centre, scale_point = alignment_points(person)
    ok = person.keypoint_scores >= KEYPOINT_MIN_SCORE
    shoulders = (
        person.keypoints_px[[L_SHOULDER, R_SHOULDER]].mean(axis=0)
        if ok[L_SHOULDER] and ok[R_SHOULDER]
        else centre
    )
    upper = shoulders + 0.5 * (scale_point - centre)
    keypoints = np.stack([centre, scale_point, shoulders, upper])
    return Detection(
        score=person.score,
        face_box_px=head_box(person),
        keypoints_px=keypoints,
        roi=alignment_roi(centre, scale_point),
        from_tile=person.from_tile,
    )


class MovenetFinder:
    """PersonFinder's interface over MoveNet MultiPose: find() -> Detections, people() -> the
    COCO-17 people. One model run per region (whole frame, then each tile); tile people whose
    box overlaps a whole-frame person's (IoU > DUPLICATE_IOU) are dropped. Thread-safe like
    PersonFinder (runs take turns unless the backend declares `concurrent_runs`)."""

    def __init__(self, backend: InferenceBackend, min_score: float):
        (self._input, shape), (self._output, out_shape) = single_io(backend, "MoveNet MultiPose")
        if (
            len(shape) != 4
            or shape[1] != shape[2]
            or shape[1] <= 0
            or tuple(out_shape[-1:]) != (56,)
        ):
            raise ModelError(
                f"MoveNet MultiPose: expected input [1, S, S, 3] and output [1, 6, 56], got "
                f"{shape} and {out_shape}"
            )
        self._backend = backend
        self._side_px = int(shape[1])
        self._min_score = float(min_score)
        concurrent = getattr(backend, "concurrent_runs", False)
        self._turns = nullcontext() if concurrent else threading.Lock()
        self.concurrent_runs = bool(concurrent)  # may run on two threads at once (scan.py)
        self.calls = 0  # number of frames it ran on (for tracking statistics, as PersonFinder's)

    def people(self, frame_rgb: np.ndarray, tiles: list[Roi] = ()) -> list[MovenetPerson]:
        """People of the whole frame (best first), then new ones from `tiles`."""
        found: list[MovenetPerson] = []
        self.calls += 1
        for k, region in enumerate([None, *tiles]):
            x, box = model_input(frame_rgb, self._side_px, region)
            with self._turns:
                out = self._backend.run({self._input: x})[self._output]
            for p in decode_people(out, box, self._min_score, from_tile=k > 0):
                if (
                    k
                    and found
                    and np.any(
                        box_iou(p.box_px, np.stack([f.box_px for f in found]))[0] > DUPLICATE_IOU
                    )
                ):
                    continue
                found.append(p)
        return found

    def find(self, frame_rgb: np.ndarray, tiles: list[Roi] = ()) -> list[Detection]:
        """PersonFinder.find's contract: Detections in image px, whole frame first."""
        return [to_detection(p) for p in self.people(frame_rgb, tiles)]

    def close(self) -> None:
        """Release the model."""
        self._backend.close()


class UnionFinder:
    """Both finders: the BlazePose detector's detections (whole frame + tiles), then MoveNet's
    people on the whole frame (person_finder "both"). Repeats of one person are left to the
    landmark-level suppression after the landmark model (people.select_people)."""

    def __init__(self, detector_finder, movenet_finder: MovenetFinder):
        self._finders = (detector_finder, movenet_finder)
        self.concurrent_runs = all(
            bool(getattr(f, "concurrent_runs", False)) for f in self._finders
        )

    @property
    def calls(self) -> int:
        return sum(f.calls for f in self._finders)

    def find(self, frame_rgb: np.ndarray, tiles: list[Roi] = ()) -> list[Detection]:
        detector, movenet = self._finders
        return detector.find(frame_rgb, tiles) + movenet.find(frame_rgb)

    def close(self) -> None:
        self._finders[1].close()
