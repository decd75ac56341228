"""The floor from TF: our transform tree composes chains like tf2 does, and TfFloor hears
/tf_static and /tf (rclpy under scripts/isolated.sh)."""

import numpy as np
import pytest

from pose3d_ros.core.body_frame import rotation_to_quat_xyzw
from pose3d_ros.core.pose3d.floor import floor_from_angles
from pose3d_ros.ros.floor_tf import TransformTree, floor_in

OPTICAL_IN_LINK = (-0.5, 0.5, -0.5, 0.5)  # REP-103 camera_link (x fwd, z up) -> optical frame


def rot_y(deg):
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def rot_z(deg):
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


def robot_tree(height_m=1.2, pitch_deg=20.0, yaw_deg=35.0):
    """map -> base_footprint (moved and turned) -> camera_link (up height_m, pitched down)
    -> camera_optical."""
    tree = TransformTree()
    tree.set("map", "base_footprint", (3.0, -1.0, 0.0), rotation_to_quat_xyzw(rot_z(yaw_deg)))
    tree.set(
        "base_footprint",
        "camera_link",
        (0.1, 0.0, height_m),
        rotation_to_quat_xyzw(rot_y(pitch_deg)),
    )
    tree.set("/camera_link", "camera_optical", (0.0, 0.0, 0.0), OPTICAL_IN_LINK)
    return tree


def test_chain_gives_the_floor_of_the_camera_parameters():
    for floor_frame in ("base_footprint", "map"):  # any frame whose z = 0 is the floor
        fl = floor_in(robot_tree(), floor_frame, "camera_optical")
        ref = floor_from_angles(1.2, 20.0, 0.0)  # positive y rotation of a z-up link tilts it down
        np.testing.assert_allclose(fl.up_cam, ref.up_cam, atol=1e-9)
        assert fl.camera_height_m == pytest.approx(1.2)


def test_lookup_inverts_and_composes():
    tree = robot_tree()
    r, t = tree.lookup("camera_optical", "map")
    r_back, t_back = tree.lookup("map", "camera_optical")
    np.testing.assert_allclose(r @ r_back, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(r @ t_back + t, 0.0, atol=1e-12)
    assert tree.lookup("map", "map")[0] == pytest.approx(np.eye(3))


def test_unconnected_looped_or_below_floor_gives_none():
    tree = robot_tree()
    assert floor_in(tree, "odom", "camera_optical") is None  # not in the tree
    tree.set("camera_optical", "map", (0, 0, 0), (0, 0, 0, 1))  # a loop
    assert tree.lookup("map", "camera_optical") is None
    below = robot_tree(height_m=-0.5)
    assert floor_in(below, "base_footprint", "camera_optical") is None


def test_tf_floor_hears_tf_static_and_tf(ros_node):
    from geometry_msgs.msg import TransformStamped
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.floor_tf import TfFloor

    def msg(parent, child, xyz, q):
        tf = TransformStamped()
        tf.header.frame_id, tf.child_frame_id = parent, child
        tf.transform.translation.x, tf.transform.translation.y, tf.transform.translation.z = xyz
        r = tf.transform.rotation
        r.x, r.y, r.z, r.w = (float(v) for v in q)
        return tf

    floor = TfFloor(ros_node.node, "base_footprint")
    static_qos = QoSProfile(
        depth=10,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )
    pub_static = ros_node.node.create_publisher(TFMessage, "/tf_static", static_qos)
    pub = ros_node.node.create_publisher(TFMessage, "/tf", 10)
    pub_static.publish(
        TFMessage(transforms=[msg("camera_link", "cam_opt", (0, 0, 0), OPTICAL_IN_LINK)])
    )
    link = msg("base_footprint", "camera_link", (0.0, 0.0, 2.0), rotation_to_quat_xyzw(rot_y(30.0)))
    assert ros_node.wait_for(
        lambda: pub.publish(TFMessage(transforms=[link])) or floor.floor("cam_opt") is not None, 10
    )
    fl = floor.floor("cam_opt")
    np.testing.assert_allclose(fl.up_cam, floor_from_angles(2.0, 30.0, 0.0).up_cam, atol=1e-6)
    assert fl.camera_height_m == pytest.approx(2.0)
