"""Placement's size: a known floor recovers the distance of any body size; the body-height prior;
the reprojection consistency term; floor conventions; bad settings raise ConfigError."""

import numpy as np
import pytest

from factories import canonical_skeleton_m, project_px
from pose3d_ros.core.body_frame import rotation_to_quat_xyzw
from pose3d_ros.core.pose3d.body_scale import prior_scale, stature_m
from pose3d_ros.core.pose3d.floor import FloorPlane, floor_from_angles, floor_from_transform
from pose3d_ros.core.pose3d.placement import PlacementConfig, onto_rays, place_with_confidence
from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import ConfigError

INTR = CameraIntrinsics(600.0, 600.0, 320.0, 240.0, 640, 480)
FOOT_M = PlacementConfig().foot_height_m


def camera_in_world(height_m, pitch_deg, roll_deg):
    """(3, 3) R with columns = optical x, y, z in a world with x forward, y left, z up; and the
    camera centre (0, 0, height_m). Built independently of core/pose3d/floor.py."""
    th, ph = np.deg2rad(pitch_deg), np.deg2rad(roll_deg)
    z = np.array([np.cos(th), 0.0, -np.sin(th)])
    x = np.array([0.0, -1.0, 0.0])
    y = np.cross(z, x)
    xr = np.cos(ph) * x + np.sin(ph) * y  # clockwise as seen from behind the camera
    yr = -np.sin(ph) * x + np.cos(ph) * y
    return np.column_stack([xr, yr, z]), np.array([0.0, 0.0, height_m])


def scene(size, height_m=2.0, pitch_deg=20.0, roll_deg=5.0, where_m=(4.0, 0.5)):
    """A person `size` times the canonical skeleton standing on the floor (ankles FOOT_M above
    it) at world (x, y) = where_m. Returns (true camera-frame joints (17, 3), the lifter's
    answer: the canonical-size skeleton root-relative in the camera frame, the floor)."""
    body = canonical_skeleton_m()  # x forward, y left, z up; ankles 0.9 m below the pelvis
    world = body * size + [where_m[0], where_m[1], 0.9 * size + FOOT_M]
    r, c = camera_in_world(height_m, pitch_deg, roll_deg)
    cam = (world - c) @ r
    rel_model = (body @ r)[None]  # right orientation, canonical size
    return cam, rel_model, floor_from_angles(height_m, pitch_deg, roll_deg)


def project(p):
    return project_px(p, INTR.fx_px, [INTR.cx_px, INTR.cy_px])


