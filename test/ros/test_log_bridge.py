"""Python logging from the ROS-free layers reaches the node's ROS logger at the same severity."""

import logging

from factories import FakeRosLogger
from pose3d_ros.ros import log_bridge


def test_records_are_forwarded_by_level_and_detach_stops_them():
    ros = FakeRosLogger()
    handler = log_bridge.attach(ros)
    try:
        logging.getLogger("pose3d_ros.tensorrt").warning("engine %s is stale", "m.engine")
        logging.getLogger("pose3d_ros.core.pipeline").error("boom")
        logging.getLogger("other").warning("not ours")
    finally:
        log_bridge.detach(handler)
    logging.getLogger("pose3d_ros.tensorrt").warning("after detach")
    assert ros.lines == [
        ("warning", "[pose3d_ros.tensorrt] engine m.engine is stale"),
        ("error", "[pose3d_ros.core.pipeline] boom"),
    ]
