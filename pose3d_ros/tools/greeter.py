"""pose3d_greeter: an example behaviour node that uses only the REP-155 topics.

It follows /humans/bodies/tracked, subscribes to each body's /humans/bodies/<id>/position, picks
the nearest body (distance from the camera) and publishes where to look on ~/attention_target
(geometry_msgs/PointStamped): the origin of that person's `head_<id>` TF frame, stamped with the
body's latest position stamp, so whoever looks transforms it with TF into its own frame. It logs
when a person is found (becomes the target) and lost (leaves the tracked list), and, from the
target's /humans/bodies/<id>/gesture (hri_msgs/Gesture), when that person starts waving.

Written the way a behaviour node should be: ROS messages only (no pose3d_ros import), a body's
topics subscribed right after its id appears, with the transient-local QoS the publisher uses, so
the latest position arrives even though it was published before the id was announced.

    pose3d_greeter [--ros-args -r __ns:=/robot]
"""

from __future__ import annotations

import math
import sys

import rclpy
from geometry_msgs.msg import PointStamped
from hri_msgs.msg import Gesture, IdsList
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

TRACKED_TOPIC = "/humans/bodies/tracked"
# what pose3d_node publishes per body: the latest message stays available to late subscribers
BODY_QOS = QoSProfile(
    depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)


def distance_m(msg: PointStamped) -> float:
    """Distance of a position from the origin of its frame (the camera), m."""
    p = msg.point
    return math.sqrt(p.x * p.x + p.y * p.y + p.z * p.z)


def nearest(positions: dict[str, PointStamped]) -> str | None:
    """The id with the smallest distance_m, None when there is nobody."""
    return min(positions, key=lambda bid: distance_m(positions[bid]), default=None)


def started_waving(previous: int | None, msg: Gesture) -> bool:
    """True when msg says WAVING and the previous gesture (None: none yet) did not."""
    return msg.gesture == Gesture.WAVING and previous != Gesture.WAVING


class Greeter(Node):
    """Attention on the nearest person."""

    def __init__(self, **kwargs):
        super().__init__("pose3d_greeter", **kwargs)
        self._subs = {}  # body id -> its position subscription
        self._positions: dict[str, PointStamped] = {}  # body id -> latest position
        self._target: str | None = None
        self._gesture_sub = None  # the target's gesture subscription
        self._last_gesture: int | None = None  # the target's latest gesture
        self._attention = self.create_publisher(PointStamped, "~/attention_target", 10)
        self.create_subscription(IdsList, TRACKED_TOPIC, self._on_tracked, 10)

    def _on_tracked(self, msg: IdsList) -> None:
        ids = set(msg.ids)
        for bid in set(self._subs) - ids:
            self.destroy_subscription(self._subs.pop(bid))
            self._positions.pop(bid, None)
            if bid == self._target:
                self.get_logger().info(f"person {bid} lost")
                self._set_target(None)
        for bid in ids - set(self._subs):
            self._subs[bid] = self.create_subscription(
                PointStamped,
                f"/humans/bodies/{bid}/position",
                lambda m, bid=bid: self._on_position(bid, m),
                BODY_QOS,
            )
        self._choose()

    def _on_position(self, bid: str, msg: PointStamped) -> None:
        if bid not in self._subs:
            return  # a message already queued when the body left
        self._positions[bid] = msg
        self._choose()
        if bid == self._target:
            self._attention.publish(self._head_target(bid, msg))

    def _choose(self) -> None:
        best = nearest(self._positions)
        if best is None or best == self._target:
            return
        self._set_target(best)
        self.get_logger().info(
            f"person {best} found at {distance_m(self._positions[best]):.1f} m: "
            f"looking at head_{best}"
        )

    def _set_target(self, bid: str | None) -> None:
        """Make bid the target (None: nobody) and listen to its gesture only."""
        if self._gesture_sub is not None:
            self.destroy_subscription(self._gesture_sub)
            self._gesture_sub = None
        self._target, self._last_gesture = bid, None
        if bid is not None:
            self._gesture_sub = self.create_subscription(
                Gesture,
                f"/humans/bodies/{bid}/gesture",
                lambda m, bid=bid: self._on_gesture(bid, m),
                BODY_QOS,
            )

    def _on_gesture(self, bid: str, msg: Gesture) -> None:
        if bid != self._target:
            return  # queued before the target changed
        if started_waving(self._last_gesture, msg):
            self.get_logger().info(f"person {bid} is waving")
        self._last_gesture = msg.gesture

    @staticmethod
    def _head_target(bid: str, position: PointStamped) -> PointStamped:
        """The origin of frame head_<id>, at the stamp of the body's position."""
        target = PointStamped()
        target.header.stamp = position.header.stamp
        target.header.frame_id = f"head_{bid}"
        return target


def main(args=None) -> int:
    rclpy.init(args=args)
    node = Greeter()
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