def test_floor_from_angles_matches_an_independently_built_camera():
    for h, p, r in [(1.5, 0.0, 0.0), (2.0, 30.0, 0.0), (0.8, -10.0, 20.0), (3.0, 60.0, -15.0)]:
        rot, c = camera_in_world(h, p, r)
        fl = floor_from_angles(h, p, r)
        np.testing.assert_allclose(fl.up_cam, rot.T @ [0.0, 0.0, 1.0], atol=1e-12)
        floor_point_cam = rot.T @ (np.array([3.0, 1.0, 0.0]) - c)
        assert fl.height_above_m(floor_point_cam) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(floor_from_angles(1.0, 0.0, 0.0).up_cam, [0, -1, 0], atol=1e-12)
    np.testing.assert_allclose(floor_from_angles(1.0, 90.0, 0.0).up_cam, [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(floor_from_angles(1.0, 0.0, 90.0).up_cam, [-1, 0, 0], atol=1e-12)


def test_floor_from_transform_equals_floor_from_angles():
    rot, c = camera_in_world(1.7, 25.0, -8.0)
    q = rotation_to_quat_xyzw(rot)
    fl = floor_from_transform(q, c)
    ref = floor_from_angles(1.7, 25.0, -8.0)
    np.testing.assert_allclose(fl.up_cam, ref.up_cam, atol=1e-9)
    assert fl.camera_height_m == pytest.approx(1.7)


@pytest.mark.parametrize("size", [0.7, 1.0, 1.2])
def test_known_floor_recovers_root_depth_of_any_body_size(size):
    cam, rel, floor = scene(size)
    j2d = project(cam)[None]
    pure_floor = PlacementConfig(body_height_m=0.0, size_sigma=100.0, floor=floor)
    res = place_with_confidence(rel, j2d, np.ones((1, 17)), INTR, config=pure_floor)
    assert res.used_floor[0] and res.valid[0]
    assert res.joints3d_m[0, 0, 2] == pytest.approx(cam[0, 2], rel=0.01)
    np.testing.assert_allclose(res.joints3d_m[0], cam, atol=0.03 * cam[0, 2])
    assert res.scale[0] == pytest.approx(size, rel=0.01)
    # without the floor the same skeleton is placed at the model's size: off by 1 / size
    no_floor = place_with_confidence(
        rel, j2d, np.ones((1, 17)), INTR, config=PlacementConfig(body_height_m=0.0)
    )
    assert no_floor.joints3d_m[0, 0, 2] == pytest.approx(cam[0, 2] / size, rel=0.01)
    assert not no_floor.used_floor[0]


def test_floor_from_camera_parameters_beats_the_prior_for_a_short_person():
    cam, rel, _ = scene(0.75, height_m=2.2, pitch_deg=25.0, roll_deg=-5.0)
    j2d = project(cam)[None]
    cfg = PlacementConfig(camera_height_m=2.2, camera_pitch_deg=25.0, camera_roll_deg=-5.0)
    with_floor = place_with_confidence(rel, j2d, np.ones((1, 17)), INTR, config=cfg)
    prior_only = place_with_confidence(rel, j2d, np.ones((1, 17)), INTR)
    err_floor = abs(with_floor.joints3d_m[0, 0, 2] / cam[0, 2] - 1)
    err_prior = abs(prior_only.joints3d_m[0, 0, 2] / cam[0, 2] - 1)
    assert err_floor < 0.05 and err_prior > 0.2


def test_grazing_floor_is_ignored_and_prior_used():
    cam, rel, _ = scene(1.0, height_m=0.05, pitch_deg=0.0, roll_deg=0.0)  # camera at the floor
    j2d = project(cam)[None]
    cfg = PlacementConfig(body_height_m=0.0, camera_height_m=0.05)
    res = place_with_confidence(rel, j2d, np.ones((1, 17)), INTR, config=cfg)
    assert not res.used_floor[0]
    assert res.scale[0] == pytest.approx(1.0)


def test_depth_still_wins_over_a_wrong_floor():
    cam, rel, _ = scene(1.0)
    depth = np.zeros((480, 640), np.float32)
    for (u, v), z in zip(np.rint(project(cam)).astype(int), cam[:, 2]):
        depth[max(v - 2, 0) : v + 3, max(u - 2, 0) : u + 3] = z - PlacementConfig().surface_offset_m
    wrong = PlacementConfig(body_height_m=0.0, camera_height_m=3.5, camera_pitch_deg=20.0)
    res = place_with_confidence(rel, project(cam)[None], np.ones((1, 17)), INTR, depth, wrong)
    assert res.used_depth[0]
    assert res.joints3d_m[0, 0, 2] == pytest.approx(cam[0, 2], abs=0.05)


def test_body_height_prior_sets_the_stature_and_scales_the_distance():
    cam, rel, _ = scene(1.0)
    j2d = project(cam)[None]
    model_st = stature_m(rel[0])
    for height in (1.5, 1.7, 1.9):
        res = place_with_confidence(
            rel, j2d, np.ones((1, 17)), INTR, config=PlacementConfig(body_height_m=height)
        )
        placed = res.joints3d_m[0]
        assert stature_m(placed) == pytest.approx(height, rel=0.01)
        assert placed[0, 2] == pytest.approx(cam[0, 2] * height / model_st, rel=0.01)
        np.testing.assert_allclose(project(placed), j2d[0], atol=1.0)  # same picture
    assert prior_scale(rel, 0.0)[0] == 1.0  # 0: the model's own size
    assert stature_m(canonical_skeleton_m()) == pytest.approx(1.03 * (0.9 + 0.75), rel=0.01)


def test_reprojection_term_pulls_joints_onto_their_own_2d_rays():
    cam, rel, _ = scene(1.0)
    j2d = project(cam)[None]
    rng = np.random.default_rng(3)
    wrong_shape = rel + rng.normal(0, 0.05, rel.shape) * (np.arange(17) > 0)[None, :, None]
    conf = np.ones((1, 17))
    conf[0, 5] = 0.1  # below conf_min: left alone
    cfg = dict(body_height_m=0.0)
    off = place_with_confidence(
        wrong_shape, j2d, conf, INTR, config=PlacementConfig(reprojection_weight=0.0, **cfg)
    )
    full = place_with_confidence(
        wrong_shape, j2d, conf, INTR, config=PlacementConfig(reprojection_weight=1.0, **cfg)
    )
    half = place_with_confidence(
        wrong_shape, j2d, conf, INTR, config=PlacementConfig(reprojection_weight=0.5, **cfg)
    )
    err_off = np.linalg.norm(project(off.joints3d_m[0]) - j2d[0], axis=-1)
    err_full = np.linalg.norm(project(full.joints3d_m[0]) - j2d[0], axis=-1)
    err_half = np.linalg.norm(project(half.joints3d_m[0]) - j2d[0], axis=-1)
    seen = conf[0] >= PlacementConfig().conf_min
    assert err_off[seen].mean() > 3.0
    np.testing.assert_allclose(err_full[seen], 0.0, atol=1e-6)
    assert np.all(err_half[seen] < err_off[seen] + 1e-9)
    assert err_full[5] == pytest.approx(err_off[5])  # unconfident joint not moved
    np.testing.assert_allclose(full.joints3d_m[..., 2], off.joints3d_m[..., 2])  # depths kept


def test_onto_rays_does_not_modify_its_input():
    p = np.array([[[0.1, 0.2, 3.0]]])
    before = p.copy()
    out = onto_rays(p, np.array([[[320.0, 240.0]]]), np.ones((1, 1)), INTR)
    np.testing.assert_array_equal(p, before)
    np.testing.assert_allclose(out, [[[0.0, 0.0, 3.0]]])


@pytest.mark.parametrize(
    "kw",
    [
        dict(body_height_m=0.3),
        dict(body_height_m=-1.0),
        dict(camera_height_m=-0.5),
        dict(camera_pitch_deg=95.0),
        dict(camera_roll_deg=200.0),
        dict(reprojection_weight=1.5),
        dict(size_sigma=0.0),
    ],
)
def test_bad_placement_settings_raise_config_error(kw):
    with pytest.raises(ConfigError):
        PlacementConfig(**kw)


def test_bad_floor_raises_config_error():
    with pytest.raises(ConfigError):
        FloorPlane(np.array([0.0, -2.0, 0.0]), 1.0)
    with pytest.raises(ConfigError):
        FloorPlane(np.array([0.0, -1.0, 0.0]), 0.0)


def test_configs_with_a_floor_compare_by_value():
    a = PlacementConfig(floor=floor_from_angles(1.5, 10.0, 2.0))
    b = PlacementConfig(floor=floor_from_angles(1.5, 10.0, 2.0))
    assert a == b and hash(a.floor) == hash(b.floor)
    assert a != PlacementConfig(floor=floor_from_angles(1.6, 10.0, 2.0)) != PlacementConfig()


def test_a_person_seen_by_one_joint_or_one_point_never_raises():
    cam, rel, floor = scene(1.0)
    j2d = project(cam)[None]
    one = np.zeros((1, 17))
    one[0, 10] = 0.9  # only the head in the frame
    res = place_with_confidence(rel, j2d, one, INTR, config=PlacementConfig(floor=floor))
    assert res.joints3d_m.shape == (1, 17, 3)
    same_point = np.full((1, 17, 2), 300.0)  # a degenerate 2D skeleton
    res = place_with_confidence(rel, same_point, np.ones((1, 17)), INTR)
    assert np.all(np.isfinite(res.joints3d_m)) or not res.valid[0]
