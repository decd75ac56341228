"""pose3d_greeter, the example behaviour node: the nearest-body choice, and that it is written the
way a user's node is (ROS messages only, nothing from pose3d_ros). Its DDS run with the real node is
in test/integration/test_behaviour_topics.py."""

import ast

import pytest

pytest.importorskip("hri_msgs.msg", reason="needs ROS 2 message packages (.venv)")

from geometry_msgs.msg import Point, PointStamped  # noqa: E402

from factories import REPO_ROOT  # noqa: E402
from pose3d_ros.tools import greeter  # noqa: E402


def at(x, y, z):
    return PointStamped(point=Point(x=x, y=y, z=z))


def test_nearest_is_the_smallest_distance_from_the_camera():
    assert greeter.distance_m(at(3.0, 0.0, 4.0)) == pytest.approx(5.0)
    positions = {"aaaaa": at(0.0, 0.0, 4.0), "bbbbb": at(2.5, 0.0, 2.5), "ccccc": at(0.0, 1.0, 6.0)}
    assert greeter.nearest(positions) == "bbbbb"
    assert greeter.nearest({}) is None


def test_greeter_uses_ros_messages_only():
    tree = ast.parse((REPO_ROOT / "pose3d_ros" / "tools" / "greeter.py").read_text())
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            tops.add(node.module.split(".")[0])
    assert tops <= {"__future__", "math", "sys", "rclpy", "geometry_msgs", "hri_msgs"}, tops
