"""REP-155 (ROS4HRI) names in one place: frames and topics for a tracked body id."""

from __future__ import annotations

from pose3d_ros.core.skeleton import H36M_TO_ROS4HRI

BODIES_TRACKED_TOPIC = "/humans/bodies/tracked"
MARKERS_TOPIC = "~/markers"
DEBUG_IMAGE_TOPIC = "~/debug_image"
DIAGNOSTICS_TOPIC = "/diagnostics"


def body_frame(body_id: str) -> str:
    """TF frame of a body: `body_<id>`."""
    return f"body_{body_id}"


def joint_frame(joint_index: int, body_id: str) -> str:
    """TF frame of an H36M joint: `<ros4hri link name>_<id>`, e.g. `l_elbow_abcde`."""
    return f"{H36M_TO_ROS4HRI[joint_index]}_{body_id}"


def skeleton2d_topic(body_id: str) -> str:
    return f"/humans/bodies/{body_id}/skeleton2d"


def roi_topic(body_id: str) -> str:
    return f"/humans/bodies/{body_id}/roi"


def position_topic(body_id: str) -> str:
    """geometry_msgs/PointStamped: the body frame origin (mid-hip) in the image's optical frame."""
    return f"/humans/bodies/{body_id}/position"


def velocity_topic(body_id: str) -> str:
    """geometry_msgs/TwistStamped: the body frame origin's velocity in the image's optical frame."""
    return f"/humans/bodies/{body_id}/velocity"


def joint_states_topic(body_id: str) -> str:
    """sensor_msgs/JointState for robot_state_publisher (with the body's URDF)."""
    return f"/humans/bodies/{body_id}/joint_states"


def urdf_topic(body_id: str) -> str:
    """std_msgs/String, latched: the body's URDF."""
    return f"/humans/bodies/{body_id}/urdf"


def posture_topic(body_id: str) -> str:
    """hri_msgs/BodyPosture: standing, sitting, crouching, laying or other."""
    return f"/humans/bodies/{body_id}/posture"


def gesture_topic(body_id: str) -> str:
    """hri_msgs/Gesture: waving, hands raised, hands on face, arms crossed or other."""
    return f"/humans/bodies/{body_id}/gesture"


TRANSLATION_AXES = ("x", "y", "z")


def translation_joint(joint_index: int, axis: str, body_id: str) -> str:
    """URDF prismatic joint moving H36M joint `joint_index` along body axis `axis` (x, y or z):
    `<ros4hri link name>_t<axis>_<id>`, e.g. `l_elbow_tx_abcde`. The links between the x, y and z
    joints carry the same names as the joints before them; the z joint ends in joint_frame()."""
    if axis not in TRANSLATION_AXES:
        raise ValueError(f"axis must be one of {TRANSLATION_AXES}, got {axis!r}")
    return f"{H36M_TO_ROS4HRI[joint_index]}_t{axis}_{body_id}"


def joint_state_names(body_id: str) -> list[str]:
    """JointState names in publishing order: for each H36M joint, its x, y and z translation."""
    return [
        translation_joint(j, a, body_id)
        for j in range(len(H36M_TO_ROS4HRI))
        for a in TRANSLATION_AXES
    ]


def marker_namespace(body_id: str) -> str:
    """One RViz marker namespace per person."""
    return f"body_{body_id}"
