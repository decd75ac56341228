"""core/behaviour: posture and gesture rules on synthetic skeletons, waving over time, hysteresis,
per-track state."""

import numpy as np
import pytest

from factories import canonical_skeleton_m
from pose3d_ros.core.behaviour import BehaviourConfig, BehaviourTracker, Gesture, Posture
from pose3d_ros.core.behaviour.debounce import Debounce
from pose3d_ros.core.behaviour.gesture import WaveDetector, classify_static, count_reversals
from pose3d_ros.core.behaviour.posture import classify_posture
from pose3d_ros.core.skeleton import H36M_JOINTS

J = {n: i for i, n in enumerate(H36M_JOINTS)}
UP_OPTICAL = np.array([0.0, -1.0, 0.0])
# body frame (x forward, y left, z up) -> camera optical frame, person facing a level camera
FACING_CAMERA = np.column_stack([[0, 0, -1], [1, 0, 0], [0, -1, 0]]).astype(float)
ALL = np.ones(17)
NS = 1_000_000_000
FPS = 30


def in_camera(body_m, rot=FACING_CAMERA, shift_m=(0.3, 0.2, 3.0)):
    """(17, 3) body-frame joints -> camera optical frame, 3 m in front of the camera."""
    return np.asarray(body_m) @ rot.T + np.asarray(shift_m)


def pitch_x(deg):
    """Rotation about the camera x axis (a camera pitched by deg)."""
    a = np.deg2rad(deg)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def with_joints(**pos):
    s = canonical_skeleton_m().copy()
    for name, p in pos.items():
        s[J[name]] = p
    return s


def sitting():
    """On a chair: thighs forward and level, shins down."""
    return with_joints(
        l_knee=(0.45, 0.1, 0.0), r_knee=(0.45, -0.1, 0.0), l_ankle=(0.47, 0.1, -0.45),
        r_ankle=(0.47, -0.1, -0.45),
    )  # fmt: skip


def squatting():
    """Deep squat: hips low over the feet, knees far forward and bent to ~50 deg."""
    return with_joints(
        l_knee=(0.4, 0.12, -0.05), r_knee=(0.4, -0.12, -0.05), l_ankle=(0.1, 0.1, -0.35),
        r_ankle=(0.1, -0.1, -0.35),
    )  # fmt: skip


def arms(left=None, right=None, left_elbow=None, right_elbow=None):
    s = canonical_skeleton_m().copy()
    for name, p in (
        ("l_wrist", left),
        ("r_wrist", right),
        ("l_elbow", left_elbow),
        ("r_elbow", right_elbow),
    ):
        if p is not None:
            s[J[name]] = p
    return s


@pytest.mark.parametrize("pitch_deg", [0.0, 20.0, -20.0])
def test_standing_sitting_crouching_with_a_level_or_pitched_camera(pitch_deg):
    rot = pitch_x(pitch_deg) @ FACING_CAMERA
    for body, want in (
        (canonical_skeleton_m(), Posture.STANDING),
        (sitting(), Posture.SITTING),
        (squatting(), Posture.CROUCHING),
    ):
        assert classify_posture(in_camera(body, rot), ALL, UP_OPTICAL) == want, want


def test_a_known_camera_pose_replaces_the_level_camera_assumption():
    steep = pitch_x(-70.0) @ FACING_CAMERA  # a camera looking steeply down at the person
    cam = in_camera(sitting(), steep)
    up_known = steep @ np.array([0.0, 0.0, 1.0])  # the body's (and world's) up, optical frame
    assert classify_posture(cam, ALL, UP_OPTICAL) != Posture.SITTING  # the assumption fails
    got = BehaviourTracker().update("abcde", 0, cam, project(cam), ALL, up_optical=up_known)
    assert got.posture == Posture.SITTING


def test_laying_but_not_bending_over():
    # lying on the floor along the camera's x axis: the body's z (head) points right in the image
    lying = np.column_stack([[0, -1, 0], [0, 0, -1], [1, 0, 0]]).astype(float)
    assert classify_posture(in_camera(canonical_skeleton_m(), lying), ALL, UP_OPTICAL) == (
        Posture.LAYING
    )
    # bent over at the hips, legs straight: the trunk is level but the hips stay high
    bent = canonical_skeleton_m().copy()
    upper = [J[n] for n in H36M_JOINTS if n.endswith(("spine", "thorax", "neck", "head"))]
    upper += [J[f"{side}_{n}"] for side in "lr" for n in ("shoulder", "elbow", "wrist")]
    bend = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], dtype=float)  # z (up) -> x (forward)
    bent[upper] = bent[upper] @ bend.T
    assert classify_posture(in_camera(bent), ALL, UP_OPTICAL) != Posture.LAYING


