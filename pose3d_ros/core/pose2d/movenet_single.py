"""MoveNet single-pose as the keypoint model (Pose2DConfig.landmark_model "thunder" or
"lightning"): 17 COCO keypoints per person ROI, placed in the 33 BlazePose slots so the rest of
the stage (people.py, roi_tracker.py, skeleton.blazepose_to_h36m) reads them like BlazePose
landmarks. One class for both models; the model file decides: Thunder takes a 256 x 256 crop,
Lightning (the same design, about 3x cheaper) 192 x 192, and each has its own score calibration
(`CALIBRATIONS`, chosen by the input side).

The converted models (engines/movenet_thunder.onnx, movenet_lightning.onnx; `pose3d_models
--movenet-thunder` / `--movenet-lightning`, models/tfjs/) take one RGB crop [1, S, S, 3] (float32
holding whole numbers 0-255) and return [1, 1, 17, 3]: COCO-17 keypoints as (y, x, score), y and
x normalised to the crop. Each ROI is cropped upright around its centre with its side (the ROI's
rotation is not used: measured in docs/pose2d.md "Thunder keypoints"), black outside the image
like MoveNet's own padding.

What the slots hold (`coco17_to_blazepose`): nose, eyes, ears, shoulders, elbows, wrists, hips,
knees and ankles are the model's own keypoints, visibility and presence = the calibrated keypoint
score; every other BlazePose slot copies its nearest mapped keypoint (eye inner / outer = eye,
mouth = nose, hand points = wrist, heel and foot index = ankle) with visibility and presence 0,
so nothing reads it as seen. depth_rel is 0 (no depth) and world_m None (no 3D: source3d "direct"
and "fused" then use the lifter for these people, core/pose3d/source3d.py).

The person score (`person_score`) and the next frame's ROI points (aux_px: mid-hip and scale
point, as the BlazePose detector's keypoints 0 and 1, from movenet.alignment_points) come from
the keypoints and their scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.backends.base import InferenceBackend, single_io
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
# True where the slot is the model's own keypoint (skeleton.BLAZEPOSE_TO_COCO17's slots)
DIRECT_SLOTS = np.zeros(NUM_BLAZEPOSE, dtype=bool)
DIRECT_SLOTS[BLAZEPOSE_TO_COCO17] = True


@dataclass(frozen=True)
class ScoreCalibration:
    """A single-pose model's logistics: keypoint visibility = sigmoid(vis_slope (keypoint score -
    vis_mid)); person score = sigmoid(score_slope (mean of the top_k best keypoint scores -
    score_mid)). Fitted per model by `python -m dev.eval2d_finders --movenet-score-fit MODEL`
    (maximum likelihood, rounded): the person logistic on the model's crops of the 141 annotated
    people with >= 5 labelled keypoints on coco + coco_mini against 224 crops of their
    background, the visibility logistic on whether each keypoint of those people lies within
    keypoint OKS 0.5 of its label. So the stage's gates (min_presence 0.5, min_new_presence 0.8,
    people.py's "visible" >= 0.5) mean for these models what they mean for BlazePose."""

    score_mid: float
    score_slope: float
    vis_mid: float
    vis_slope: float
    top_k: int = 5


# Thunder: person mid 0.366, slope 18.1; keypoints mid 0.407, slope 7.0
THUNDER = ScoreCalibration(score_mid=0.37, score_slope=18.0, vis_mid=0.41, vis_slope=7.0)
# Lightning: person mid 0.352, slope 18.6; keypoints mid 0.417, slope 8.2
LIGHTNING = ScoreCalibration(score_mid=0.35, score_slope=19.0, vis_mid=0.42, vis_slope=8.0)
# the model's input side, px -> its calibration (the model file decides)
CALIBRATIONS = {256: THUNDER, 192: LIGHTNING}


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


def keypoint_visibility(
    keypoint_scores: np.ndarray, calibration: ScoreCalibration = THUNDER
) -> np.ndarray:
    """(..., 17) keypoint scores -> (..., 17) probabilities that each keypoint is seen where it
    is (ScoreCalibration): Thunder scores a clearly seen keypoint 0.5-0.8, BlazePose's
    visibility is >= 0.9 there, and the stage reads >= 0.5 as seen."""
    c = calibration
    return _sigmoid(c.vis_slope * (np.asarray(keypoint_scores, dtype=np.float64) - c.vis_mid))


def keypoint_scores(visibility: np.ndarray, calibration: ScoreCalibration = THUNDER) -> np.ndarray:
    """The inverse of keypoint_visibility: (..., 17) visibilities in (0, 1) -> the model's own
    keypoint scores."""
    v = np.clip(np.asarray(visibility, dtype=np.float64), 1e-12, 1.0 - 1e-12)
    return calibration.vis_mid + np.log(v / (1.0 - v)) / calibration.vis_slope


def top_k_mean(keypoint_scores: np.ndarray, k: int = THUNDER.top_k) -> float:
    """The mean of the k best of a person's keypoint scores."""
    s = np.sort(np.asarray(keypoint_scores, dtype=np.float64).reshape(-1))[::-1]
    return float(s[:k].mean())


