"""Diagnostics, drop accounting and stamp gaps: values, levels and log lines (fake clock, no
DDS)."""

import pytest

pytest.importorskip("diagnostic_msgs.msg", reason="needs ROS 2 message packages (.venv)")

from factories import FakeClock, FakeNode  # noqa: E402
from factories import FakeRosLogger as FakeLogger  # noqa: E402
from pose3d_ros.ros.diagnostics import Diagnostics  # noqa: E402
from pose3d_ros.ros.drops import DropLog  # noqa: E402
from pose3d_ros.ros.frame_sync import LatestSlot, StampCache, StampGaps  # noqa: E402
from pose3d_ros.ros.stats import RunStats  # noqa: E402


def make(no_input_warn_s=5.0):
    node, clock = FakeNode(), FakeClock()
    stats, slot, drops, gaps = (
        RunStats(),
        LatestSlot(),
        DropLog(node.logger, clock=clock),
        StampGaps(),
    )
    diag = Diagnostics(
        node, stats, slot, drops, gaps, "/camera/image", no_input_warn_s, clock=clock
    )
    return diag, node, clock, stats, slot, drops, gaps


def last_status(node):
    topic, msg = node.published[-1]
    assert topic == "/diagnostics"
    (status,) = msg.status
    return status, {kv.key: kv.value for kv in status.values}


def test_report_publishes_one_status_with_the_values():
    from diagnostic_msgs.msg import DiagnosticStatus

    diag, node, clock, stats, slot, drops, gaps = make()
    for k in range(3):
        slot.put(k)
    slot.take(0.0)  # 3 received, 2 replaced before being processed
    for _ in range(5):
        stats.frame_done({"pose2d": 0.020, "lift": 0.001, "place": 0.0005}, people=1)
    diag.report()
    status, values = last_status(node)
    assert values["frames_received"] == "3" and values["count_busy"] == "2"
    assert values["frames_processed"] == "5" and values["pose2d_ms_p50"] == "20.0"
    assert values["image_topic"] == "/camera/image" and values["count_bad_image"] == "0"
    assert status.level == DiagnosticStatus.OK  # replaced frames are counted, not a warning
    stats.frame_failed()
    drops.report("bad_image", "bad image")
    stats.frame_done({}, people=1)
    diag.report()
    assert last_status(node)[0].level == DiagnosticStatus.WARN  # a frame dropped since the last
    diag.report()
    assert last_status(node)[0].level == DiagnosticStatus.OK  # nothing new: back to OK


def test_no_image_warns_with_the_topic_once_and_recovers():
    from diagnostic_msgs.msg import DiagnosticStatus

    diag, node, clock, stats, slot, drops, gaps = make(no_input_warn_s=5.0)
    diag.report()
    assert last_status(node)[0].level == DiagnosticStatus.OK
    clock.t_s += 6.0
    diag.report()
    diag.report()
    status, _ = last_status(node)
    assert status.level == DiagnosticStatus.WARN and "/camera/image" in status.message
    warnings = [t for lvl, t in node.logger.lines if lvl == "warning"]
    assert len(warnings) == 1 and "no image on /camera/image" in warnings[0]
    slot.put("frame")
    diag.report()
    assert ("info", "images arrive again on /camera/image") in node.logger.lines


def test_mostly_dropped_frames_are_an_error():
    from diagnostic_msgs.msg import DiagnosticStatus

    diag, node, clock, stats, slot, drops, gaps = make()
    stats.frame_done({}, people=0)
    for _ in range(3):
        stats.frame_failed()
        drops.report("bad_image", "bad image")
    diag.report()
    status, values = last_status(node)
    assert status.level == DiagnosticStatus.ERROR and values["count_bad_image"] == "3"


def test_drop_log_throttles_per_reason_and_counts_everything():
    logger, clock = FakeLogger(), FakeClock()
    drops = DropLog(logger, period_s=5.0, clock=clock)
    drops.report("bad_image", "a")
    drops.report("bad_image", "b")  # same reason within the period: counted, not logged
    drops.report("image_too_large", "c")  # another reason logs at once
    clock.t_s += 5.0
    drops.report("bad_image", "d")
    assert logger.lines == [
        ("error", "a"),
        ("error", "c"),
        ("error", "d (1 more since the last such line)"),
    ]
    assert drops.counts()["bad_image"] == 3 and drops.counts()["image_too_large"] == 1
    with pytest.raises(KeyError):
        drops.report("no_such_reason", "x")


def test_stamp_gaps_count_missing_frames():
    gaps = StampGaps()
    period = 33_333_333
    stamps = [k * period for k in range(10)] + [12 * period, 13 * period, 17 * period]
    found = [gaps.observe(s) for s in stamps]
    assert found[-3:] == [2, 0, 3] and gaps.missing == 5
    assert gaps.observe(5 * period) == 0  # backwards (a bag replayed): restart, no false gap
    assert gaps.observe(6 * period) == 0


def test_stamp_cache_exact_then_nearest():
    cache = StampCache(size=3)
    for s in (100, 200, 300, 400):
        cache.add(s, f"v{s}")
    assert cache.nearest(300, tolerance_ns=0) == (True, "v300")
    assert cache.nearest(260, tolerance_ns=50) == (True, "v300")
    assert cache.nearest(100, tolerance_ns=50) == (False, None)  # evicted (size 3)
    assert len(cache) == 3
