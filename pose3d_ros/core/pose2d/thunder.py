"""MoveNet Thunder as the keypoint model (Pose2DConfig.landmark_model "thunder"): 17 COCO
keypoints per person ROI, placed in the 33 BlazePose slots so the rest of the stage (people.py,
roi_tracker.py, skeleton.blazepose_to_h36m) reads them like BlazePose landmarks.

The converted model (engines/movenet_thunder.onnx, `pose3d_models --movenet-thunder`, models/tfjs/)
takes one RGB crop [1, 256, 256, 3] (float32 holding whole numbers 0-255) and returns
[1, 1, 17, 3]: COCO-17 keypoints as (y, x, score), y and x normalised to the crop. Each ROI is
cropped upright around its centre with its side (the ROI's rotation is not used: measured in
docs/pose2d.md "Thunder keypoints"), black outside the image like MoveNet's own padding.

What the slots hold (`coco17_to_blazepose`): nose, eyes, ears, shoulders, elbows, wrists, hips,
knees and ankles are Thunder's own keypoints, visibility and presence = its keypoint score; every
other BlazePose slot copies its nearest mapped keypoint (eye inner / outer = eye, mouth = nose,
hand points = wrist, heel and foot index = ankle) with visibility and presence 0, so nothing reads
it as seen. depth_rel is 0 (Thunder has no depth) and world_m None (no 3D: source3d "direct" and
"fused" then use the lifter for these people, core/pose3d/source3d.py).

The person score (`person_score`) and the next frame's ROI points (aux_px: mid-hip and scale
point, as the BlazePose detector's keypoints 0 and 1, from movenet.alignment_points) come from
the keypoints and their scores.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.geometry import crop_to_image, points_box
from pose3d_ros.core.image import warp_roi
from pose3d_ros.core.pose2d.movenet import KEYPOINT_MIN_SCORE, MovenetPerson, alignment_points
from pose3d_ros.core.skeleton import BLAZEPOSE_TO_COCO17
from pose3d_ros.core.types import Pose2D, Roi
from pose3d_ros.errors import ModelError

NUM_COCO = 17
NUM_BLAZEPOSE = 33
# BlazePose slot -> the COCO-17 keypoint it holds (its own, or the nearest mapped one it copies)
BLAZEPOSE_FROM_COCO17 = np.array(
    [
        0,  # nose
        1, 1, 1,  # left eye inner, eye, outer
        2, 2, 2,  # right eye inner, eye, outer
        3, 4,  # ears
        0, 0,  # mouth left, right: the nose
        5, 6, 7, 8, 9, 10,  # shoulders, elbows, wrists
        9, 10, 9, 10, 9, 10,  # pinky, index, thumb: the wrist
        11, 12, 13, 14, 15, 16,  # hips, knees, ankles
        15, 16, 15, 16,  # heels, foot index: the ankle
    ]
)  # fmt: skip
# True where the slot is Thunder's own keypoint (skeleton.BLAZEPOSE_TO_COCO17's slots)
DIRECT_SLOTS = np.zeros(NUM_BLAZEPOSE, dtype=bool)
DIRECT_SLOTS[BLAZEPOSE_TO_COCO17] = True
# person_score = sigmoid(SCORE_SLOPE * (mean of the SCORE_TOP_K best keypoint scores - SCORE_MID)):
# the logistic fitted (maximum likelihood, rounded) on Thunder's crops of the 141 annotated people
# with >= 5 labelled keypoints on coco + coco_mini against 224 crops of their background
# (`python -m dev.eval2d_finders --thunder-score-fit`: mid 0.366, slope 18.1), so that the
# stage's presence thresholds (min_presence 0.5, min_new_presence 0.8) mean for Thunder about
# what they mean for BlazePose's presence probability
SCORE_TOP_K = 5
SCORE_MID = 0.37
SCORE_SLOPE = 18.0
# keypoint_visibility = sigmoid(VIS_SLOPE * (keypoint score - VIS_MID)): the logistic fitted (the
# same command: kp_mid 0.407, kp_slope 7.0) to whether each keypoint of those 141 people lies
# within keypoint OKS 0.5 of its label, so that people.py's "visible" (>= 0.5) means for Thunder
# what it means for BlazePose's visibility
VIS_MID = 0.41
VIS_SLOPE = 7.0


def coco17_to_blazepose(
    keypoints_px: np.ndarray, keypoint_scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(..., 17, 2) COCO-17 keypoints + (..., 17) scores -> ((..., 33, 2) BlazePose slots,
    (..., 33) visibility): the own slots take the keypoint and its score, the others copy the
    nearest mapped keypoint with visibility 0."""
    kp = np.asarray(keypoints_px, dtype=np.float64)
    sc = np.asarray(keypoint_scores, dtype=np.float64)
    if kp.shape[-2:] != (NUM_COCO, 2) or sc.shape != kp.shape[:-1]:
        raise ValueError(
            f"expected (..., 17, 2) keypoints and (..., 17) scores, got {kp.shape}, {sc.shape}"
        )
    return kp[..., BLAZEPOSE_FROM_COCO17, :], np.where(
        DIRECT_SLOTS, sc[..., BLAZEPOSE_FROM_COCO17], 0.0
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -80.0, 80.0)))


