"""MoveNet single-pose (Thunder, Lightning) as the keypoint model (core/pose2d/movenet_single.py)
without the model: the COCO-17 -> 33-slot mapping, the person score, the next frame's ROI points,
the upright crop and its back-projection through a fake model, the calibration chosen by the
model's input side, and the config / assembly choices."""

from __future__ import annotations

import numpy as np
import pytest

from pose3d_ros.assembly import LANDMARK_FILES, open_pose2d
from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.geometry import alignment_roi, roi_bounds
from pose3d_ros.core.pose2d import Pose2DConfig
from pose3d_ros.core.pose2d.movenet_single import (
    BLAZEPOSE_FROM_COCO17,
    DIRECT_SLOTS,
    LIGHTNING,
    THUNDER,
    MovenetSingleModel,
    aux_points,
    coco17_to_blazepose,
    keypoint_scores,
    keypoint_visibility,
    person_score,
)
from pose3d_ros.core.skeleton import BLAZEPOSE_TO_COCO17, blazepose_to_h36m
from pose3d_ros.core.types import Roi
from pose3d_ros.errors import ModelError
from pose3d_ros.models.tfjs.build import onnx_file_name
from pose3d_ros.models.tfjs.npm_package import MOVENET_LIGHTNING, MOVENET_THUNDER

# COCO-17 y of a standing person, as a fraction of its height (nose just below the eyes)
STANDING_Y = np.array(
    [0.03, 0, 0, 0.02, 0.02, 0.15, 0.15, 0.3, 0.3, 0.45, 0.45, 0.5, 0.5, 0.75, 0.75, 1, 1]
)


def standing(cx_px: float, top_px: float, height_px: float) -> np.ndarray:
    """(17, 2) px: COCO-17 keypoints of an upright person facing the camera (left on the image's
    right)."""
    side = np.where(np.arange(17) % 2 == 1, 1.0, -1.0)
    side[0] = 0.0
    return np.stack([cx_px + side * 0.05 * height_px, top_px + STANDING_Y * height_px], axis=-1)


def test_own_slots_hold_the_keypoints_and_their_scores():
    kp = np.random.default_rng(0).uniform(0, 500, (17, 2))
    scores = np.linspace(0.1, 0.9, 17)
    kp33, vis33 = coco17_to_blazepose(kp, scores)
    assert kp33.shape == (33, 2) and vis33.shape == (33,)
    np.testing.assert_array_equal(kp33[BLAZEPOSE_TO_COCO17], kp)
    np.testing.assert_array_equal(vis33[BLAZEPOSE_TO_COCO17], scores)
    np.testing.assert_array_equal(BLAZEPOSE_FROM_COCO17[BLAZEPOSE_TO_COCO17], np.arange(17))
    assert DIRECT_SLOTS.sum() == 17


def test_other_slots_copy_the_nearest_keypoint_unseen():
    kp = np.arange(34, dtype=float).reshape(17, 2)
    kp33, vis33 = coco17_to_blazepose(kp, np.ones(17))
    copies = {1: 1, 3: 1, 4: 2, 6: 2, 9: 0, 10: 0, 17: 9, 19: 9, 21: 9, 18: 10, 22: 10}
    copies.update({29: 15, 31: 15, 30: 16, 32: 16})  # heels, foot index: the ankles
    for slot, coco in copies.items():
        np.testing.assert_array_equal(kp33[slot], kp[coco])
    assert np.all(vis33[~DIRECT_SLOTS] == 0.0)
    assert set(np.flatnonzero(~DIRECT_SLOTS)) == set(range(33)) - set(BLAZEPOSE_TO_COCO17)


def test_mapping_takes_batches_and_refuses_other_shapes():
    kp33, vis33 = coco17_to_blazepose(np.zeros((3, 17, 2)), np.ones((3, 17)))
    assert kp33.shape == (3, 33, 2) and vis33.shape == (3, 33)
    with pytest.raises(ValueError):
        coco17_to_blazepose(np.zeros((33, 2)), np.ones(33))


def test_h36m_joints_from_the_slots_are_the_coco_joints():
    kp = standing(200.0, 50.0, 300.0)
    kp33, _ = coco17_to_blazepose(kp, np.ones(17))
    h36m = blazepose_to_h36m(kp33)
    np.testing.assert_allclose(h36m[0], kp[[11, 12]].mean(axis=0))  # pelvis: mid-hip
    np.testing.assert_allclose(h36m[3], kp[16])  # right ankle
    np.testing.assert_allclose(h36m[13], kp[9])  # left wrist
    assert h36m[10, 1] < h36m[9, 1]  # head above the neck (mouth = nose)


