"""Pose3DPipeline wiring, with small stand-in stages from test/factories.py (never in the
product)."""

import numpy as np
import pytest

from factories import STAMP_NS, VGA_INTRINSICS, Stub2D, StubLifter, make_pose2d, place_at
from factories import blank_frame_rgb as frame
from pose3d_ros.core.pipeline import PipelineConfig, Pose3DPipeline
from pose3d_ros.core.pose3d.placement import PlacementConfig
from pose3d_ros.core.skeleton import blazepose_to_h36m
from pose3d_ros.errors import ConfigError, InputError

INTR = VGA_INTRINSICS


def test_people_batched_and_placed_in_order():
    poses = [make_pose2d(0, 0.6), make_pose2d(50, 0.95), make_pose2d(90, 0.3)]
    lifter = StubLifter()
    pipe = Pose3DPipeline(Stub2D(poses), lifter, PipelineConfig(), place=place_at(4.0))
    result = pipe.process(frame(), INTR, STAMP_NS)
    people = result.people
    assert [p.pose2d.score for p in people] == [0.6, 0.95, 0.3]  # the 2D stage's order and choice
    assert lifter.batches == [3]  # lifted in one batch
    p = people[1]
    assert p.joints2d_px.shape == (17, 2) and p.joints3d_m.shape == (17, 3)
    np.testing.assert_allclose(p.joints2d_px, blazepose_to_h36m(poses[1].keypoints_px))
    assert p.joints3d_m[0, 2] == pytest.approx(4.0)
    np.testing.assert_allclose(p.joints2d_conf, 0.8)
    np.testing.assert_allclose(p.joints3d_conf, 0.7)  # from the placement
    assert len({p.track_id for p in people}) == 3 and result.active_ids == tuple(
        p.track_id for p in people
    )
    assert set(result.timings_s) == {"pose2d", "lift", "place", "track"}
    assert all(v >= 0 for v in result.timings_s.values())


def test_empty_frame_and_config():
    with pytest.raises(ConfigError):
        PipelineConfig(placement=PlacementConfig(min_depth_m=0.0))
    empty = Pose3DPipeline(Stub2D([]), StubLifter(), place=place_at(3.0))
    result = empty.process(frame(), INTR, STAMP_NS)
    assert result.people == [] and result.ended_ids == () and result.active_ids == ()


def test_nan_or_behind_camera_people_are_dropped():
    def bad_place(rel_m, j2d, conf, intr, depth_m, config):
        out = rel_m + np.array([0.0, 0.0, 3.0])
        out[0, 3, 0] = np.nan  # first person NaN
        out[1] -= np.array([0.0, 0.0, 3.0])  # second at the camera origin
        return out, np.ones(out.shape[:2])

    poses = [make_pose2d(0, 0.9), make_pose2d(40, 0.8), make_pose2d(80, 0.7)]
    pipe = Pose3DPipeline(Stub2D(poses), StubLifter(), place=bad_place)
    people = pipe.process(frame(), INTR, STAMP_NS).people
    assert [p.pose2d.score for p in people] == [0.7]
    assert pipe.rejected_count == 2


def test_bad_frames_raise_input_error():
    pipe = Pose3DPipeline(Stub2D([]), StubLifter(), place=place_at(3.0))
    with pytest.raises(InputError):
        pipe.process(np.zeros((480, 640), np.uint8), INTR, STAMP_NS)
    with pytest.raises(InputError):
        pipe.process(np.zeros((480, 640, 3), np.float32), INTR, STAMP_NS)
    with pytest.raises(InputError):
        pipe.process(frame(320, 240), INTR, STAMP_NS)
    with pytest.raises(InputError):
        pipe.process(frame(), INTR, STAMP_NS, depth_m=np.zeros((10, 10), np.float32))


def test_inputs_are_not_modified():
    poses = [make_pose2d(0, 0.9)]
    kp = poses[0].keypoints_px.copy()
    f = frame()
    f[0, 0] = 7
    Pose3DPipeline(Stub2D(poses), StubLifter(), place=place_at(3.0)).process(f, INTR, STAMP_NS)
    np.testing.assert_array_equal(poses[0].keypoints_px, kp)
    assert f[0, 0, 0] == 7


def test_ids_follow_the_2d_track_and_end_by_timeout():
    """The pipeline owns identity and time: a person the 2D stage keeps (same track_key) keeps its
    id even when its box jumps; a track unseen for timeout_s ends, also through expire()."""
    import dataclasses

    a = dataclasses.replace(make_pose2d(0, 0.9), track_key=1)
    stage = Stub2D([a])
    pipe = Pose3DPipeline(stage, StubLifter(), place=place_at(3.0))
    first = pipe.process(frame(), INTR, STAMP_NS).people[0].track_id
    stage.poses = [
        dataclasses.replace(make_pose2d(150, 0.9), track_key=1)
    ]  # far away, same 2D track
    assert pipe.process(frame(), INTR, STAMP_NS + 33_000_000).people[0].track_id == first
    stage.poses = [
        dataclasses.replace(make_pose2d(150, 0.9), track_key=2)
    ]  # a new 2D track, same box
    assert (
        pipe.process(frame(), INTR, STAMP_NS + 66_000_000).people[0].track_id == first
    )  # IoU match
    assert pipe.expire(STAMP_NS + 500_000_000) == ()
    assert pipe.expire(STAMP_NS + 2_000_000_000) == (first,)
    assert pipe.active_ids == ()


def test_set_config_reaches_every_stage():
    stage = Stub2D([make_pose2d(0, 0.9)])
    pipe = Pose3DPipeline(stage, StubLifter(), place=place_at(3.0))
    from pose3d_ros.core.pose2d import Pose2DConfig

    pipe.set_config(PipelineConfig(pose2d=Pose2DConfig(max_people=2)))
    assert stage.resets == 1 and pipe.config.pose2d.max_people == 2
    pipe.set_config(
        PipelineConfig(
            pose2d=Pose2DConfig(max_people=2), placement=PlacementConfig(min_depth_m=5.0)
        )
    )
    assert stage.resets == 1  # unchanged 2D settings keep the 2D tracks
    assert pipe.process(frame(), INTR, STAMP_NS).people == []  # placed at 3 m < 5 m: dropped


def test_a_scene_cut_of_the_2d_stage_ends_every_id():
    """A 2D stage that reports `scene_cut` (another picture) makes every id end on that frame,
    even for a person whose box is where an old one was."""
    pose = make_pose2d(0, 0.9)
    stage = Stub2D([pose])
    pipe = Pose3DPipeline(stage, StubLifter(), place=place_at(3.0))
    first = pipe.process(frame(), INTR, STAMP_NS).people[0].track_id
    assert pipe.process(frame(), INTR, STAMP_NS + 1).people[0].track_id == first  # IoU match
    stage.scene_cut = True
    res = pipe.process(frame(), INTR, STAMP_NS + 2)
    assert res.people[0].track_id != first and res.ended_ids == (first,)