def keypoint_visibility(keypoint_scores: np.ndarray) -> np.ndarray:
    """(..., 17) Thunder keypoint scores -> (...,17) probabilities that each keypoint is seen
    where it is (see VIS_MID): Thunder scores a clearly seen keypoint 0.5-0.8, BlazePose's
    visibility is >= 0.9 there, and the stage reads >= 0.5 as seen."""
    return _sigmoid(VIS_SLOPE * (np.asarray(keypoint_scores, dtype=np.float64) - VIS_MID))


def top_k_mean(keypoint_scores: np.ndarray, k: int = SCORE_TOP_K) -> float:
    """The mean of the k best of a person's keypoint scores."""
    s = np.sort(np.asarray(keypoint_scores, dtype=np.float64).reshape(-1))[::-1]
    return float(s[:k].mean())


def person_score(keypoint_scores: np.ndarray) -> float:
    """A person's presence probability in [0, 1] from its 17 keypoint scores (see SCORE_MID).

    The best few, not all 17: a person seen only down to the waist or from the side has a few
    confident keypoints and low scores on the rest. Rescaled, not raw: Thunder scores a clearly
    seen keypoint 0.5-0.8, so a raw mean would fail min_new_presence 0.8 on nearly every person.
    """
    return float(_sigmoid(SCORE_SLOPE * (top_k_mean(keypoint_scores) - SCORE_MID)))


def aux_points(keypoints_px: np.ndarray, keypoint_scores: np.ndarray) -> np.ndarray:
    """(2, 2) px: the next frame's ROI points (mid-hip, scale point) from COCO-17 keypoints, by
    movenet.alignment_points over a person whose box is the confident keypoints' box (all 17
    when fewer than 4 are confident)."""
    kp = np.asarray(keypoints_px, dtype=np.float64)
    sc = np.asarray(keypoint_scores, dtype=np.float64)
    box = points_box(kp, sc >= KEYPOINT_MIN_SCORE)
    centre, scale_point = alignment_points(MovenetPerson(kp, sc, box, person_score(sc)))
    return np.stack([centre, scale_point])


def crop_roi(roi: Roi, upright: bool = True) -> Roi:
    """The square Thunder sees for `roi`: its centre and side, upright (else `roi` itself)."""
    if not upright:
        return roi
    return Roi(np.asarray(roi.center_px, dtype=np.float64), float(roi.size_px), 0.0)


class ThunderModel:
    """The LandmarkModel contract (estimate(frame_rgb, rois) -> list[Pose2D], calls, close())
    over MoveNet Thunder: one model run per ROI (the converted model takes batch 1).

    upright: crop each ROI upright (the stage's choice, docs/pose2d.md "Thunder keypoints");
    False turns the crop by the ROI's rotation, as the BlazePose landmark model's.
    """

    def __init__(self, backend: InferenceBackend, upright: bool = True):
        if len(backend.input_shapes) != 1 or len(backend.output_shapes) != 1:
            raise ModelError("MoveNet Thunder must have one input and one output")
        (self._input, shape), (self._output, out_shape) = (
            next(iter(backend.input_shapes.items())),
            next(iter(backend.output_shapes.items())),
        )
        if (
            len(shape) != 4
            or shape[1] != shape[2]
            or shape[1] <= 0
            or tuple(out_shape[-2:])
            != (
                NUM_COCO,
                3,
            )
        ):
            raise ModelError(
                f"MoveNet Thunder: expected input [1, S, S, 3] and output [1, 1, 17, 3], got "
                f"{shape} and {out_shape}"
            )
        self._backend = backend
        self._side_px = int(shape[1])
        self._upright = bool(upright)
        self.calls = 0  # number of model runs (one per ROI)

    def estimate(self, frame_rgb: np.ndarray, rois: list[Roi]) -> list[Pose2D]:
        """One Pose2D per ROI, in the same order (frame already validated)."""
        poses = []
        for roi in rois:
            square = crop_roi(roi, self._upright)
            x = warp_roi(frame_rgb, square, self._side_px, replicate_border=False)
            out = self._backend.run({self._input: x.astype(np.float32)[None]})[self._output]
            self.calls += 1
            yxs = np.asarray(out, dtype=np.float64).reshape(NUM_COCO, 3)
            kp = crop_to_image(yxs[:, [1, 0]], square)
            scores = np.clip(yxs[:, 2], 0.0, 1.0)
            kp33, vis33 = coco17_to_blazepose(kp, keypoint_visibility(scores))
            poses.append(
                Pose2D(
                    keypoints_px=kp33,
                    depth_rel=np.zeros(NUM_BLAZEPOSE),
                    visibility=vis33,
                    presence=vis33.copy(),
                    score=person_score(scores),
                    roi=roi,
                    aux_px=aux_points(kp, scores),
                    world_m=None,
                )
            )
        return poses

    def close(self) -> None:
        """Release the model."""
        self._backend.close()
