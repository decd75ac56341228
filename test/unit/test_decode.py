"""Heatmap decoders: soft-argmax and MediaPipe refinement (known answers)."""

import numpy as np
import pytest

from pose3d_ros.core.pose2d.decode import decode_xy, refine_from_heatmap, soft_argmax
from pose3d_ros.errors import ConfigError


def _maps(k=2, size=64, fill=-30.0):
    return np.full((1, size, size, k), fill)


def test_single_peak_softargmax_returns_the_peak():
    hm = _maps()
    hm[0, 10, 40, 0] = 30.0
    hm[0, 50, 5, 1] = 30.0
    xy, conf = soft_argmax(hm, beta=1.0)
    np.testing.assert_allclose(xy[0, 0], [40 / 64, 10 / 64], atol=1e-9)
    np.testing.assert_allclose(xy[0, 1], [5 / 64, 50 / 64], atol=1e-9)
    assert conf[0, 0] == pytest.approx(1.0)


def test_symmetric_blob_returns_its_centre():
    yy, xx = np.mgrid[0:64, 0:64]
    cx, cy = 20.0, 33.0  # between cells: the blob is symmetric around (20, 33) cell indices
    blob = -((xx - cx) ** 2 + (yy - cy) ** 2) / 8.0
    hm = blob[None, :, :, None]
    xy, _ = soft_argmax(hm, beta=1.0)
    np.testing.assert_allclose(xy[0, 0], [cx / 64, cy / 64], atol=1e-6)


def test_uniform_map_gives_the_centre():
    xy, conf = soft_argmax(np.zeros((2, 8, 8, 3)), beta=2.0)
    np.testing.assert_allclose(xy, 3.5 / 8)  # mean cell coordinate (cell j at j / 8)
    np.testing.assert_allclose(conf, 0.5)


def test_refine_moves_to_weighted_mean_of_window():
    hm = _maps(k=1)
    hm[0, 30, 30, 0] = 5.0
    hm[0, 30, 32, 0] = 5.0  # two equal peaks: mean column 31 (MediaPipe uses cell indices)
    lm = np.array([[[31.2 / 64, 30.4 / 64]]])
    out = refine_from_heatmap(lm, hm, kernel_size=7, min_confidence=0.5)
    np.testing.assert_allclose(out[0, 0], [31 / 64, 30 / 64], atol=1e-6)
    assert lm[0, 0, 0] == pytest.approx(31.2 / 64)  # input untouched


def test_refine_keeps_low_confidence_and_outside_points():
    hm = _maps(k=2)
    hm[0, 10, 10, 0] = -1.0  # sigmoid 0.27 < 0.5
    lm = np.array([[[10 / 64, 10 / 64], [1.2, 0.5]]])
    np.testing.assert_allclose(refine_from_heatmap(lm, hm, kernel_size=9, min_confidence=0.5), lm)


def test_refine_window_is_limited_to_the_kernel():
    hm = _maps(k=1)
    hm[0, 20, 20, 0] = 5.0
    hm[0, 20, 30, 0] = 5.0  # 10 cells away: outside a 7-wide window around column 20
    out = refine_from_heatmap(
        np.array([[[20 / 64, 20 / 64]]]), hm, kernel_size=7, min_confidence=0.5
    )
    np.testing.assert_allclose(out[0, 0], [20 / 64, 20 / 64], atol=1e-9)


def test_decode_xy_methods():
    hm = _maps(k=1)
    hm[0, 40, 8, 0] = 30.0
    reg = np.array([[[8.1 / 64, 40.2 / 64]]])
    np.testing.assert_allclose(decode_xy(reg, hm, "regression", 9, 0.5, 2.0), reg)
    np.testing.assert_allclose(
        decode_xy(reg, hm, "refine", 9, 0.5, 2.0), [[[8 / 64, 40 / 64]]], atol=1e-6
    )
    np.testing.assert_allclose(
        decode_xy(reg, hm, "softargmax", 9, 0.5, 2.0), [[[8 / 64, 40 / 64]]], atol=1e-6
    )
    weak = _maps(k=1)  # no confident peak: soft-argmax falls back to the regression
    np.testing.assert_allclose(decode_xy(reg, weak, "softargmax", 9, 0.5, 2.0), reg)
    with pytest.raises(ConfigError):
        decode_xy(reg, hm, "argmax", 9, 0.5, 2.0)
