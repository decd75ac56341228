"""People -> TF transforms (geometry_msgs/TransformStamped).

Tree per person: <image optical frame> -> body_<id> (REP-155 body frame, see core/body_frame)
-> <joint>_<id> for each H36M joint (ROS4HRI link names; orientation = the body frame's).
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.body_frame import BodyPose, body_pose
from pose3d_ros.core.types import Person
from pose3d_ros.ros import naming


def _transform(parent: str, child: str, stamp, xyz_m: np.ndarray, quat_xyzw: np.ndarray):
    from geometry_msgs.msg import TransformStamped

    t = TransformStamped()
    t.header.stamp = stamp
    t.header.frame_id = parent
    t.child_frame_id = child
    t.transform.translation.x, t.transform.translation.y, t.transform.translation.z = (
        float(v) for v in xyz_m
    )
    q = t.transform.rotation
    q.x, q.y, q.z, q.w = (float(v) for v in quat_xyzw)
    return t


def person_transforms(person: Person, parent_frame: str, stamp, with_joints: bool = True) -> list:
    """A tracked person -> [body_<id> in parent_frame] + [<joint>_<id> in body_<id>] (18 transforms;
    only the first without with_joints, when robot_state_publisher publishes the joint frames).

    Raises InputError (from body_pose) for a non-finite or degenerate skeleton: nothing is
    published.
    """
    return body_transforms(
        person.track_id, body_pose(person.joints3d_m), parent_frame, stamp, with_joints
    )


def body_transforms(
    body_id: str, pose: BodyPose, parent_frame: str, stamp, with_joints: bool = True
) -> list:
    """person_transforms for a body pose the caller already has (core/body_frame.body_pose)."""
    body = naming.body_frame(body_id)
    out = [_transform(parent_frame, body, stamp, pose.origin_m, pose.quat_xyzw)]
    if not with_joints:
        return out
    identity = np.array([0.0, 0.0, 0.0, 1.0])
    for j, xyz in enumerate(pose.joints_body_m):
        out.append(_transform(body, naming.joint_frame(j, body_id), stamp, xyz, identity))
    return out
