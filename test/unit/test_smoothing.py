"""One-Euro filter: known answers from the defining equations (Casiez et al. 2012)."""

import math

import numpy as np
import pytest

from factories import make_person
from pose3d_ros.core.filters import OneEuroConfig, OneEuroFilter, smoothing_factor
from pose3d_ros.core.tracks.smoothing import PoseSmoother
from pose3d_ros.errors import ConfigError


def test_smoothing_factor_formula():
    # cutoff 1 Hz, dt 0.1 s: tau = 1/(2 pi); alpha = 1/(1 + tau/dt)
    assert smoothing_factor(1.0, 0.1) == pytest.approx(1.0 / (1.0 + 1.0 / (2 * math.pi * 0.1)))


def test_first_sample_passes_and_constant_signal_is_unchanged():
    f = OneEuroFilter(OneEuroConfig(min_cutoff_hz=1.0, beta=0.3))
    x = np.array([[1.0, 2.0, 3.0]])
    for k in range(5):
        np.testing.assert_array_equal(f.filter(x, 0.1 * k), x)


def test_step_with_beta_zero_is_plain_exponential():
    f = OneEuroFilter(OneEuroConfig(min_cutoff_hz=1.0, beta=0.0))
    f.filter(np.array([0.0]), 0.0)
    a = smoothing_factor(1.0, 0.1)
    y1 = f.filter(np.array([1.0]), 0.1)
    y2 = f.filter(np.array([1.0]), 0.2)
    assert y1[0] == pytest.approx(a)
    assert y2[0] == pytest.approx(a + (1 - a) * a)


def test_step_with_beta_uses_speed_adapted_cutoff():
    cfg = OneEuroConfig(min_cutoff_hz=1.0, beta=2.0, d_cutoff_hz=1.0)
    f = OneEuroFilter(cfg)
    f.filter(np.array([0.0]), 0.0)
    dt = 0.1
    dx_hat = smoothing_factor(1.0, dt) * (1.0 / dt)  # filtered speed after a unit step
    a = smoothing_factor(1.0 + 2.0 * dx_hat, dt)
    assert f.filter(np.array([1.0]), dt)[0] == pytest.approx(a)
    assert a > smoothing_factor(1.0, dt)  # moving fast -> less smoothing


def test_filter_does_not_modify_input_and_ignores_repeated_stamp():
    f = OneEuroFilter(OneEuroConfig())
    x0 = np.zeros(3)
    f.filter(x0, 0.0)
    x1 = np.ones(3)
    y = f.filter(x1, 0.1)
    np.testing.assert_array_equal(x1, np.ones(3))
    np.testing.assert_array_equal(f.filter(np.full(3, 9.0), 0.1), y)


def test_pose_smoother_per_track_and_disable():
    sm = PoseSmoother(OneEuroConfig(min_cutoff_hz=1.0, beta=0.0))
    a0, b0 = make_person(z_m=3.0, track_id="aaaaa"), make_person(z_m=5.0, track_id="bbbbb")
    sm.smooth([a0, b0], 0.0)
    a1, b1 = make_person(z_m=4.0, track_id="aaaaa"), make_person(z_m=5.0, track_id="bbbbb")
    out = sm.smooth([a1, b1], 0.1)
    alpha = smoothing_factor(1.0, 0.1)
    np.testing.assert_allclose(out[0].joints3d_m[:, 2] - a0.joints3d_m[:, 2], alpha * 1.0)
    np.testing.assert_allclose(out[1].joints3d_m, b1.joints3d_m)
    sm.forget(["aaaaa"])
    np.testing.assert_allclose(sm.smooth([a1], 0.2)[0].joints3d_m, a1.joints3d_m)  # fresh state
    off = PoseSmoother(OneEuroConfig(enabled=False))
    off.smooth([a0], 0.0)
    assert off.smooth([a1], 0.1)[0] is a1


def test_config_validation():
    with pytest.raises(ConfigError):
        OneEuroConfig(min_cutoff_hz=0.0)
    with pytest.raises(ConfigError):
        OneEuroConfig(beta=-1.0)
