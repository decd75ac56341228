"""CPU of the managed node in each lifecycle state while a camera keeps publishing.

    scripts/isolated.sh .venv/bin/python -m dev.lifecycle_cpu [--phase-s 20] \
        [--write-docs docs/benchmarks.md]

Starts pose3d_lifecycle_node as its own process (config/pose3d.yaml), publishes a 640x480 rgb8 COCO
photo of one person (+ camera_info with the same stamp) at --rate-hz the whole time, and walks the
node through unconfigured -> configure -> inactive -> activate -> active -> deactivate -> inactive,
holding each state for --phase-s seconds. Per phase it reports the node process's CPU time per
wall second (utime + stime from /proc/<pid>/stat, all its threads), its thread count, the frames
published and the frames answered with a body TF (processed). A benchmark that prints figures, not
a test (test/ros/test_lifecycle.py counts the inference itself).
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from pathlib import Path

from dev.dds_env import assert_isolated
from dev.doc_sections import write_section
from dev.node_process import start_node, stop_node
from dev.soak import HEIGHT_PX, SCENES, WIDTH_PX, cpu_model, load_scene

NODE = "/pose3d_node"
TOPIC_NS = "lifecycle_cpu"
CLK_TCK = os.sysconf("SC_CLK_TCK")
RETRY_S = 2.0  # an unanswered get_state / probe is sent again after this long


def cpu_s(pid: int) -> float:
    """utime + stime of process pid (all its threads), s."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return -1


class Bench:
    """The camera publisher, the /tf listener and the lifecycle client, on one rclpy node."""

    def __init__(self, rate_hz: float):
        import rclpy
        from lifecycle_msgs.srv import ChangeState, GetState
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import Header
        from tf2_msgs.msg import TFMessage

        from pose3d_ros.core.types import CameraIntrinsics
        from pose3d_ros.ros.conversions import intrinsics_to_camera_info, rgb_to_image

        rclpy.init()
        self.rclpy, self.node = rclpy, rclpy.create_node("pose3d_lifecycle_cpu")
        header = Header(frame_id="camera_optical_frame")
        source, columns, _ = SCENES[0]  # one person
        self.image = rgb_to_image(load_scene(source, columns), header)
        intr = CameraIntrinsics.default_for(WIDTH_PX, HEIGHT_PX, 60.0)
        self.info = intrinsics_to_camera_info(intr, header)
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self.pub_image = self.node.create_publisher(Image, f"/{TOPIC_NS}/image", qos)
        self.pub_info = self.node.create_publisher(CameraInfo, f"/{TOPIC_NS}/camera_info", qos)
        self.answered: set[int] = set()
        self.node.create_subscription(
            TFMessage, "/tf", self._on_tf, QoSProfile(depth=100, reliability=qos.reliability)
        )
        self.change = self.node.create_client(ChangeState, f"{NODE}/change_state")
        self.get = self.node.create_client(GetState, f"{NODE}/get_state")
        self.period_s = 1.0 / rate_hz
        self.stamp_ns = time.time_ns()

    def _on_tf(self, msg) -> None:
        from pose3d_ros.ros.conversions import stamp_to_ns

        for tf in msg.transforms:
            if tf.child_frame_id.startswith("body_"):
                self.answered.add(stamp_to_ns(tf.header.stamp))

    def stream(self, duration_s: float) -> list[int]:
        """Publish frames at the rate for duration_s, spinning in between; the stamps sent."""
        from pose3d_ros.ros.conversions import ns_to_stamp

        sent, t0 = [], time.perf_counter()
        while (now := time.perf_counter()) < t0 + duration_s:
            due = t0 + len(sent) * self.period_s
            if now < due:
                self.rclpy.spin_once(self.node, timeout_sec=min(0.005, due - now))
                continue
            self.stamp_ns += int(self.period_s * 1e9)
            self.image.header.stamp = self.info.header.stamp = ns_to_stamp(self.stamp_ns)
            self.pub_info.publish(self.info)
            self.pub_image.publish(self.image)
            sent.append(self.stamp_ns)
        return sent

    def call(self, client, request, timeout_s: float):
        """The response to request, sent again every RETRY_S until answered: a server may answer
        before it has discovered a fresh client's response reader (seen on Jazzy's Fast DDS), so
        only requests that change nothing go through here."""
        deadline = time.perf_counter() + timeout_s
        while not client.service_is_ready():
            if time.perf_counter() > deadline:
                raise SystemExit(f"{client.srv_name} never appeared")
            self.stream(0.2)
        while time.perf_counter() < deadline:
            future = client.call_async(request)
            end = time.perf_counter() + RETRY_S
            while not future.done() and time.perf_counter() < end:
                self.stream(0.05)
            if future.done():
                return future.result()
        raise SystemExit(f"{client.srv_name} never answered")

    def transition(self, label: str, timeout_s: float) -> None:
        """An unknown label until answered (changes nothing), then the transition, once."""
        from lifecycle_msgs.srv import ChangeState

        probe = ChangeState.Request()
        probe.transition.label = "no_such_transition"
        self.call(self.change, probe, timeout_s)
        request = ChangeState.Request()
        request.transition.label = label
        future = self.change.call_async(request)
        deadline = time.perf_counter() + timeout_s
        while not future.done():
            if time.perf_counter() > deadline:
                raise SystemExit(f"transition {label} never answered")
            self.stream(0.05)
        if not future.result().success:
            raise SystemExit(f"transition {label} failed")

    def state(self, timeout_s: float) -> str:
        from lifecycle_msgs.srv import GetState

        return self.call(self.get, GetState.Request(), timeout_s).current_state.label

    def close(self) -> None:
        self.node.destroy_node()
        self.rclpy.try_shutdown()


