#!/usr/bin/env python3
r"""Measure sensor_msgs/Image delivery between two processes over the current DDS setup.

Prints frames received / sent and the median and p95 publish->receive latency.
Run it under the isolation wrapper, with and without the Fast DDS profile:

    scripts/isolated.sh .venv/bin/python scripts/dds_image_transport.py
    FASTDDS_DEFAULT_PROFILES_FILE= scripts/isolated.sh .venv/bin/python \
        scripts/dds_image_transport.py

(an empty FASTDDS_DEFAULT_PROFILES_FILE keeps Fast DDS's defaults).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def _qos(kind: str, depth: int):
    from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

    reliability = (
        ReliabilityPolicy.BEST_EFFORT if kind == "best_effort" else ReliabilityPolicy.RELIABLE
    )
    return QoSProfile(depth=depth, reliability=reliability, history=HistoryPolicy.KEEP_LAST)


def _publish(args: argparse.Namespace) -> int:
    import numpy as np
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("dds_image_transport_pub")
    pub = node.create_publisher(Image, "transport_check/image", _qos(args.qos, 5))
    deadline = time.monotonic() + 10.0
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # let the subscriber match all endpoints
    pixels = np.random.default_rng(0).integers(0, 255, (args.height, args.width, 3), dtype=np.uint8)
    data = pixels.tobytes()
    period_s = 1.0 / args.rate
    for index in range(args.frames):
        msg = Image()
        msg.height, msg.width, msg.encoding, msg.step = (
            args.height,
            args.width,
            "rgb8",
            args.width * 3,
        )
        msg.header.frame_id = str(index)
        now_ns = time.time_ns()
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(now_ns, 1_000_000_000)
        msg.data = data
        pub.publish(msg)
        time.sleep(period_s)
    time.sleep(1.0)
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


def _subscribe(args: argparse.Namespace) -> int:
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("dds_image_transport_sub")
    latencies_ms: list[float] = []

    def on_image(msg: Image) -> None:
        sent_ns = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        latencies_ms.append((time.time_ns() - sent_ns) / 1e6)

    node.create_subscription(Image, "transport_check/image", on_image, _qos(args.qos, 5))
    child = subprocess.Popen([sys.executable, __file__, "--role", "pub"] + _forward(args))
    try:
        while child.poll() is None:
            rclpy.spin_once(node, timeout_sec=0.05)
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            rclpy.spin_once(node, timeout_sec=0.05)
    finally:
        if child.poll() is None:
            child.kill()
        node.destroy_node()
        rclpy.try_shutdown()
    latencies_ms.sort()
    profile = os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE") or "(Fast DDS defaults)"
    print(f"profile: {profile}")
    print(f"{args.width}x{args.height} rgb8, qos={args.qos}, rate={args.rate} Hz")
    print(f"received {len(latencies_ms)} / {args.frames} frames")
    if latencies_ms:
        median = latencies_ms[len(latencies_ms) // 2]
        p95 = latencies_ms[min(len(latencies_ms) - 1, int(0.95 * len(latencies_ms)))]
        print(f"latency median {median:.2f} ms, p95 {p95:.2f} ms")
    return 0


def _forward(args: argparse.Namespace) -> list[str]:
    return [
        "--frames",
        str(args.frames),
        "--rate",
        str(args.rate),
        "--width",
        str(args.width),
        "--height",
        str(args.height),
        "--qos",
        args.qos,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--rate", type=float, default=30.0, help="publish rate, Hz")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--qos", choices=["best_effort", "reliable"], default="best_effort")
    parser.add_argument("--role", choices=["sub", "pub"], default="sub", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE"):
        os.environ.pop("FASTDDS_DEFAULT_PROFILES_FILE", None)
    return _publish(args) if args.role == "pub" else _subscribe(args)


if __name__ == "__main__":
    sys.exit(main())
