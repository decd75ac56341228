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


def marker_namespace(body_id: str) -> str:
    """One RViz marker namespace per person."""
    return f"body_{body_id}"