def test_posture_undefined_without_trusted_legs():
    conf = ALL.copy()
    conf[[J["l_ankle"], J["r_ankle"]]] = 0.0  # feet out of the image
    assert classify_posture(in_camera(sitting()), conf, UP_OPTICAL) == Posture.UNDEFINED


def test_static_gestures_in_the_body_frame():
    up = (0.05, 0.0, 0.95)  # above the head (head top at z 0.75)
    assert classify_static(arms(left=(0.05, 0.2, 0.95), right=(0.05, -0.2, 0.95)), ALL) == (
        Gesture.BOTH_HANDS_RAISED
    )
    assert classify_static(arms(left=(up[0], 0.25, up[2])), ALL) == Gesture.LEFT_HAND_RAISED
    assert classify_static(arms(right=(0.1, -0.35, 0.7)), ALL) == Gesture.RIGHT_HAND_RAISED
    assert classify_static(arms(right=(0.12, -0.04, 0.62)), ALL) == Gesture.HANDS_ON_FACE
    crossed = arms(
        left=(0.15, -0.12, 0.3), right=(0.15, 0.12, 0.32), left_elbow=(0.1, 0.2, 0.3),
        right_elbow=(0.1, -0.2, 0.3),
    )  # fmt: skip
    assert classify_static(crossed, ALL) == Gesture.ARMS_CROSSED
    assert classify_static(canonical_skeleton_m(), ALL) == Gesture.OTHER


def test_gestures_use_the_trusted_arms_only():
    conf = ALL.copy()
    conf[J["r_wrist"]] = 0.1  # the right arm is not trusted: judged on the left one
    both_up = arms(left=(0.05, 0.2, 0.95), right=(0.05, -0.2, 0.95))
    assert classify_static(both_up, conf) == Gesture.LEFT_HAND_RAISED
    conf[J["l_elbow"]] = 0.0
    assert classify_static(both_up, conf) == Gesture.UNDEFINED
    conf = ALL.copy()
    conf[J["head"]] = 0.0
    assert classify_static(both_up, conf) == Gesture.UNDEFINED


def raised_right_arm(swing_m):
    """Right upper arm out, forearm up, the wrist swung sideways by swing_m (body frame)."""
    return arms(right=(0.05, -0.35 + swing_m, 0.85), right_elbow=(0.05, -0.35, 0.55))


def project(joints_m, focal_px=600.0, center_px=(320.0, 240.0)):
    """(17, 3) camera-frame joints, m -> (17, 2) pinhole image points, px."""
    j = np.asarray(joints_m)
    return j[:, :2] / j[:, 2:3] * focal_px + np.asarray(center_px)