def person_score(keypoint_scores: np.ndarray, calibration: ScoreCalibration = THUNDER) -> float:
    """A person's presence probability in [0, 1] from its 17 keypoint scores (ScoreCalibration).

    The best few, not all 17: a person seen only down to the waist or from the side has a few
    confident keypoints and low scores on the rest. Rescaled, not raw: Thunder scores a clearly
    seen keypoint 0.5-0.8, so a raw mean would fail min_new_presence 0.8 on nearly every person.
    """
    c = calibration
    return float(_sigmoid(c.score_slope * (top_k_mean(keypoint_scores, c.top_k) - c.score_mid)))


def aux_points(keypoints_px: np.ndarray, keypoint_scores: np.ndarray) -> np.ndarray:
    """(2, 2) px: the next frame's ROI points (mid-hip, scale point) from COCO-17 keypoints, by
    movenet.alignment_points over a person whose box is the confident keypoints' box (all 17
    when fewer than 4 are confident)."""
    kp = np.asarray(keypoints_px, dtype=np.float64)
    sc = np.asarray(keypoint_scores, dtype=np.float64)
    box = points_box(kp, sc >= KEYPOINT_MIN_SCORE)
    centre, scale_point = alignment_points(MovenetPerson(kp, sc, box, person_score(sc)))
    return np.stack([centre, scale_point])


def crop_roi(roi: Roi, upright: bool = True, scale: float = 1.0) -> Roi:
    """The square the model sees for `roi`: its centre and side x scale, upright (else turned by
    the ROI's rotation)."""
    rotation_rad = 0.0 if upright else float(roi.rotation_rad)
    return Roi(
        np.asarray(roi.center_px, dtype=np.float64), float(roi.size_px) * scale, rotation_rad
    )


class MovenetSingleModel:
    """The LandmarkModel contract (estimate(frame_rgb, rois) -> list[Pose2D], calls, close())
    over MoveNet single-pose (Thunder or Lightning): one model run per ROI (the converted models
    take batch 1). The crop side is the model's input side; the calibration is
    CALIBRATIONS[side] unless given.

    upright: crop each ROI upright (the stage's choice, docs/pose2d.md "Thunder keypoints");
    False turns the crop by the ROI's rotation, as the BlazePose landmark model's.
    crop_scale: the crop's side / the ROI's side (1: the stage's choice; other values are a
    measurement probe of dev/eval2d_finders, docs/pose2d.md "Lightning keypoints").
    """

    def __init__(
        self,
        backend: InferenceBackend,
        upright: bool = True,
        calibration: ScoreCalibration | None = None,
        crop_scale: float = 1.0,
    ):
        (self._input, shape), (self._output, out_shape) = single_io(backend, "MoveNet single-pose")
        if (
            len(shape) != 4
            or shape[1] != shape[2]
            or shape[1] <= 0
            or tuple(out_shape[-2:]) != (NUM_COCO, 3)
        ):
            raise ModelError(
                "MoveNet single-pose (Thunder, Lightning): expected input [1, S, S, 3] and output "
                f"[1, 1, 17, 3], got {shape} and {out_shape}"
            )
        self._side_px = int(shape[1])
        if calibration is None and self._side_px not in CALIBRATIONS:
            raise ModelError(
                f"MoveNet single-pose with a {self._side_px}-px input: no score calibration "
                f"(known sides: {sorted(CALIBRATIONS)} px, Lightning and Thunder)"
            )
        self._backend = backend
        self.calibration = calibration or CALIBRATIONS[self._side_px]
        self._upright = bool(upright)
        if not crop_scale > 0.0:
            raise ValueError(f"crop_scale must be > 0, got {crop_scale}")
        self._crop_scale = float(crop_scale)
        self.calls = 0  # number of model runs (one per ROI)

    @property
    def side_px(self) -> int:
        """The crop side the model takes, px (Thunder 256, Lightning 192)."""
        return self._side_px

    def estimate(self, frame_rgb: np.ndarray, rois: list[Roi]) -> list[Pose2D]:
        """One Pose2D per ROI, in the same order (frame already validated)."""
        cal, poses = self.calibration, []
        for roi in rois:
            square = crop_roi(roi, self._upright, self._crop_scale)
            x = warp_roi(frame_rgb, square, self._side_px, replicate_border=False)
            out = self._backend.run({self._input: x.astype(np.float32)[None]})[self._output]
            self.calls += 1
            yxs = np.asarray(out, dtype=np.float64).reshape(NUM_COCO, 3)
            kp = crop_to_image(yxs[:, [1, 0]], square)
            scores = np.clip(yxs[:, 2], 0.0, 1.0)
            kp33, vis33 = coco17_to_blazepose(kp, keypoint_visibility(scores, cal))
            poses.append(
                Pose2D(
                    keypoints_px=kp33,
                    depth_rel=np.zeros(NUM_BLAZEPOSE),
                    visibility=vis33,
                    presence=vis33.copy(),
                    score=person_score(scores, cal),
                    roi=roi,
                    aux_px=aux_points(kp, scores),
                    world_m=None,
                )
            )
        return poses

    def close(self) -> None:
        """Release the model."""
        self._backend.close()
