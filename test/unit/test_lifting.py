"""Lifter input normalisation, the Lifter wrapper, the NN baseline, and the committed ONNX
lifter."""

import numpy as np
import pytest

from dev.metrics import mpjpe
from dev.nn_baseline import NNBaseline
from factories import ECHO_LIFTER_META, REPO_ROOT, EchoLifterBackend, random_skeleton_m
from factories import project_px as project
from pose3d_ros.assembly import open_lifter
from pose3d_ros.core.pose3d.lifting import N_FEATURES, Lifter, normalise_2d
from pose3d_ros.core.pose3d.placement import place
from pose3d_ros.core.skeleton import H36M_JOINTS
from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import InputError, ModelError

ENGINE = REPO_ROOT / "engines" / "lifter_h36m17.onnx"


def person_3d(seed=0, t=(0.3, 0.1, 4.0)):
    """(17, 3) m camera frame: a random-ish body around a root at t."""
    return random_skeleton_m(seed, t)


def test_features_do_not_depend_on_focal_or_principal_point():
    p = person_3d()[None]
    a = normalise_2d(
        project(p, 500.0, [320.0, 240.0]), np.ones((1, 17)), [500.0, 500.0], [320.0, 240.0], 0.2
    )
    b = normalise_2d(
        project(p, 1400.0, [960.0, 500.0]), np.ones((1, 17)), [1400.0, 1400.0], [960.0, 500.0], 0.2
    )
    assert a.shape == (1, N_FEATURES) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_pose_part_is_distance_invariant_and_scale_is_in_the_last_feature():
    rel = person_3d(1, (0, 0, 0))[None]
    near = normalise_2d(
        project(rel + [0, 0, 2.0], 600, 0), np.ones((1, 17)), [600, 600], [0, 0], 0.2
    )
    far = normalise_2d(
        project(rel * 2 + [0, 0, 4.0], 600, 0), np.ones((1, 17)), [600, 600], [0, 0], 0.2
    )
    np.testing.assert_allclose(
        near[:, :51], far[:, :51], atol=1e-5
    )  # 2x size at 2x distance: same image shape
    rms = np.sqrt((near[0, 2:34].reshape(16, 2) ** 2).sum(-1).mean())
    assert rms == pytest.approx(1.0, abs=1e-5)  # normalised to unit RMS radius


def test_dropped_joints_are_zeroed_and_excluded():
    p = project(person_3d(2)[None], 600.0, 300.0)
    conf = np.ones((1, 17))
    conf[0, 13] = 0.1
    bad = p.copy()
    bad[0, 13] += 500.0  # a wild detection with low confidence must not matter
    a = normalise_2d(p, conf, [600, 600], [300, 300], 0.2)
    b = normalise_2d(bad, conf, [600, 600], [300, 300], 0.2)
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.all(a[0, 26:28] == 0) and a[0, 34 + 13] == 0


def test_normalise_checks_shapes():
    with pytest.raises(InputError):
        normalise_2d(np.zeros((1, 16, 2)), np.ones((1, 16)), [1, 1], [0, 0], 0.2)


META = ECHO_LIFTER_META


def test_lifter_wrapper_shapes_and_root_at_origin():
    lifter = Lifter(EchoLifterBackend(), META)
    intr = CameraIntrinsics(600.0, 600.0, 320.0, 240.0, 640, 480)
    out = lifter.lift(
        np.random.default_rng(0).uniform(100, 400, (3, 17, 2)), np.ones((3, 17)), intr
    )
    assert out.shape == (3, 17, 3)
    np.testing.assert_array_equal(out[:, 0], 0.0)
    assert lifter.lift(np.zeros((0, 17, 2)), np.zeros((0, 17)), intr).shape == (0, 17, 3)


def test_lifter_rejects_wrong_joint_order():
    with pytest.raises(ModelError):
        Lifter(EchoLifterBackend(), {**META, "joints": list(reversed(H36M_JOINTS))})


def test_nn_baseline_returns_the_matching_entry_and_ignores_dropped_joints():
    poses = [person_3d(s, (0, 0, 3.0)) for s in range(5)]
    uv = project(np.stack(poses), 600.0, 320.0)
    feats = normalise_2d(uv, np.ones((5, 17)), [600, 600], [320, 320], 0.2)
    rel = np.stack(poses) - np.stack(poses)[:, :1]
    nn = NNBaseline(feats[:, :34], rel)
    query = uv[3:4].copy()
    conf = np.ones((1, 17))
    query[0, 5] += 300.0
    conf[0, 5] = 0.0
    intr = CameraIntrinsics(600.0, 600.0, 320.0, 320.0, 640, 640)
    np.testing.assert_allclose(nn.lift(query, conf, intr)[0], rel[3], atol=1e-6)


@pytest.mark.skipif(
    not ENGINE.is_file(), reason="trained lifter engines/lifter_h36m17.onnx not present"
)
def test_committed_lifter_lifts_a_mocap_like_pose_and_it_reprojects():
    pytest.importorskip("onnxruntime")
    lifter = open_lifter(ENGINE.parent, "onnxruntime", 1)
    intr = CameraIntrinsics(700.0, 700.0, 319.5, 239.5, 640, 480)
    # A standing person (H36M order, metres, camera frame: y down), 3.5 m in front of the camera.
    rel = np.array(
        [
            [0, 0, 0],
            [-0.12, 0, 0],
            [-0.13, 0.42, 0.02],
            [-0.13, 0.84, 0.05],
            [0.12, 0, 0],
            [0.13, 0.42, 0.02],
            [0.13, 0.84, 0.05],
            [0, -0.24, 0],
            [0, -0.48, 0],
            [0, -0.62, 0.02],
            [0, -0.78, 0.02],
            [0.18, -0.46, 0],
            [0.2, -0.2, 0.02],
            [0.21, 0.05, 0.02],
            [-0.18, -0.46, 0],
            [-0.2, -0.2, 0.02],
            [-0.21, 0.05, 0.02],
        ]
    )
    abs_m = rel + [0.2, 0.1, 3.5]
    uv = project(abs_m, 700.0, [319.5, 239.5])[None]
    out = lifter.lift(uv, np.ones((1, 17)), intr)
    lifter.close()
    assert out.shape == (1, 17, 3) and np.all(np.isfinite(out))
    assert mpjpe(out, rel[None]) < 0.12  # a plain upright pose is lifted to within ~10 cm per joint
    placed = place(out, uv, np.ones((1, 17)), intr)
    reproj = project(placed, 700.0, [319.5, 239.5])
    assert (
        np.abs(reproj - uv).max() < 15.0
    )  # px: the placed lifted pose reprojects onto the 2D input
    assert 2.8 < placed[0, 0, 2] < 4.2
