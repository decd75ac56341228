"""Diagnostics: the reported values and the DiagnosticArray built from them (no DDS needed)."""

import time

import pytest

pytest.importorskip("diagnostic_msgs.msg", reason="needs ROS 2 message packages (.venv)")

from pose3d_ros.ros.diagnostics import Diagnostics  # noqa: E402
from pose3d_ros.ros.frame_sync import LatestSlot, StampCache  # noqa: E402
from pose3d_ros.ros.stats import RunStats  # noqa: E402


class FakeNode:
    """Just enough of rclpy.Node for Diagnostics: a publisher that records, a clock."""

    def __init__(self):
        self.published = []

    def create_publisher(self, msg_type, topic, qos):
        node = self

        class Pub:
            def publish(self, msg):
                node.published.append((topic, msg))
        return Pub()

    def get_clock(self):
        from rclpy.clock import Clock, ClockType

        return Clock(clock_type=ClockType.SYSTEM_TIME)


def test_report_publishes_one_status_with_the_values():
    from diagnostic_msgs.msg import DiagnosticStatus

    stats, slot, node = RunStats(), LatestSlot(), FakeNode()
    for k in range(3):
        slot.put(k)
    slot.take(0.0)  # 3 received, 2 replaced before being processed
    for _ in range(5):
        stats.frame_done({"pose2d": 0.020, "lift": 0.001, "place": 0.0005}, people=1)
        time.sleep(0.01)
    diag = Diagnostics(node, stats, slot)
    diag.report()
    (topic, msg), = node.published
    assert topic == "/diagnostics"
    (status,) = msg.status
    values = {kv.key: kv.value for kv in status.values}
    assert status.level == DiagnosticStatus.OK
    assert values["frames_received"] == "3" and values["frames_dropped_busy"] == "2"
    assert values["frames_processed"] == "5" and values["pose2d_ms_p50"] == "20.0"
    assert 50 < float(values["fps"]) < 110
    stats.bad_input += 1
    diag.report()
    assert node.published[-1][1].status[0].level == DiagnosticStatus.WARN
    diag.report()  # no new failures: back to OK
    assert node.published[-1][1].status[0].level == DiagnosticStatus.OK


def test_stamp_cache_exact_then_nearest():
    cache = StampCache(size=3)
    for s in (100, 200, 300, 400):
        cache.add(s, f"v{s}")
    assert cache.nearest(300, tolerance_ns=0) == (True, "v300")
    assert cache.nearest(260, tolerance_ns=50) == (True, "v300")
    assert cache.nearest(100, tolerance_ns=50) == (False, None)  # evicted (size 3)
    assert len(cache) == 3
