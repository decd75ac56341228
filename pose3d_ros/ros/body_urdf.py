"""A tracked body's URDF, for robot_state_publisher fed with /humans/bodies/<id>/joint_states.

The tree reproduces exactly the joint frames this node publishes itself on /tf (ros/transforms):
root `body_<id>`; every H36M joint's frame `<ros4hri name>_<id>` hangs from it by three prismatic
joints along the body frame's x, y and z (`<name>_tx_<id>`, `<name>_ty_<id>`, `<name>_tz_<id>`,
through two massless links named like the x and y joints). The joint positions, in metres, are the
joint's coordinates in the body frame, so robot_state_publisher's frames equal the node's, with the
body frame's orientation. Link names are hri_body_detect's where both skeletons have the joint;
its revolute joint angles (`l_elbow_<id>`, `r_y_shoulder_<id>`, ...) are not produced: see README.

Each joint frame carries a small sphere (the head a larger one) so RViz's RobotModel shows the
skeleton's joints. Independent of the skeleton's size: the URDF of a body never changes, so it is
published once (latched) when the body appears.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pose3d_ros.core.skeleton import H36M_JOINTS
from pose3d_ros.ros import naming

ROBOT_NAME = "human"
JOINT_LIMIT_M = 3.0  # no joint is further than this from the mid-hip, along any body axis
JOINT_RADIUS_M = 0.03
HEAD_RADIUS_M = 0.1
_AXIS_XYZ = {"x": "1 0 0", "y": "0 1 0", "z": "0 0 1"}


def _link(robot: ET.Element, name: str, radius_m: float | None = None) -> None:
    link = ET.SubElement(robot, "link", name=name)
    if radius_m is not None:
        visual = ET.SubElement(link, "visual")
        geometry = ET.SubElement(visual, "geometry")
        ET.SubElement(geometry, "sphere", radius=f"{radius_m:g}")


def _prismatic(robot: ET.Element, name: str, parent: str, child: str, axis: str) -> None:
    joint = ET.SubElement(robot, "joint", name=name, type="prismatic")
    ET.SubElement(joint, "parent", link=parent)
    ET.SubElement(joint, "child", link=child)
    ET.SubElement(joint, "origin", xyz="0 0 0", rpy="0 0 0")
    ET.SubElement(joint, "axis", xyz=_AXIS_XYZ[axis])
    ET.SubElement(
        joint,
        "limit",
        lower=f"{-JOINT_LIMIT_M:g}",
        upper=f"{JOINT_LIMIT_M:g}",
        effort="0",
        velocity="100",
    )


def body_urdf(body_id: str) -> str:
    """The URDF (an XML document, str) of body `body_id`; see the module docstring."""
    robot = ET.Element("robot", name=ROBOT_NAME)
    body = naming.body_frame(body_id)
    _link(robot, body)
    for j, name in enumerate(H36M_JOINTS):
        parent = body
        for axis in naming.TRANSLATION_AXES:
            joint = naming.translation_joint(j, axis, body_id)
            child = naming.joint_frame(j, body_id) if axis == "z" else joint
            if axis == "z":
                _link(robot, child, HEAD_RADIUS_M if name == "head" else JOINT_RADIUS_M)
            else:
                _link(robot, child)
            _prismatic(robot, joint, parent, child, axis)
            parent = child
    ET.indent(robot)
    return '<?xml version="1.0"?>\n' + ET.tostring(robot, encoding="unicode") + "\n"
