"""Metric placement: known translations from synthetic projections; depth holes never used."""

import numpy as np
import pytest

from factories import project_px, random_skeleton_m
from pose3d_ros.core.pose3d.placement import (
    PlacementConfig,
    joint_depths,
    place,
    place_with_confidence,
    solve_translation,
)
from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import InputError

INTR = CameraIntrinsics(600.0, 610.0, 320.0, 240.0, 640, 480)
MODEL_SIZE = PlacementConfig(body_height_m=0.0)  # keep the lifted size (test_floor_placement.py)


def skeleton_rel(seed=0):
    """(17, 3) m, a rough standing person, root (0) at the origin, optical frame (y down)."""
    return random_skeleton_m(seed)


def project(abs_m):
    return project_px(abs_m, [INTR.fx_px, INTR.fy_px], [INTR.cx_px, INTR.cy_px])


@pytest.mark.parametrize("t_true", [[0.0, 0.0, 3.0], [0.7, -0.3, 2.2], [-1.5, 0.4, 6.5]])
def test_recovers_known_translation_within_1cm(t_true):
    rel = skeleton_rel()[None]
    j2d = project(rel + np.array(t_true))
    t = solve_translation(rel, j2d, np.ones((1, 17)), INTR)
    np.testing.assert_allclose(t[0], t_true, atol=0.01)
    out = place(rel, j2d, np.ones((1, 17)), INTR, config=MODEL_SIZE)
    np.testing.assert_allclose(out[0], rel[0] + t_true, atol=0.01)


def test_batch_with_zero_confidence_uses_all_joints():
    rel = np.stack([skeleton_rel(1), skeleton_rel(2)])
    ts = np.array([[0.2, 0.1, 4.0], [-0.5, 0.0, 2.5]])
    j2d = project(rel + ts[:, None])
    conf = np.ones((2, 17))
    conf[1] = 0.0
    np.testing.assert_allclose(solve_translation(rel, j2d, conf, INTR), ts, atol=0.01)


def depth_image_of(abs_m, value_fn=None):
    """A 480x640 depth map that reads each joint's depth (minus the surface offset) around its
    pixel."""
    depth = np.zeros((480, 640), np.float32)
    uv = np.rint(project(abs_m)).astype(int)
    for (u, v), z in zip(uv, abs_m[:, 2]):
        depth[max(v - 2, 0) : v + 3, max(u - 2, 0) : u + 3] = z - PlacementConfig().surface_offset_m
    return depth


def test_depth_path_uses_depth_and_ignores_holes():
    rel = skeleton_rel(3)
    t_true = np.array([0.3, 0.2, 3.5])
    abs_m = rel + t_true
    j2d = project(abs_m)[None]
    depth = depth_image_of(abs_m)
    # Punch holes: zeros and NaN in most of every window (a few valid pixels remain per joint).
    rng = np.random.default_rng(0)
    holes = rng.random(depth.shape) < 0.6
    depth[holes & (rng.random(depth.shape) < 0.5)] = 0.0
    depth[holes & (depth != 0.0)] = np.nan
    # The lifter's size is 10 % off: without depth the distance would be ~10 % off too.
    res = place_with_confidence(rel[None] * 0.9, j2d, np.ones((1, 17)), INTR, depth)
    assert res.used_depth[0] and res.valid[0]
    assert res.joints3d_m[0, 0, 2] == pytest.approx(3.5, abs=0.05)
    assert np.all(np.isfinite(res.joints3d_m)) and np.all(res.joints3d_m[..., 2] > 0)
    assert np.all((res.conf3d >= 0) & (res.conf3d <= 1))


def test_all_holes_fall_back_to_reprojection_never_origin():
    rel = skeleton_rel(4)
    t_true = np.array([0.0, 0.1, 2.0])
    j2d = project(rel + t_true)[None]
    for hole in (0.0, np.nan):
        depth = np.full((480, 640), hole, np.float32)
        res = place_with_confidence(rel[None], j2d, np.ones((1, 17)), INTR, depth, MODEL_SIZE)
        assert not res.used_depth[0] and res.valid[0]
        assert np.all(res.joints3d_m[..., 2] > 0.1)
        np.testing.assert_allclose(res.joints3d_m[0], rel + t_true, atol=0.01)
        np.testing.assert_allclose(res.conf3d, 0.5)  # depth given but unusable: halved


def test_outlier_depth_readings_are_rejected():
    rel = skeleton_rel(5)
    abs_m = rel + [0.0, 0.0, 4.0]
    depth = depth_image_of(abs_m)
    uv = np.rint(project(abs_m)).astype(int)
    for u, v in uv[[2, 5]]:  # two joints see a wall 1 m behind
        depth[v - 2 : v + 3, u - 2 : u + 3] = 5.0
    j2d = project(abs_m)[None]
    res = place_with_confidence(rel[None], j2d, np.ones((1, 17)), INTR, depth, MODEL_SIZE)
    assert res.joints3d_m[0, 0, 2] == pytest.approx(4.0, abs=0.02)
    assert res.conf3d[0, 2] < 0.01 and res.conf3d[0, 0] > 0.9


def test_joint_depths_median_of_valid_pixels_only():
    depth = np.zeros((10, 10), np.float32)
    depth[4:7, 4:7] = [[1.0, np.nan, 2.0], [0.0, 3.0, 0.0], [np.nan, np.nan, 0.0]]
    d = joint_depths(
        np.array([[[5.0, 5.0], [50.0, 50.0]]]),
        np.ones((1, 2)),
        depth,
        PlacementConfig(window_radius_px=1),
    )
    assert d[0, 0] == pytest.approx(2.0)  # median of 1, 2, 3
    assert np.isnan(d[0, 1])  # outside the image


def test_behind_camera_is_invalid_not_origin():
    rel = skeleton_rel(6)[None]
    j2d = project(rel + [0.0, 0.0, 3.0])
    res = place_with_confidence(
        rel, j2d, np.ones((1, 17)), INTR, config=PlacementConfig(min_depth_m=5.0, max_depth_m=9.0)
    )
    assert not res.valid[0] and np.all(np.isnan(res.joints3d_m))


def test_shape_errors():
    with pytest.raises(InputError):
        place(np.zeros((1, 17, 3)), np.zeros((1, 16, 2)), np.ones((1, 17)), INTR)
