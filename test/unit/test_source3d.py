"""3D sources: BlazePose's world landmarks carried from the landmark model to the 3D stage,
turned into the optical frame, used directly or fused with the lifter."""

import dataclasses

import numpy as np
import pytest

from factories import (
    STAMP_NS,
    VGA_INTRINSICS,
    FakeLandmarks,
    Stub2D,
    StubLifter,
    blank_frame_rgb,
    canonical_skeleton_m,
    make_pose2d,
    project_px,
    random_rotation,
)
from pose3d_ros.core.geometry import crop_to_image
from pose3d_ros.core.pipeline import PipelineConfig, Pose3DPipeline
from pose3d_ros.core.pose2d.landmarks import LandmarkModel, world_to_image_axes
from pose3d_ros.core.pose3d.floor import floor_from_angles
from pose3d_ros.core.pose3d.source3d import direct_rel_m, fuse, ray_rotation, relative_3d
from pose3d_ros.core.skeleton import blazepose_to_h36m
from pose3d_ros.core.types import Roi
from pose3d_ros.errors import ConfigError

BODY_TO_OPTICAL = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])


def world33(seed=0):
    """(33, 3) m landmarks in image axes, hip midpoint at the origin."""
    w = np.random.default_rng(seed).normal(0.0, 0.3, (33, 3))
    return w - 0.5 * (w[23] + w[24])


class CountingLifter(StubLifter):
    """StubLifter that returns a fixed skeleton (the canonical one facing the camera)."""

    def lift(self, j2d, conf, intrinsics):
        """(N, 17, 3) m: the canonical skeleton in the optical frame; records the batch."""
        self.batches.append(j2d.shape[0])
        return np.repeat((canonical_skeleton_m() @ BODY_TO_OPTICAL.T)[None], len(j2d), axis=0)


def test_ray_rotation_takes_the_optical_axis_onto_the_ray():
    xy = np.array([[0.0, 0.0], [0.4, -0.2], [-1.0, 0.7]])
    rot = ray_rotation(xy)
    for r, (x, y) in zip(rot, xy):
        ray = np.array([x, y, 1.0]) / np.linalg.norm([x, y, 1.0])
        np.testing.assert_allclose(r @ [0, 0, 1], ray, atol=1e-12)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(r) == pytest.approx(1.0)
    np.testing.assert_allclose(rot[0], np.eye(3), atol=1e-12)


def test_direct_is_the_world_skeleton_pelvis_centred_and_turned_to_the_ray():
    w = world33(1)
    centre = direct_rel_m(w[None], np.zeros((1, 2)))[0]
    np.testing.assert_allclose(centre, blazepose_to_h36m(w) - blazepose_to_h36m(w)[0], atol=1e-12)
    side = direct_rel_m(w[None], np.array([[0.5, 0.0]]))[0]
    np.testing.assert_allclose(side, centre @ ray_rotation(np.array([[0.5, 0.0]]))[0].T)
    np.testing.assert_allclose(np.linalg.norm(side, axis=1), np.linalg.norm(centre, axis=1))


def test_world_axes_follow_the_roi_rotation_like_the_2d_landmarks():
    roi = Roi(np.array([100.0, 100.0]), 50.0, 0.7)
    crop_offset = np.array([[0.1, 0.3]])  # a landmark below-right of the crop centre
    img_offset = crop_to_image(crop_offset + 0.5, roi) - roi.center_px
    world = world_to_image_axes(np.array([[0.1, 0.3, 0.2]]), roi)
    np.testing.assert_allclose(
        world[0, :2] / np.linalg.norm(world[0, :2]), (img_offset / np.linalg.norm(img_offset))[0]
    )
    assert world[0, 2] == 0.2


def test_fuse_has_the_lifters_orientation_and_size():
    lifted = canonical_skeleton_m()[None] @ BODY_TO_OPTICAL.T
    rot = random_rotation(np.random.default_rng(2))
    direct = 1.1 * lifted @ rot.T  # turned and 10 % bigger, same shape
    out = fuse(lifted, direct, np.ones((1, 17)), np.ones((1, 17)))
    np.testing.assert_allclose(out, lifted, atol=1e-9)
    # different shapes: equal confidences give the mean, a zero weight gives the other one
    other = lifted.copy()
    other[0, 13] += [0.0, 0.0, 0.2]  # l_wrist towards the camera... or away
    mean = fuse(lifted, other, np.ones((1, 17)), np.ones((1, 17)))
    assert np.linalg.norm(mean[0, 13] - lifted[0, 13]) < 0.15
    only_lifter = fuse(lifted, other, np.ones((1, 17)), np.zeros((1, 17)))
    assert np.linalg.norm(only_lifter[0, 13] - lifted[0, 13]) < 0.01


def body33_m() -> np.ndarray:
    """(33, 3) m BlazePose landmarks of the canonical skeleton facing the camera, optical axes,
    hip midpoint at the origin (unmeasured landmarks copied from a neighbour)."""
    h = canonical_skeleton_m() @ BODY_TO_OPTICAL.T
    up, left = np.array([0.0, -1.0, 0.0]), np.array([1.0, 0.0, 0.0])
    b = np.repeat(h[9:10], 33, axis=0)  # face landmarks at the neck by default
    pairs = {23: 4, 24: 1, 25: 5, 26: 2, 27: 6, 28: 3, 29: 6, 30: 3, 31: 6, 32: 3}
    pairs.update({11: 11, 12: 14, 13: 12, 14: 15, 15: 13, 16: 16})
    pairs.update({17: 13, 19: 13, 21: 13, 18: 16, 20: 16, 22: 16})
    for k, j in pairs.items():
        b[k] = h[j]
    b[7], b[8] = h[9] + 0.07 * left, h[9] - 0.07 * left
    b[2], b[5] = h[9] + 0.05 * up + 0.03 * left, h[9] + 0.05 * up - 0.03 * left
    b[9], b[10] = h[9] - 0.02 * up + 0.02 * left, h[9] - 0.02 * up - 0.02 * left
    return b - 0.5 * (b[23] + b[24])


