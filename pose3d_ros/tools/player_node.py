"""The ROS side of pose3d_play: a node that publishes Image + CameraInfo pairs on a timer.

Frames and calibrations come from play_inputs (ROS-free); the command line is play.py, which
imports this module (never the reverse).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Iterator

import numpy as np
import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.ros.conversions import intrinsics_to_camera_info, rgb_to_image
from pose3d_ros.tools.play_inputs import Calibration, resized


class PlayerNode(Node):
    """Publishes one frame per timer tick; `done` turns true after the last one (or on error)."""

    def __init__(
        self,
        args: argparse.Namespace,
        rate_hz: float,
        calibration: Calibration | None,
        first: np.ndarray,
        source: Iterator[np.ndarray],
    ) -> None:
        super().__init__("pose3d_play")
        reliability = (
            ReliabilityPolicy.RELIABLE if args.qos == "reliable" else ReliabilityPolicy.BEST_EFFORT
        )
        qos = QoSProfile(depth=5, reliability=reliability, history=HistoryPolicy.KEEP_LAST)
        self._image_pub = self.create_publisher(Image, args.image_topic, qos)
        self._info_pub = self.create_publisher(CameraInfo, args.camera_info_topic, qos)
        self._args = args
        self._calibration = calibration
        self._next = first
        self._source = source
        self._pinholes: dict[tuple[int, int], Calibration] = {}
        self._wait_until = time.monotonic() + args.wait_timeout_s
        self.published = 0
        self.failed = False
        self.done = False
        self.started_s = 0.0
        self.finished_s = 0.0
        self._timer = self.create_timer(1.0 / rate_hz, self._tick)

    def _calibration_for(self, rgb: np.ndarray) -> Calibration | None:
        height_px, width_px = rgb.shape[:2]
        if self._calibration is not None:
            cal = self._calibration
            if (cal.width_px, cal.height_px) != (width_px, height_px):
                self.get_logger().error(
                    f"camera info {self._args.camera_info} is for {cal.width_px}x{cal.height_px} "
                    f"but the frame is {width_px}x{height_px}; use --resize "
                    f"{cal.width_px}x{cal.height_px} or a matching YAML"
                )
                return None
            return cal
        key = (width_px, height_px)
        if key not in self._pinholes:
            intrinsics = CameraIntrinsics.default_for(width_px, height_px, self._args.hfov_deg)
            self._pinholes[key] = Calibration.pinhole(intrinsics)
        return self._pinholes[key]

    def _ready(self) -> bool:
        wanted = self._args.wait_subscribers
        matched = min(
            self._image_pub.get_subscription_count(), self._info_pub.get_subscription_count()
        )
        if wanted <= 0 or matched >= wanted:
            return True
        if time.monotonic() > self._wait_until:
            self.get_logger().error(
                f"not {wanted} subscriber(s) on both {self._image_pub.topic_name} and "
                f"{self._info_pub.topic_name} "
                f"after {self._args.wait_timeout_s} s"
            )
            self._finish(failed=True)
        return False

    def _tick(self) -> None:
        if self.done or not self._ready():
            return
        if self.published == 0:
            self.started_s = time.monotonic()
        rgb = self._next
        calibration = self._calibration_for(rgb)
        if calibration is None:
            self._finish(failed=True)
            return
        header = Header(stamp=self.get_clock().now().to_msg(), frame_id=self._args.frame_id)
        self._info_pub.publish(
            intrinsics_to_camera_info(
                calibration.intrinsics,
                header,
                distortion=calibration.d,
                rectification=calibration.r,
                projection=calibration.p,
                distortion_model=calibration.distortion_model,
            )
        )
        self._image_pub.publish(rgb_to_image(rgb, header))
        self.published += 1
        if self._args.count and self.published >= self._args.count:
            self._finish(failed=False)
            return
        nxt = next(self._source, None)
        if nxt is None:
            self._finish(failed=False)
        else:
            self._next = resized(nxt, self._args.resize)

    def _finish(self, failed: bool) -> None:
        self.failed = failed
        self.done = True
        self.finished_s = time.monotonic()
        self._timer.cancel()


def run_player(
    args: argparse.Namespace,
    rate_hz: float,
    calibration: Calibration | None,
    first: np.ndarray,
    source: Iterator[np.ndarray],
) -> int:
    """Spin a PlayerNode until the source is exhausted, --count is reached or Ctrl-C; exit code."""
    rclpy.init()
    node = PlayerNode(args, rate_hz, calibration, first, source)
    try:
        while rclpy.ok() and not node.done:
            rclpy.spin_once(node, timeout_sec=0.1)
        time.sleep(0.2)  # let the last pair leave before the participant goes away
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        end_s = node.finished_s or time.monotonic()
        elapsed_s = end_s - node.started_s if node.published else 0.0
        rate = (node.published - 1) / elapsed_s if node.published > 1 and elapsed_s > 0 else 0.0
        print(
            f"pose3d_play: published {node.published} frame(s) in {elapsed_s:.1f} s "
            f"({rate:.1f} Hz)",
            file=sys.stderr,
        )
        failed = node.failed
        node.destroy_node()
        rclpy.try_shutdown()
    return 1 if failed else 0
