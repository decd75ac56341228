"""Integration-test harness over real DDS: child processes and a test-side ROS node.

- RosProcess: a console command (pose3d_node, pose3d_play, ...) started as a separate
  process in its own process group with the isolated DDS environment; stop() ends the
  whole group (SIGINT, then SIGTERM, then SIGKILL) and the child also dies with the test
  process (PR_SET_PDEATHSIG), so no orphan survives a failing or interrupted test.
- TestNode: an rclpy context + node living in the test process, on the same domain, that
  publishes Image + CameraInfo pairs and collects whatever comes back (/tf, markers, ...)
  by spinning only while a test waits (single-threaded, deterministic).

rclpy is imported lazily, so importing this module never fails without ROS.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
_PR_SET_PDEATHSIG = 1


def console_command(name: str) -> list[str]:
    """argv prefix running console script `name` from the current interpreter's environment.

    Uses <venv>/bin/<name> when installed; otherwise runs its module with `python -m`.
    """
    script = Path(sys.executable).parent / name
    if script.is_file():
        return [str(script)]
    modules = {"pose3d_node": "pose3d_ros.ros.node", "pose3d_play": "pose3d_ros.tools.play"}
    return [sys.executable, "-m", modules[name]]


def _die_with_parent() -> None:
    """preexec_fn: SIGKILL this child when the test process dies, whatever the reason."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def group_alive(pgid: int) -> bool:
    """True while any process of process group `pgid` exists (zombies excluded)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class RosProcess:
    """One command in its own process group; output goes to `log_path`."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], log_path: Path) -> None:
        self.argv = list(argv)
        self.log_path = log_path
        with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                self.argv,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.pgid = self.proc.pid  # start_new_session: the child leads its own group

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout_s: float) -> int:
        """Exit code once the process ends; raises subprocess.TimeoutExpired after timeout_s."""
        return self.proc.wait(timeout=timeout_s)

    def output(self) -> str:
        """Everything the process wrote to stdout/stderr so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, grace_s: float = 5.0) -> int | None:
        """End the whole process group: SIGINT, then SIGTERM, then SIGKILL. Returns the exit
        code."""
        for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
            if self.proc.poll() is not None and not group_alive(self.pgid):
                break
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and (
                self.proc.poll() is None or group_alive(self.pgid)
            ):
                time.sleep(0.05)
        code = self.proc.poll()
        if code is None:
            code = self.proc.wait(timeout=2.0)
        return code


class Collector:
    """Messages received on one topic, in arrival order."""

    def __init__(self) -> None:
        self.msgs: list[Any] = []

    def __call__(self, msg: Any) -> None:
        self.msgs.append(msg)

    def __len__(self) -> int:
        return len(self.msgs)


class TestNode:
    """A private rclpy context and node for the test process, on domain `domain_id`."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, name: str, domain_id: int) -> None:
        import rclpy
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor

        self.context = Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._publishers: dict[tuple[type, str], Any] = {}

    @staticmethod
    def qos(reliable: bool, depth: int = 10):
        """Reliable or sensor-data (best effort) QoS, KEEP_LAST `depth`."""
        from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

        reliability = ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT
        return QoSProfile(depth=depth, reliability=reliability, history=HistoryPolicy.KEEP_LAST)

    def collect(
        self, msg_type: type, topic: str, reliable: bool = True, depth: int = 100
    ) -> Collector:
        """Subscribe to `topic`; the returned Collector fills while the test waits."""
        collector = Collector()
        self.node.create_subscription(msg_type, topic, collector, self.qos(reliable, depth))
        return collector

    def publisher(self, msg_type: type, topic: str, reliable: bool = True):
        """A cached publisher for (msg_type, topic)."""
        key = (msg_type, topic)
        if key not in self._publishers:
            self._publishers[key] = self.node.create_publisher(
                msg_type, topic, self.qos(reliable, 10)
            )
        return self._publishers[key]

    def publish_frame(
        self,
        rgb,
        intrinsics,
        stamp_ns: int,
        frame_id: str = "camera_color_optical_frame",
        image_topic: str = "image",
        info_topic: str = "camera_info",
    ) -> None:
        """Publish an (H, W, 3) uint8 RGB frame and its CameraInfo with the same header."""
        from builtin_interfaces.msg import Time
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import Header

        from pose3d_ros.ros.conversions import intrinsics_to_camera_info, rgb_to_image

        sec, nanosec = divmod(int(stamp_ns), 1_000_000_000)
        header = Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=frame_id)
        self.publisher(CameraInfo, info_topic).publish(
            intrinsics_to_camera_info(intrinsics, header)
        )
        self.publisher(Image, image_topic).publish(rgb_to_image(rgb, header))

    def spin_for(self, duration_s: float) -> None:
        """Process callbacks for `duration_s` seconds."""
        deadline = time.monotonic() + duration_s
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=min(0.05, max(0.0, deadline - time.monotonic())))

    def wait_for(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        """Spin until predicate() is true (returns True) or timeout_s passes (returns False)."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                return False
            self.executor.spin_once(timeout_sec=0.05)
        return True

    def wait_for_subscribers(
        self, msg_type: type, topic: str, count: int, timeout_s: float
    ) -> bool:
        """Wait until our publisher on `topic` is matched by `count` subscriptions."""
        pub = self.publisher(msg_type, topic)
        return self.wait_for(lambda: pub.get_subscription_count() >= count, timeout_s)

    def close(self) -> None:
        """Destroy the node and shut the private context down."""
        self.executor.shutdown(timeout_sec=1.0)
        self.node.destroy_node()
        self.context.try_shutdown()