def test_person_score_is_a_presence_probability_from_the_best_keypoints():
    background = np.full(17, 0.15)
    clear = np.full(17, 0.7)
    upper_body = np.r_[np.full(9, 0.7), np.full(8, 0.02)]  # legs out of the frame
    assert person_score(background) < 0.1
    assert person_score(clear) > 0.99
    assert person_score(upper_body) == pytest.approx(person_score(clear))  # the best 5 count
    assert 0.5 < person_score(np.full(17, 0.42)) < 0.8  # keeps a track, does not start one
    s = [person_score(np.full(17, v)) for v in np.linspace(0, 1, 11)]
    assert all(0.0 <= a < b <= 1.0 for a, b in zip(s, s[1:]))


def test_keypoint_visibility_is_a_probability_half_at_its_midpoint():
    v = keypoint_visibility(np.linspace(0.0, 1.0, 21))
    assert np.all(np.diff(v) > 0) and np.all((v > 0) & (v < 1))
    assert keypoint_visibility(np.array([THUNDER.vis_mid]))[0] == pytest.approx(0.5)
    assert keypoint_visibility(np.array([0.7]))[0] > 0.8  # a clearly seen Thunder keypoint


def test_aux_points_give_an_upright_roi_around_the_body():
    kp = standing(300.0, 100.0, 200.0)
    aux = aux_points(kp, np.full(17, 0.9))
    np.testing.assert_allclose(aux[0], kp[[11, 12]].mean(axis=0))  # mid-hip
    roi = alignment_roi(*aux)
    assert abs(roi.rotation_rad) < 0.05
    x0, y0, x1, y1 = roi_bounds(roi)
    assert x0 < kp[:, 0].min() and x1 > kp[:, 0].max()
    assert y0 < kp[:, 1].min() and y1 > kp[:, 1].max()


def test_aux_points_ignore_unconfident_keypoints():
    kp = standing(300.0, 100.0, 200.0)
    scores = np.full(17, 0.9)
    far = kp.copy()
    far[15:] = [[900.0, 900.0], [950.0, 900.0]]  # ankles somewhere else, unconfident
    scores_far = scores.copy()
    scores_far[15:] = 0.05
    np.testing.assert_allclose(aux_points(far, scores_far)[0], aux_points(kp, scores)[0])


class FakeThunder(InferenceBackend):
    """MoveNet single-pose with a fixed answer: `yx_norm` (17, 2) in the crop, all scored
    `score`; input side `side_px` (Thunder 256, Lightning 192); records each input."""

    def __init__(self, yx_norm: np.ndarray, score: float = 0.8, side_px: int = 256):
        self.yx_norm, self.score, self.side_px, self.inputs = yx_norm, score, side_px, []

    input_shapes = property(lambda self: {"input": (1, self.side_px, self.side_px, 3)})
    output_shapes = property(lambda self: {"Identity": (1, 1, 17, 3)})

    def run(self, feeds):
        self.inputs.append(feeds["input"])
        out = np.zeros((1, 1, 17, 3), np.float32)
        out[0, 0, :, :2] = self.yx_norm
        out[0, 0, :, 2] = self.score
        return {"Identity": out}

    def close(self):
        """Nothing to release."""


def test_model_maps_the_upright_crop_back_to_image_px():
    yx = np.stack([0.1 + 0.8 * STANDING_Y, np.full(17, 0.5)], axis=-1)
    backend = FakeThunder(yx)
    model = MovenetSingleModel(backend)
    frame = np.zeros((480, 640, 3), np.uint8)
    rois = [Roi(np.array([320.0, 240.0]), 200.0, 0.0), Roi(np.array([100.0, 200.0]), 100.0, 0.7)]
    poses = model.estimate(frame, rois)
    assert len(poses) == 2 and model.calls == 2 and len(backend.inputs) == 2
    x = backend.inputs[0]
    assert x.shape == (1, 256, 256, 3) and x.dtype == np.float32
    for pose, roi in zip(poses, rois):
        nose = pose.keypoints_px[0]
        # upright crop: the ROI's rotation is not applied
        np.testing.assert_allclose(
            nose, roi.center_px + roi.size_px * (yx[0, ::-1] - 0.5), atol=1e-4
        )
        assert pose.roi is roi and pose.world_m is None
        assert pose.score == pytest.approx(person_score(np.full(17, 0.8)))
        np.testing.assert_array_equal(pose.visibility, pose.presence)
        np.testing.assert_allclose(
            pose.visibility[BLAZEPOSE_TO_COCO17], keypoint_visibility(np.full(17, 0.8)), rtol=1e-6
        )
        assert pose.aux_px.shape == (2, 2) and pose.keypoints_px.shape == (33, 2)
    assert model.estimate(frame, []) == []


