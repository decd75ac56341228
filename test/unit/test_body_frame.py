"""Body frame from joints: a known rotated/translated skeleton gives back its rotation and
origin."""

import numpy as np
import pytest

from factories import canonical_skeleton_m as canonical_skeleton
from factories import random_rotation
from pose3d_ros.core.body_frame import body_pose, quat_xyzw_to_rotation, rotation_to_quat_xyzw
from pose3d_ros.errors import InputError


def test_recovers_known_rotation_and_origin():
    rng = np.random.default_rng(0)
    body = canonical_skeleton()
    for _ in range(20):
        rot, t = random_rotation(rng), rng.normal(size=3) + [0, 0, 4]
        pose = body_pose(body @ rot.T + t)
        np.testing.assert_allclose(pose.origin_m, t, atol=1e-12)
        np.testing.assert_allclose(pose.rotation, rot, atol=1e-12)
        np.testing.assert_allclose(pose.joints_body_m, body, atol=1e-12)


def test_person_facing_the_camera_in_optical_frame():
    # optical frame: x right, y down, z forward. A person facing the camera: body x = -z_opt,
    # body z (up) = -y_opt, body y (their left) = camera's right... = +x_opt when facing us.
    rot = np.column_stack([[0, 0, -1], [1, 0, 0], [0, -1, 0]]).astype(float)
    pose = body_pose(canonical_skeleton() @ rot.T + [0, 0, 3])
    np.testing.assert_allclose(
        pose.rotation[:, 0], [0, 0, -1], atol=1e-12
    )  # forward: towards the camera


def test_quaternion_round_trip_and_known_value():
    rng = np.random.default_rng(1)
    for _ in range(50):
        rot = random_rotation(rng)
        q = rotation_to_quat_xyzw(rot)
        assert q[3] >= 0 and np.linalg.norm(q) == pytest.approx(1.0)
        np.testing.assert_allclose(quat_xyzw_to_rotation(q), rot, atol=1e-12)
    rz90 = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], float)
    np.testing.assert_allclose(rotation_to_quat_xyzw(rz90), [0, 0, np.sqrt(0.5), np.sqrt(0.5)])
    np.testing.assert_allclose(rotation_to_quat_xyzw(np.diag([1.0, -1, -1])), [1, 0, 0, 0])


def test_refuses_nan_and_degenerate_skeletons():
    j = canonical_skeleton()
    j[3, 1] = np.nan
    with pytest.raises(InputError):
        body_pose(j)
    with pytest.raises(InputError):
        body_pose(np.zeros((17, 3)))
    with pytest.raises(InputError):
        body_pose(np.zeros((16, 3)))
