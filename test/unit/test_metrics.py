"""3D pose metrics on hand-computed cases."""

import numpy as np
import pytest

from dev.metrics import auc, joint_errors, mpjpe, n_mpjpe, p_mpjpe, pck3d, procrustes_align
from pose3d_ros.errors import InputError


def rot_z(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def pose(n=17, seed=0):
    return np.random.default_rng(seed).normal(size=(1, n, 3))


def test_mpjpe_hand_computed():
    gt = np.zeros((1, 2, 3))
    pred = np.array([[[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]]])  # errors 5 and 1
    assert mpjpe(pred, gt) == pytest.approx(3.0)
    np.testing.assert_allclose(joint_errors(pred, gt), [[5.0, 1.0]])


def test_p_mpjpe_of_rotated_scaled_shifted_copy_is_zero():
    gt = pose()
    pred = 2.5 * gt @ rot_z(0.7).T + np.array([1.0, -2.0, 3.0])
    assert mpjpe(pred, gt) > 1.0
    assert p_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(procrustes_align(pred, gt), gt, atol=1e-9)


def test_p_mpjpe_does_not_undo_a_mirror_image():
    gt = pose(seed=3)
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    assert p_mpjpe(mirrored, gt) > 0.1  # a reflection is not a rotation: the error stays


def test_p_mpjpe_hand_computed_residual():
    # Two points at +-1 on x vs +-1 on x with one shifted in y: best similarity fit is known.
    gt = np.array([[[-1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0], [0, -1.0, 0]]])
    pred = gt.copy()
    pred[0, 2, 1] = 3.0  # the aligned result cannot fit this exactly
    assert 0.0 < p_mpjpe(pred, gt) < mpjpe(pred, gt) == pytest.approx(0.5)


def test_n_mpjpe_removes_scale_only():
    gt = pose(seed=1)
    assert n_mpjpe(1.3 * gt, gt) == pytest.approx(0.0, abs=1e-12)
    assert n_mpjpe(gt @ rot_z(0.5).T, gt) > 0.1


def test_pck_and_auc():
    gt = np.zeros((1, 4, 3))
    pred = np.zeros((1, 4, 3))
    pred[0, :, 0] = [0.0, 0.05, 0.10, 0.20]  # metres
    assert pck3d(pred, gt) == pytest.approx(0.75)
    # AUC over 0..150 mm in 5 mm steps: joint errors 0, 50, 100 and 200 mm are within 31, 21, 11, 0
    assert auc(pred, gt) == pytest.approx((31 + 21 + 11 + 0) / (4 * 31))


def test_shape_checks():
    with pytest.raises(InputError):
        mpjpe(np.zeros((1, 17, 3)), np.zeros((1, 16, 3)))
    with pytest.raises(InputError):
        p_mpjpe(np.zeros((17, 3)), np.zeros((17, 3)))