def test_model_refuses_a_model_with_other_tensors():
    class Wrong(FakeThunder):
        output_shapes = property(lambda self: {"Identity": (1, 6, 56)})

    with pytest.raises(ModelError, match="Thunder"):
        MovenetSingleModel(Wrong(np.zeros((17, 2))))


def test_the_model_file_decides_side_and_calibration():
    yx = np.stack([0.1 + 0.8 * STANDING_Y, np.full(17, 0.5)], axis=-1)
    frame = np.zeros((480, 640, 3), np.uint8)
    roi = Roi(np.array([320.0, 240.0]), 200.0, 0.0)
    for side, cal in ((256, THUNDER), (192, LIGHTNING)):
        backend = FakeThunder(yx, side_px=side)
        model = MovenetSingleModel(backend)
        assert model.side_px == side and model.calibration is cal
        (pose,) = model.estimate(frame, [roi])
        assert backend.inputs[0].shape == (1, side, side, 3)
        # the same crop geometry whatever the side: the nose lands at the same image point
        np.testing.assert_allclose(
            pose.keypoints_px[0], roi.center_px + roi.size_px * (yx[0, ::-1] - 0.5), atol=1e-4
        )
        assert pose.score == pytest.approx(person_score(np.full(17, 0.8), cal))
        np.testing.assert_allclose(
            keypoint_scores(pose.visibility[BLAZEPOSE_TO_COCO17], cal), 0.8, atol=1e-9
        )
    with pytest.raises(ModelError, match="calibration"):
        MovenetSingleModel(FakeThunder(yx, side_px=224))


def test_thunder_is_a_landmark_model_choice_with_the_built_file(tmp_path):
    assert Pose2DConfig(landmark_model="thunder").landmark_model == "thunder"
    assert LANDMARK_FILES["thunder"] == onnx_file_name(MOVENET_THUNDER.name)
    with pytest.raises(ModelError, match="--movenet-thunder"):
        open_pose2d(tmp_path, config=Pose2DConfig(landmark_model="thunder"))


def test_lightning_is_a_landmark_model_choice_with_the_built_file(tmp_path):
    assert Pose2DConfig(landmark_model="lightning").landmark_model == "lightning"
    assert LANDMARK_FILES["lightning"] == onnx_file_name(MOVENET_LIGHTNING.name)
    with pytest.raises(ModelError, match="--movenet-lightning"):
        open_pose2d(tmp_path, config=Pose2DConfig(landmark_model="lightning"))


@pytest.mark.parametrize("cal", [THUNDER, LIGHTNING])
def test_dev_recovers_model_scores_from_visibility(cal):
    from dev.eval2d_finders import model_scores

    scores = np.linspace(0.05, 0.95, 17)
    _, vis33 = coco17_to_blazepose(np.zeros((17, 2)), keypoint_visibility(scores, cal))
    pose = type("P", (), {"visibility": vis33})()
    np.testing.assert_allclose(model_scores(pose, cal), scores, atol=1e-9)


def test_pose3d_models_converts_lightning_at_its_192_px_side():
    from pose3d_ros.models.tfjs.build import DEFAULT_SIZES
    from pose3d_ros.tools.models import _parser

    assert DEFAULT_SIZES[MOVENET_LIGHTNING.name] == (192, 192)
    assert _parser().parse_args(["--movenet-lightning"]).movenet_lightning
    assert not _parser().parse_args([]).movenet_lightning
    assert set(MOVENET_LIGHTNING.members) == {
        "package/models/movenet-lightning.json",
        "package/models/movenet-lightning.bin",
    }


def test_crop_scale_shrinks_the_crop_around_the_roi_centre():
    yx = np.stack([0.1 + 0.8 * STANDING_Y, np.full(17, 0.5)], axis=-1)
    roi = Roi(np.array([320.0, 240.0]), 200.0, 0.0)
    frame = np.zeros((480, 640, 3), np.uint8)
    (pose,) = MovenetSingleModel(FakeThunder(yx), crop_scale=0.8).estimate(frame, [roi])
    np.testing.assert_allclose(
        pose.keypoints_px[0], roi.center_px + 0.8 * roi.size_px * (yx[0, ::-1] - 0.5), atol=1e-4
    )
    with pytest.raises(ValueError, match="crop_scale"):
        MovenetSingleModel(FakeThunder(yx), crop_scale=0.0)
