"""pose3d_lifecycle_node in its own process over real DDS with the real models, driven through its
lifecycle services as `ros2 lifecycle set` would: no camera subscription and no output before
activate or after deactivate, tracks ended by deactivate, a failing configure that leaves the
process alive and unconfigured until the parameter is fixed, and --autostart. Needs .venv (make
setup), the models (make models) and scripts/isolated.sh (make test); skips with the reason
otherwise."""

from __future__ import annotations

import sys
import time

from factories import REPO_ROOT
from node_helpers import (
    BASE_NS,
    FRAME,
    PERIOD_NS,
    READY_S,
    body_tfs,
    change_state,
    lifecycle_state,
    params,
    wait_node_ready,
)

TRACK_TIMEOUT_S = 30.0  # longer than any test: only deactivate ends a track here


def start_managed(launch, engines_dir, *param_values: str, autostart: bool = False):
    """pose3d_lifecycle_node with config/pose3d.yaml, engines_dir and the "name:=value"
    parameters; its RosProcess."""
    argv = [sys.executable, "-m", "pose3d_ros.ros.lifecycle_node"]
    argv += ["--autostart"] if autostart else []
    argv += ["--ros-args", "--params-file", str(REPO_ROOT / "config" / "pose3d.yaml")]
    argv += params(
        f"engines_dir:={engines_dir}", f"track_timeout_s:={TRACK_TIMEOUT_S}", *param_values
    )
    return launch(argv, "pose3d_lifecycle_node")


class Stream:
    """The skier photo published with increasing stamps; which stamps got body TFs back."""

    def __init__(self, ros_node, skier, start_ns: int):
        from tf2_msgs.msg import TFMessage

        self.ros_node, self.skier, self.next_ns = ros_node, skier, start_ns
        self.tf = ros_node.collect(TFMessage, "/tf")

    def send(self) -> int:
        stamp_ns, self.next_ns = self.next_ns, self.next_ns + PERIOD_NS
        self.ros_node.publish_frame(*self.skier, stamp_ns, FRAME)
        return stamp_ns

    def answered(self, stamp_ns: int) -> bool:
        return bool(body_tfs(self.tf.msgs, stamp_ns))

    def until_answered(self, proc, timeout_s: float = 60.0) -> list[int]:
        """Publish once a second until a frame gets its body TF (DDS matched both ways, first
        inference done); the stamps sent."""
        sent, deadline = [], time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            sent.append(self.send())
            if self.ros_node.wait_for(lambda: self.answered(sent[-1]), 1.0):
                return sent
        raise AssertionError(f"no body TF within {timeout_s} s:\n{proc.output()}")


def test_transitions_gate_all_processing(launch, ros_node, engines_dir, skier):
    from hri_msgs.msg import IdsList

    tracked = ros_node.collect(IdsList, "/humans/bodies/tracked")
    stream = Stream(ros_node, skier, BASE_NS)
    proc = start_managed(launch, engines_dir)
    assert lifecycle_state(ros_node) == "unconfigured", proc.output()
    assert "models loaded" not in proc.output()

    assert change_state(ros_node, "configure"), proc.output()
    assert lifecycle_state(ros_node) == "inactive" and "models loaded" in proc.output()
    # its publishers are discovered; the camera subscription does not exist yet
    assert ros_node.wait_for(lambda: ros_node.node.count_publishers("/humans/bodies/tracked"), 30)
    assert ros_node.node.count_subscribers("/image") == 0
    asleep = [stream.send() for _ in range(5)]

    assert change_state(ros_node, "activate")
    wait_node_ready(ros_node, proc)
    stream.until_answered(proc)
    assert ros_node.wait_for(lambda: any(m.ids for m in tracked.msgs), 10.0)

    assert change_state(ros_node, "deactivate")
    assert lifecycle_state(ros_node) == "inactive"
    assert ros_node.wait_for(lambda: ros_node.node.count_subscribers("/image") == 0, 30)
    assert ros_node.wait_for(lambda: not tracked.msgs[-1].ids, 10.0)  # every track ended
    asleep += [stream.send() for _ in range(10)]
    ros_node.spin_for(2.0)

    assert change_state(ros_node, "activate")  # models kept: no second load
    wait_node_ready(ros_node, proc)
    stream.until_answered(proc)
    assert not any(stream.answered(s) for s in asleep), "frames sent while inactive got TF"
    assert proc.output().count("models loaded") == 1

    assert change_state(ros_node, "deactivate") and change_state(ros_node, "cleanup")
    assert lifecycle_state(ros_node) == "unconfigured"
    assert change_state(ros_node, "shutdown")
    assert lifecycle_state(ros_node) == "finalized" and proc.returncode is None
    assert proc.stop() == 0
    assert "Traceback" not in proc.output()


def test_failed_configure_leaves_the_process_unconfigured(launch, ros_node, engines_dir, tmp_path):
    from rclpy.parameter import Parameter
    from rclpy.parameter_client import AsyncParameterClient

    proc = start_managed(launch, tmp_path)  # a folder without models
    assert not change_state(ros_node, "configure")
    assert lifecycle_state(ros_node) == "unconfigured" and proc.returncode is None
    errors = [ln for ln in proc.output().splitlines() if "configure failed" in ln]
    assert len(errors) == 1 and "make models" in errors[0], proc.output()
    assert "Traceback" not in proc.output()

    client = AsyncParameterClient(ros_node.node, "pose3d_node")
    assert client.wait_for_services(timeout_sec=READY_S)
    future = client.set_parameters([Parameter("engines_dir", value=str(engines_dir))])
    assert ros_node.wait_for(future.done, READY_S)
    assert future.result().results[0].successful
    assert change_state(ros_node, "configure"), proc.output()
    assert lifecycle_state(ros_node) == "inactive"


def test_autostart_configures_and_activates(launch, ros_node, engines_dir, skier):
    stream = Stream(ros_node, skier, BASE_NS)
    proc = start_managed(launch, engines_dir, autostart=True)
    wait_node_ready(ros_node, proc)
    assert lifecycle_state(ros_node) == "active"
    stream.until_answered(proc)
