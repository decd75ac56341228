"""REP-155 (ROS4HRI) messages: tracked body ids, normalised 2D skeletons (COCO-18), ROIs, and per
body position, velocity, joint states, URDF, posture and gesture.

hri_msgs is imported lazily: `available()` is False where it is not installed, and the node then
skips these topics with one warning.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.behaviour import Gesture, Posture
from pose3d_ros.core.geometry import points_box
from pose3d_ros.core.skeleton import blazepose_to_coco18
from pose3d_ros.core.types import Person
from pose3d_ros.ros import naming
from pose3d_ros.ros.body_urdf import body_urdf


def available() -> bool:
    try:
        import hri_msgs.msg  # noqa: F401
    except ImportError:
        return False
    return True


def ids_list(ids, header):
    """hri_msgs/IdsList of the ids tracked in this frame."""
    from hri_msgs.msg import IdsList

    return IdsList(header=header, ids=list(ids))


def _normalised_xy(points_px: np.ndarray, width_px: int, height_px: int) -> np.ndarray:
    """(K, 2) px -> (K, 2) in [0, 1] of the image (points outside are clipped to the border)."""
    return np.clip(points_px / np.array([width_px, height_px], dtype=np.float64), 0.0, 1.0)


def skeleton2d(person: Person, width_px: int, height_px: int, header):
    """hri_msgs/Skeleton2D: 18 COCO/OpenPose keypoints, normalised, c = landmark visibility."""
    from hri_msgs.msg import NormalizedPointOfInterest2D, Skeleton2D

    p2 = person.pose2d
    xy = _normalised_xy(blazepose_to_coco18(p2.keypoints_px), width_px, height_px)
    conf = np.clip(blazepose_to_coco18(p2.visibility[:, None])[:, 0], 0.0, 1.0)
    pts = [
        NormalizedPointOfInterest2D(x=float(x), y=float(y), c=float(c))
        for (x, y), c in zip(xy, conf)
    ]
    return Skeleton2D(header=header, skeleton=pts)


def roi(person: Person, width_px: int, height_px: int, header):
    """hri_msgs/NormalizedRegionOfInterest2D: the box of the 33 landmarks, normalised; c = person
    score."""
    from hri_msgs.msg import NormalizedRegionOfInterest2D

    box = points_box(person.pose2d.keypoints_px)
    (x0, y0), (x1, y1) = _normalised_xy(box.reshape(2, 2), width_px, height_px)
    return NormalizedRegionOfInterest2D(
        header=header,
        xmin=float(x0),
        ymin=float(y0),
        xmax=float(x1),
        ymax=float(y1),
        c=float(np.clip(person.pose2d.score, 0.0, 1.0)),
    )


def position(origin_m: np.ndarray, header):
    """geometry_msgs/PointStamped: a body frame origin (mid-hip), m, in header.frame_id."""
    from geometry_msgs.msg import Point, PointStamped

    x, y, z = (float(v) for v in origin_m)
    return PointStamped(header=header, point=Point(x=x, y=y, z=z))


def velocity(velocity_mps: np.ndarray, header):
    """geometry_msgs/TwistStamped: linear velocity, m/s, in header.frame_id; angular is zero."""
    from geometry_msgs.msg import TwistStamped

    msg = TwistStamped(header=header)
    msg.twist.linear.x, msg.twist.linear.y, msg.twist.linear.z = (float(v) for v in velocity_mps)
    return msg


def joint_state(joints_body_m: np.ndarray, body_id: str, header):
    """sensor_msgs/JointState for the body's URDF (ros/body_urdf): (17, 3) H36M joints in the body
    frame, m -> the x, y, z prismatic joint positions of each joint, in naming.joint_state_names
    order.
    header.frame_id is left as given (robot_state_publisher ignores it)."""
    from sensor_msgs.msg import JointState

    values = np.asarray(joints_body_m, dtype=np.float64).reshape(-1)
    return JointState(
        header=header, name=naming.joint_state_names(body_id), position=[float(v) for v in values]
    )


def urdf(body_id: str):
    """std_msgs/String with the body's URDF."""
    from std_msgs.msg import String

    return String(data=body_urdf(body_id))


def body_posture(posture: Posture, header):
    """hri_msgs/BodyPosture; UNDEFINED (skeleton not trusted) is sent as OTHER."""
    from hri_msgs.msg import BodyPosture

    codes = {
        Posture.STANDING: BodyPosture.STANDING,
        Posture.SITTING: BodyPosture.SITTING,
        Posture.CROUCHING: BodyPosture.CROUCHING,
        Posture.LAYING: BodyPosture.LAYING,
    }
    return BodyPosture(header=header, posture=codes.get(posture, BodyPosture.OTHER))


def gesture(label: Gesture, header):
    """hri_msgs/Gesture; UNDEFINED (skeleton not trusted) is sent as OTHER."""
    from hri_msgs.msg import Gesture as GestureMsg

    codes = {
        Gesture.HANDS_ON_FACE: GestureMsg.HANDS_ON_FACE,
        Gesture.ARMS_CROSSED: GestureMsg.ARMS_CROSSED,
        Gesture.LEFT_HAND_RAISED: GestureMsg.LEFT_HAND_RAISED,
        Gesture.RIGHT_HAND_RAISED: GestureMsg.RIGHT_HAND_RAISED,
        Gesture.BOTH_HANDS_RAISED: GestureMsg.BOTH_HANDS_RAISED,
        Gesture.WAVING: GestureMsg.WAVING,
    }
    return GestureMsg(header=header, gesture=codes.get(label, GestureMsg.OTHER))
