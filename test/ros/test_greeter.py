"""pose3d_greeter, the example behaviour node: the nearest-body choice, and that it is written the
way a user's node is (ROS messages only, nothing from pose3d_ros). Its DDS run with the real node is
in test/integration/test_behaviour_topics.py."""

import ast

import pytest

pytest.importorskip("hri_msgs.msg", reason="needs ROS 2 message packages (.venv)")

from geometry_msgs.msg import Point, PointStamped  # noqa: E402
from hri_msgs.msg import Gesture, IdsList  # noqa: E402

from factories import REPO_ROOT  # noqa: E402
from pose3d_ros.tools import greeter  # noqa: E402


def at(x, y, z):
    return PointStamped(point=Point(x=x, y=y, z=z))


def test_nearest_is_the_smallest_distance_from_the_camera():
    assert greeter.distance_m(at(3.0, 0.0, 4.0)) == pytest.approx(5.0)
    positions = {"aaaaa": at(0.0, 0.0, 4.0), "bbbbb": at(2.5, 0.0, 2.5), "ccccc": at(0.0, 1.0, 6.0)}
    assert greeter.nearest(positions) == "bbbbb"
    assert greeter.nearest({}) is None


def test_waving_is_logged_once_when_it_starts():
    waving, raised = Gesture(gesture=Gesture.WAVING), Gesture(gesture=Gesture.RIGHT_HAND_RAISED)
    assert greeter.started_waving(None, waving)  # the first message already says waving
    assert greeter.started_waving(Gesture.RIGHT_HAND_RAISED, waving)
    assert not greeter.started_waving(Gesture.WAVING, waving)  # still the same wave
    assert not greeter.started_waving(None, raised)
    assert not greeter.started_waving(Gesture.WAVING, raised)


def test_greeter_uses_ros_messages_only():
    tree = ast.parse((REPO_ROOT / "pose3d_ros" / "tools" / "greeter.py").read_text())
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            tops.add(node.module.split(".")[0])
    assert tops <= {"__future__", "math", "sys", "rclpy", "geometry_msgs", "hri_msgs"}, tops


class RecordingLogger:
    """Stands in for the node's logger: keeps the info lines."""

    def __init__(self):
        self.lines = []

    def info(self, msg, **kwargs):
        self.lines.append(msg)


def test_greeter_logs_when_its_target_waves_over_dds(ros_node):
    from std_msgs.msg import Header

    node = greeter.Greeter(context=ros_node.context)
    log = RecordingLogger()
    node.get_logger = lambda: log
    received = []  # (body id, gesture) as the greeter's callback sees them
    on_gesture = node._on_gesture
    node._on_gesture = lambda bid, m: (received.append((bid, m.gesture)), on_gesture(bid, m))
    ros_node.executor.add_node(node)
    try:
        pubs = {}
        for bid in ("aaaaa", "bbbbb"):
            pubs[bid] = {
                "position": ros_node.node.create_publisher(
                    PointStamped, f"/humans/bodies/{bid}/position", greeter.BODY_QOS
                ),
                "gesture": ros_node.node.create_publisher(
                    Gesture, f"/humans/bodies/{bid}/gesture", greeter.BODY_QOS
                ),
            }
        tracked = ros_node.publisher(IdsList, greeter.TRACKED_TOPIC)
        assert ros_node.wait_for(lambda: tracked.get_subscription_count() >= 1, 10.0)

        def gesture(bid, code):
            pubs[bid]["gesture"].publish(Gesture(header=Header(), gesture=code))

        # two bodies, bbbbb nearer: it becomes the target once both positions are in (until
        # then the greeter may pick aaaaa, the only body it has a position for)
        pubs["aaaaa"]["position"].publish(at(0.0, 0.0, 4.0))
        pubs["bbbbb"]["position"].publish(at(0.0, 0.0, 2.0))
        tracked.publish(IdsList(ids=["aaaaa", "bbbbb"]))
        assert ros_node.wait_for(lambda: any("bbbbb found" in x for x in log.lines), 10.0)
        # aaaaa waves: not the target, so neither received nor logged
        gesture("aaaaa", Gesture.WAVING)
        gesture("bbbbb", Gesture.OTHER)
        assert ros_node.wait_for(lambda: ("bbbbb", Gesture.OTHER) in received, 10.0)
        # the target waves: one line per wave, however many WAVING messages it sends
        for code in (Gesture.WAVING, Gesture.WAVING, Gesture.OTHER, Gesture.WAVING):
            n = len(received)
            gesture("bbbbb", code)
            assert ros_node.wait_for(lambda: len(received) > n, 10.0)  # one at a time (depth 1)
        waves = [x for x in log.lines if "is waving" in x]
        assert waves == ["person bbbbb is waving"] * 2, log.lines
        assert all(bid == "bbbbb" for bid, _ in received)  # only the target's gesture
    finally:
        ros_node.executor.remove_node(node)
        node.destroy_node()