def measure(bench: Bench, pid: int, phase_s: float, settle_s: float) -> dict:
    """One phase: settle (frames keep coming), then phase_s of frames with the CPU measured."""
    bench.stream(settle_s)
    c0, t0 = cpu_s(pid), time.perf_counter()
    sent = bench.stream(phase_s)
    c1, t1 = cpu_s(pid), time.perf_counter()
    bench.stream(1.0)  # the last frames' TF
    return {
        "cpu_s_per_s": (c1 - c0) / (t1 - t0),
        "threads": threads(pid),
        "sent": len(sent),
        "answered": sum(s in bench.answered for s in sent),
    }


def run(args, proc) -> list[tuple[str, dict]]:
    bench = Bench(args.rate_hz)
    try:
        state = bench.state(args.start_timeout_s)  # the node is up: unconfigured
        rows = [(state, measure(bench, proc.pid, args.phase_s, args.settle_s))]
        for label in ("configure", "activate", "deactivate"):
            bench.transition(label, args.start_timeout_s)
            rows.append((bench.state(10.0), measure(bench, proc.pid, args.phase_s, args.settle_s)))
        return [(f"{i + 1}. {state}", r) for i, (state, r) in enumerate(rows)]
    finally:
        bench.close()


def table(rows, args) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "### Managed node: CPU per lifecycle state",
        "",
        "Command: `scripts/isolated.sh .venv/bin/python -m dev.lifecycle_cpu "
        f"--phase-s {args.phase_s:g}` ({now}; {cpu_model()}, `nproc` {os.cpu_count()}).",
        f"pose3d_lifecycle_node in its own process (config/pose3d.yaml, ONNX Runtime CPU, 1 thread "
        f"per model), a {WIDTH_PX}x{HEIGHT_PX} rgb8 photo of one person + camera_info published at "
        f"{args.rate_hz:g} Hz throughout; each state held {args.settle_s:g} s, then measured for "
        f"{args.phase_s:g} s. CPU = the node process's utime + stime (/proc/<pid>/stat, all "
        "threads) per wall second; answered = frames that came back as a body TF. Inactive and "
        "unconfigured, the node has no camera subscription and no worker thread (the frames are "
        "not even delivered to it); threads counts the process's threads (ROS, DDS, ONNX Runtime; "
        "while active also the worker and the 2D stage's newcomer-scan thread).",
        "",
        "| state | node CPU s/s | threads | frames published | frames answered |",
        "|---|---|---|---|---|",
    ]
    for state, r in rows:
        lines.append(
            f"| {state} | {r['cpu_s_per_s']:.3f} | {r['threads']} | {r['sent']} | {r['answered']} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phase-s", type=float, default=20.0, help="seconds measured per state")
    ap.add_argument("--settle-s", type=float, default=3.0, help="seconds before each measurement")
    ap.add_argument("--rate-hz", type=float, default=15.0)
    ap.add_argument("--start-timeout-s", type=float, default=120.0)
    ap.add_argument("--node-log", type=Path, default=Path("out/lifecycle_cpu_node.log"))
    ap.add_argument("--write-docs", type=Path, default=None, metavar="MD")
    args = ap.parse_args(argv)
    assert_isolated()
    args.node_log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_node(args.node_log, [], TOPIC_NS, module="pose3d_ros.ros.lifecycle_node")
    try:
        rows = run(args, proc)
    finally:
        code = stop_node(proc)
    text = table(rows, args) + f"\n\nNode exit code after SIGINT: {code}."
    print(text)
    if args.write_docs:
        write_section(args.write_docs, "lifecycle_cpu", text, "# Benchmarks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