def play(tracker, frames, tid="abcde", start=0):
    """Feed body-frame skeletons at 30 fps (as a camera sees them, 3D and 2D); reported labels."""
    out = []
    for k, f in enumerate(frames):
        cam = in_camera(f)
        out.append(tracker.update(tid, (start + k) * NS // FPS, cam, project(cam), ALL))
    return out


def test_waving_needs_a_raised_hand_swinging_over_time():
    t = np.arange(60) / FPS  # 2 s at 30 fps
    wave = [raised_right_arm(0.12 * np.sin(2 * np.pi * 2.0 * s)) for s in t]
    got = [b.gesture for b in play(BehaviourTracker(), wave)]
    assert got[0] == Gesture.RIGHT_HAND_RAISED  # not yet: a wave takes time
    assert got[-1] == Gesture.WAVING
    first = got.index(Gesture.WAVING)
    assert 0.8 * FPS <= first <= 1.6 * FPS and set(got[first:]) == {Gesture.WAVING}
    # a raised hand held still, or jittering by a few mm, is raised, never waving
    rng = np.random.default_rng(0)
    still = [raised_right_arm(rng.normal(0, 0.004)) for _ in t]
    assert {b.gesture for b in play(BehaviourTracker(), still)} == {Gesture.RIGHT_HAND_RAISED}
    # the same swing with the hand down (below the shoulder) is not a wave
    low = [arms(right=(0.1, -0.2 + 0.12 * np.sin(2 * np.pi * 2.0 * s), 0.0)) for s in t]
    assert Gesture.WAVING not in {b.gesture for b in play(BehaviourTracker(), low)}


def test_wave_detector_ignores_repeated_stamps_and_resets_when_the_hand_drops():
    d = WaveDetector()
    for k in range(45):
        waving = d.update(k / FPS, True, 25.0 * np.sin(2 * np.pi * 2.0 * k / FPS))  # deg
    assert waving
    assert d.update(44 / FPS, True, 0.0)  # same stamp again: state unchanged
    assert d.update(45 / FPS, None)  # an untrusted frame: the wave goes on
    assert not d.update(46 / FPS, False, 0.0)  # the hand is down: the wave ends
    assert not d.update(47 / FPS, True, 25.0)  # starts again from nothing
    assert count_reversals(np.array([0.0, 1.0, 0.1, -1.0, 0.2, 1.0]), 0.5) == 2
    # white jitter as large as a wave's swing is not a wave
    rng = np.random.default_rng(1)
    d = WaveDetector()
    assert not any(d.update(k / FPS, True, rng.normal(0.0, 15.0)) for k in range(90))


def test_hysteresis_one_odd_frame_does_not_flip_the_label():
    tracker = BehaviourTracker(BehaviourConfig(hold_s=0.3))
    frames = [canonical_skeleton_m()] * 10 + [sitting()] * 2 + [canonical_skeleton_m()] * 5
    assert {b.posture for b in play(tracker, frames)} == {Posture.STANDING}
    # sitting held is reported once it is the clear majority of the last hold_s, and stays
    got = [b.posture for b in play(tracker, [sitting()] * 20, start=17)]
    first = got.index(Posture.SITTING)
    assert 0.15 * FPS <= first <= 0.3 * FPS and set(got[first:]) == {Posture.SITTING}


def test_untrusted_frames_keep_the_label_until_nothing_was_trusted_for_hold_s():
    tracker = BehaviourTracker(BehaviourConfig(hold_s=0.3))
    no_legs = ALL.copy()
    no_legs[[J["l_ankle"], J["r_ankle"]]] = 0.0
    body = in_camera(sitting())

    def frame(k, conf):
        return tracker.update("abcde", k * NS // FPS, body, project(body), conf).posture

    assert frame(0, ALL) == Posture.SITTING
    assert [frame(k, no_legs) for k in range(1, 9)] == [Posture.SITTING] * 8  # < 0.3 s
    assert frame(10, no_legs) == Posture.UNDEFINED  # nothing trusted for 0.3 s
    assert frame(11, ALL) == Posture.SITTING


def test_debounce_majority_over_hold_s():
    d = Debounce(0.5)
    assert d.update(Posture.SITTING, 10.0) == Posture.SITTING  # the first label at once
    assert d.update(Posture.STANDING, 10.1) == Posture.SITTING  # 1 of 2
    assert d.update(Posture.UNDEFINED, 10.2) == Posture.SITTING  # abstains
    assert d.update(Posture.STANDING, 10.3) == Posture.STANDING  # 2 of 3
    assert d.update(Posture.SITTING, 10.35) == Posture.STANDING  # 2 of 4: no majority


def test_tracks_are_independent_and_end_forgets():
    tracker = BehaviourTracker()
    a = play(tracker, [canonical_skeleton_m()], "aaaaa")
    b = play(tracker, [sitting()], "bbbbb")
    assert (a[0].posture, b[0].posture) == (Posture.STANDING, Posture.SITTING)
    tracker.end(["aaaaa", "zzzzz"])
    assert tracker.track_ids == ("bbbbb",)


def test_degenerate_skeleton_is_undefined_not_an_error():
    flat = np.zeros((17, 3))
    got = BehaviourTracker().update("abcde", 0, flat, np.zeros((17, 2)), ALL)
    assert got.gesture == Gesture.UNDEFINED


def test_labels_carry_the_hri_msgs_values():
    assert [int(p) for p in (Posture.OTHER, Posture.STANDING, Posture.LAYING)] == [0, 1, 4]
    assert [int(g) for g in (Gesture.OTHER, Gesture.HANDS_ON_FACE, Gesture.WAVING)] == [0, 1, 6]
