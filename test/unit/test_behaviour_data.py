"""dev/behaviour_data.py: the posture / gesture evaluation set's pieces (synthetic waves, clip
cameras, description keywords, oracle labels) on a synthetic skeleton, no mocap file needed."""

import numpy as np
import pytest

from dev import behaviour_data as bd
from factories import canonical_skeleton_m
from pose3d_ros.core.behaviour import Gesture, Posture
from pose3d_ros.core.behaviour.gesture import hand_up
from pose3d_ros.core.body_frame import body_pose
from pose3d_ros.core.skeleton import H36M_JOINTS

J = {n: i for i, n in enumerate(H36M_JOINTS)}
# body frame (x forward, y left, z up) -> world (+Y up), the person facing +Z, pelvis 0.95 m high
BODY_TO_WORLD = np.column_stack([[0, 0, 1], [1, 0, 0], [0, 1, 0]]).astype(float)


def standing_clip(frames=90):
    one = canonical_skeleton_m() @ BODY_TO_WORLD.T + np.array([0.0, 0.95, 0.0])
    return np.repeat(one[None], frames, axis=0)


def test_oracle_labels_standing_with_world_up():
    posture, gesture = bd.oracle_labels(standing_clip(3))
    assert list(posture) == [Posture.STANDING] * 3 and list(gesture) == [Gesture.OTHER] * 3


def test_add_wave_keeps_bone_lengths_and_raises_the_arm_only_during_the_wave():
    clip = standing_clip()
    wave = bd.Wave("r", 2.0, 30.0, start=30, end=60)
    out = bd.add_wave(clip, wave, 30.0)
    for a, b in (("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist")):
        before = np.linalg.norm(clip[:, J[a]] - clip[:, J[b]], axis=-1)
        after = np.linalg.norm(out[:, J[a]] - out[:, J[b]], axis=-1)
        assert after == pytest.approx(before)
    assert np.array_equal(out[:30], clip[:30]) and np.array_equal(out[60:], clip[60:])
    assert all(hand_up(body_pose(p).joints_body_m, "r") for p in out[30:60])
    assert np.array_equal(out[:, J["l_wrist"]], clip[:, J["l_wrist"]])  # the other arm stays
    sway = [body_pose(p).joints_body_m[J["r_wrist"], 1] for p in out[30:60]]
    assert np.ptp(sway) > 0.15  # +-30 deg of a ~0.3 m forearm


def test_plan_waves_fit_the_clip_with_gaps():
    waves = bd.plan_waves(600, np.random.default_rng(0), 30.0)
    assert waves and waves[0].start >= 30
    assert all(w.end <= 600 and 60 <= w.end - w.start <= 120 for w in waves)
    assert all(b.start - a.end >= 60 for a, b in zip(waves, waves[1:]))


def test_project_a_level_camera_keeps_up_as_minus_y():
    clip = standing_clip(2)
    cam = bd.ClipCamera(0.3, 1.2, 3.0, aim_height_m=1.2, roll_rad=0.0, focal_px=700.0)
    cam3d, uv, focal, center = bd.project(clip, cam)
    up = cam3d[0, J["thorax"]] - cam3d[0, J["pelvis"]]  # vertical in the world
    assert up == pytest.approx([0.0, -0.5, 0.0], abs=1e-9)
    assert np.all(cam3d[..., 2] > 2.0) and np.all((uv >= 0) & (uv < [1280, 720]))
    assert focal.shape == (2, 2) and center[0] == pytest.approx([640.0, 360.0])


def test_description_keywords():
    assert bd.description_classes("playground - climb, sit, dangle legs") == {"Posture.SITTING"}
    assert "Posture.CROUCHING" in bd.description_classes("jumping jacks, squats, jog")
    assert bd.description_classes("wash self") == {"Gesture.HANDS_ON_FACE"}
    assert bd.class_key(Gesture.WAVING) == "Gesture.WAVING"
