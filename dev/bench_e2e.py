"""End-to-end latency of pose3d_node over real DDS: Image published -> its body TF received.

    scripts/isolated.sh .venv/bin/python -m dev.bench_e2e --frames 200 \
        [--write-docs docs/benchmarks.md]

Starts the node as a separate process (config/pose3d.yaml, ROI tracking on), publishes one real
photo with one person (CameraInfo + Image, same stamp) one frame at a time, and times from just
before publish() to the arrival of the `body_<id>` transform with that stamp. Prints p50/p95 and
the node's own per-stage latencies (from /diagnostics). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from dev.dds_env import assert_isolated
from dev.doc_sections import write_section
from dev.node_process import start_node, stop_node

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSE3D_SHARED", ROOT / ".." / "shared"))
DEFAULT_IMAGE = SHARED / "data" / "real_images" / "coco" / "000000000785.jpg"


def run(args) -> dict:
    import cv2
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Header
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.core.types import CameraIntrinsics
    from pose3d_ros.ros.conversions import (
        array_to_image,
        intrinsics_to_camera_info,
        ns_to_stamp,
        stamp_to_ns,
    )

    bgr = cv2.imread(str(args.image))
    if bgr is None:
        raise SystemExit(f"cannot read {args.image}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    header = Header(frame_id="camera_optical_frame")
    image = array_to_image(rgb, "rgb8", header)
    info = intrinsics_to_camera_info(CameraIntrinsics.default_for(w, h, 60.0), header)

    rclpy.init()
    node = rclpy.create_node("pose3d_bench_e2e")
    qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    pub_img = node.create_publisher(Image, "/bench/image", qos)
    pub_info = node.create_publisher(CameraInfo, "/bench/camera_info", qos)
    arrived: dict[int, float] = {}
    diag: dict[str, str] = {}

    def on_tf(msg):
        t = time.perf_counter()
        for tf in msg.transforms:
            if tf.child_frame_id.startswith("body_"):
                arrived.setdefault(stamp_to_ns(tf.header.stamp), t)

    def on_diag(msg):
        for st in msg.status:
            if st.name.startswith("pose3d_node"):
                diag.update({kv.key: kv.value for kv in st.values})

    node.create_subscription(
        TFMessage, "/tf", on_tf, QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    )
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)

    def send(stamp_ns: int) -> float:
        for m in (image, info):
            m.header.stamp = ns_to_stamp(stamp_ns)
        pub_info.publish(info)
        t0 = time.perf_counter()
        pub_img.publish(image)
        return t0

    def wait_for(stamp_ns: int, timeout_s: float) -> bool:
        end = time.perf_counter() + timeout_s
        while stamp_ns not in arrived and time.perf_counter() < end:
            rclpy.spin_once(node, timeout_sec=0.005)
        return stamp_ns in arrived

    stamp_ns = time.time_ns()
    ready = False
    deadline = time.perf_counter() + args.start_timeout_s
    while not ready and time.perf_counter() < deadline:  # discovery + model load
        stamp_ns += 100_000_000
        send(stamp_ns)
        ready = wait_for(stamp_ns, 0.5)
    if not ready:
        raise SystemExit("the node produced no body TF for the photo (see the node log)")
    lat_ms, missed = [], 0
    for i in range(args.warmup + args.frames):
        stamp_ns += int(1e9 / args.rate_hz)
        t0 = send(stamp_ns)
        if wait_for(stamp_ns, 1.0):
            if i >= args.warmup:
                lat_ms.append(1e3 * (arrived[stamp_ns] - t0))
        elif i >= args.warmup:
            missed += 1
        time.sleep(max(0.0, 1.0 / args.rate_hz - (time.perf_counter() - t0)))
    end = time.perf_counter() + 2.5
    while time.perf_counter() < end:  # one more diagnostics period
        rclpy.spin_once(node, timeout_sec=0.05)
    node.destroy_node()
    rclpy.try_shutdown()
    a = np.array(lat_ms)
    return {
        "frames": len(a),
        "missed": missed,
        "p50": float(np.percentile(a, 50)),
        "p95": float(np.percentile(a, 95)),
        "mean": float(a.mean()),
        "max": float(a.max()),
        "size": f"{w}x{h}",
        "diag": diag,
    }


def report(res: dict, args) -> str:
    stages = ", ".join(
        f"{k[:-7]} {res['diag'][k]} ms" for k in sorted(res["diag"]) if k.endswith("_ms_p50")
    )
    return "\n".join(
        [
            "### End-to-end latency (Image published -> body TF received)",
            "",
            "Command: "
            f"`scripts/isolated.sh .venv/bin/python -m dev.bench_e2e --frames {args.frames}`",
            f"(node in its own process over Fast DDS shared memory, {res['size']} rgb8 photo with "
            f"one person, ROI tracking on, {args.rate_hz:g} Hz, one frame in flight; "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs).",
            "",
            "| frames | missed | p50 ms | p95 ms | mean ms | max ms |",
            "|---|---|---|---|---|---|",
            f"| {res['frames']} | {res['missed']} | {res['p50']:.1f} | {res['p95']:.1f} | "
            f"{res['mean']:.1f} | {res['max']:.1f} |",
            "",
            f"Node-side stage p50 (from /diagnostics): {stages or 'n/a'}.",
        ]
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--rate-hz", type=float, default=10.0)
    ap.add_argument("--start-timeout-s", type=float, default=60.0)
    ap.add_argument(
        "--param", action="append", default=[], help="node parameter override name:=value"
    )
    ap.add_argument("--node-log", type=Path, default=Path("out/bench_e2e_node.log"))
    ap.add_argument("--write-docs", type=Path, help="replace the e2e section of this markdown file")
    args = ap.parse_args(argv)
    assert_isolated()
    args.node_log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_node(args.node_log, args.param, "bench")
    try:
        res = run(args)
    finally:
        stop_node(proc)
    text = report(res, args)
    print(text)
    if args.write_docs:
        write_section(args.write_docs, "e2e", text, "# Benchmarks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