def poses_with_world(n):
    """n people 3 m away side by side whose 2D keypoints are their world landmarks projected."""
    out = []
    for i in range(n):
        w = body33_m()
        kp = project_px(w + [0.8 * i - 0.4, 0.0, 3.0], 500.0, [319.5, 239.5])
        pose = dataclasses.replace(make_pose2d(), keypoints_px=kp, world_m=w)
        out.append(pose)
    return out


def test_relative_3d_sources_and_fallback():
    poses = poses_with_world(2)
    j2d = np.stack([blazepose_to_h36m(p.keypoints_px) for p in poses])
    conf = np.ones((2, 17))
    lifter = CountingLifter()
    direct = relative_3d("direct", poses, j2d, conf, VGA_INTRINSICS, lifter.lift)
    assert lifter.batches == []  # direct needs no lifter when every person has world landmarks
    assert direct.shape == (2, 17, 3) and np.allclose(direct[:, 0], 0.0)
    lifted = relative_3d("lifter", poses, j2d, conf, VGA_INTRINSICS, lifter.lift)
    np.testing.assert_allclose(lifted, CountingLifter().lift(j2d, conf, None))
    no_world = [dataclasses.replace(poses[0], world_m=None), poses[1]]
    mixed = relative_3d("direct", no_world, j2d, conf, VGA_INTRINSICS, lifter.lift)
    np.testing.assert_allclose(mixed[0], lifted[0])  # fell back to the lifter
    np.testing.assert_allclose(mixed[1], direct[1])
    fused = relative_3d("fused", poses, j2d, conf, VGA_INTRINSICS, lifter.lift)
    assert np.all(np.isfinite(fused)) and not np.allclose(fused, lifted)
    with pytest.raises(ConfigError):
        relative_3d("magic", poses, j2d, conf, VGA_INTRINSICS, lifter.lift)


def test_pipeline_config_rejects_an_unknown_source():
    with pytest.raises(ConfigError):
        PipelineConfig(source3d="both")


@pytest.mark.parametrize("source", ["lifter", "direct", "fused"])
def test_pipeline_with_each_source_gives_finite_people(source):
    pipe = Pose3DPipeline(
        Stub2D(poses_with_world(2)), CountingLifter(), PipelineConfig(source3d=source)
    )
    res = pipe.process(blank_frame_rgb(), VGA_INTRINSICS, STAMP_NS)
    assert len(res.people) == 2
    for person in res.people:
        assert np.all(np.isfinite(person.joints3d_m))
        # the canonical body is 1.70 m tall by stature_m, the default prior: placed at its 3 m
        assert person.joints3d_m[0, 2] == pytest.approx(3.0, rel=0.03)


class WorldLandmarks(FakeLandmarks):
    """FakeLandmarks with the world output: landmark k at (k, -k, 2k) mm in the crop's axes."""

    output_shapes = property(
        lambda self: {**FakeLandmarks.output_shapes.fget(self), "Identity_4": (-1, 117)}
    )

    def run(self, feeds):
        """The fake outputs plus world landmarks."""
        out = super().run(feeds)
        n = feeds["input_1"].shape[0]
        k = np.arange(39, dtype=np.float32)
        world = np.stack([k, -k, 2 * k], axis=-1) * 1e-3
        out["Identity_4"] = np.repeat(world.reshape(1, 117), n, axis=0)
        return out


def test_landmark_model_carries_world_landmarks_into_pose2d():
    model = LandmarkModel(WorldLandmarks(), "regression", 9, 0.5, 2.0)
    roi = Roi(np.array([320.0, 240.0]), 200.0, np.pi / 2)
    (pose,) = model.estimate(blank_frame_rgb(), [roi])
    k = np.arange(33)
    # turned by +90 deg: crop x -> image y, crop y -> image -x
    np.testing.assert_allclose(pose.world_m, np.stack([k, k, 2 * k], -1) * 1e-3, atol=1e-6)
    (plain,) = LandmarkModel(FakeLandmarks(), "regression", 9, 0.5, 2.0).estimate(
        blank_frame_rgb(), [roi]
    )
    assert plain.world_m is None


def test_a_floor_given_with_the_frame_reaches_placement_for_that_frame_only():
    seen = []

    def spy(rel_m, j2d, conf, intr, depth_m, config):
        seen.append(config.floor)
        return rel_m + [0.0, 0.0, 3.0], np.ones(rel_m.shape[:2])

    pipe = Pose3DPipeline(Stub2D(poses_with_world(1)), CountingLifter(), place=spy)
    floor = floor_from_angles(1.5, 10.0, 0.0)
    pipe.process(blank_frame_rgb(), VGA_INTRINSICS, STAMP_NS, floor=floor)
    pipe.process(blank_frame_rgb(), VGA_INTRINSICS, STAMP_NS + 1)
    assert seen == [floor, None]
    assert pipe.config.placement.floor is None
