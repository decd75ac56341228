"""Helpers for the integration tests that run pose3d_node in its own process over real DDS: the
node's argv, start-up waits, stamps and the body TFs it publishes.

ROS imports stay inside the functions, so importing this module never needs ROS (test/unit may
still not use it: its functions do). Timeouts are generous: these tests also run on a loaded
2-CPU machine and wait for conditions, never on elapsed wall-clock time.
"""

from __future__ import annotations

import math
import time

from factories import REPO_ROOT

FRAME = "camera_color_optical_frame"
PERIOD_NS = 200_000_000  # 5 Hz image stamps
BASE_NS = 1_700_000_000 * 1_000_000_000  # first image stamp, ns since the epoch
READY_S = 90.0  # model loading on a loaded 2-CPU machine


def node_argv(engines_dir, *args: str, params_file: bool = True) -> list[str]:
    """pose3d_node's command line: config/pose3d.yaml (unless params_file is False), the models
    in engines_dir, then the ROS arguments `args` as given."""
    from ros_harness import console_command

    argv = console_command("pose3d_node") + ["--ros-args"]
    if params_file:
        argv += ["--params-file", str(REPO_ROOT / "config" / "pose3d.yaml")]
    return argv + ["-p", f"engines_dir:={engines_dir}", *args]


def params(*values: str) -> list[str]:
    """["-p", v] for each "name:=value" in values."""
    return [a for v in values for a in ("-p", v)]


def start_node(launch, engines_dir, *param_values: str, track_timeout_s: float):
    """Launch pose3d_node (the `launch` fixture) with track_timeout_s and the "name:=value"
    parameters in param_values; returns its RosProcess."""
    argv = node_argv(engines_dir, *params(f"track_timeout_s:={track_timeout_s}", *param_values))
    return launch(argv, "pose3d_node")


def wait_subscribed(ros_node, proc, msg_type, topic: str, timeout_s: float = READY_S) -> None:
    """Spin until the node subscribes to topic; fails with the node's output otherwise."""
    ok = ros_node.wait_for_subscribers(msg_type, topic, 1, timeout_s)
    assert ok, f"node never subscribed to {topic} (exit {proc.returncode}):\n{proc.output()}"


def wait_node_ready(ros_node, proc, timeout_s: float = READY_S) -> None:
    """wait_subscribed() on the node's "image" topic: the models are loaded."""
    from sensor_msgs.msg import Image

    wait_subscribed(ros_node, proc, Image, "image", timeout_s)


def stamp_ns_of(header) -> int:
    """A std_msgs Header's stamp in ns."""
    from pose3d_ros.ros.conversions import stamp_to_ns

    return stamp_to_ns(header.stamp)


def body_tfs(tf_msgs, stamp_ns=None):
    """The body_<id> transforms in tf_msgs (TFMessages), only those stamped stamp_ns if given."""
    return [
        t
        for m in tf_msgs
        for t in m.transforms
        if t.child_frame_id.startswith("body_")
        and (stamp_ns is None or stamp_ns_of(t.header) == stamp_ns)
    ]


def frame_sender(ros_node, rgb, intr, frame_id: str = FRAME):
    """publish(stamp_ns) for publish_until: the image rgb with intrinsics intr at that stamp."""
    return lambda stamp_ns: ros_node.publish_frame(rgb, intr, stamp_ns, frame_id)


def publish_until(
    ros_node, proc, publish, done, start_ns: int = BASE_NS, timeout_s: float = 60.0
) -> list[int]:
    """publish(stamp_ns) about once a second, a new stamp (PERIOD_NS apart) each time, until
    done(stamp_ns) holds for the stamp just sent: DDS matching both ways and the first inference
    take a while. Returns the stamps sent; AssertionError with the node's output after timeout_s."""
    sent, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        s = start_ns + len(sent) * PERIOD_NS
        publish(s)
        sent.append(s)
        if ros_node.wait_for(lambda: done(s), 1.0):
            return sent
    raise AssertionError(f"no result from the node within {timeout_s} s:\n{proc.output()}")


def until_body(ros_node, proc, tf, publish, start_ns: int = BASE_NS, timeout_s: float = 60.0):
    """publish_until a body TF stamped with the frame just sent is on tf (a collector of /tf)."""
    return publish_until(
        ros_node, proc, publish, lambda s: bool(body_tfs(tf.msgs, s)), start_ns, timeout_s
    )


def bodies_from_photo(launch, ros_node, engines_dir, rgb, intr, *param_values: str):
    """pose3d_node started with param_values (tracks end after 0.6 s), sent the photo rgb
    (intrinsics intr) about once a second until a body comes out: (the body TFs at that stamp,
    every /tf message received, the node process)."""
    from tf2_msgs.msg import TFMessage

    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, *param_values, track_timeout_s=0.6)
    wait_node_ready(ros_node, proc)
    stamp = until_body(ros_node, proc, tf, frame_sender(ros_node, rgb, intr))[-1]
    return body_tfs(tf.msgs, stamp), tf.msgs, proc


def all_finite(tf_msgs) -> bool:
    """Every translation (m) and rotation component of every transform in tf_msgs is finite."""
    return all(
        math.isfinite(v)
        for m in tf_msgs
        for t in m.transforms
        for v in (
            t.transform.translation.x,
            t.transform.translation.y,
            t.transform.translation.z,
            t.transform.rotation.x,
            t.transform.rotation.y,
            t.transform.rotation.z,
            t.transform.rotation.w,
        )
    )


PROBE_TRANSITION = "no_such_transition"  # a label the node answers False to, changing nothing
RETRY_S = 2.0  # an unanswered idempotent request is sent again after this long


def lifecycle_call(ros_node, service: str, srv_type, request, timeout_s: float = READY_S):
    """Call a lifecycle service of a managed node (e.g. "/pose3d_node/get_state") from the test
    node, spinning while waiting; the response, or None when no answer came within timeout_s.

    The request is sent again every RETRY_S until one is answered, so use it for requests that
    change nothing: a server may answer before it has discovered this client's response reader,
    and that answer is lost (seen on Jazzy's Fast DDS for a fresh client)."""
    import time

    client = ros_node.node.create_client(srv_type, service)
    try:
        deadline = time.monotonic() + timeout_s
        if not ros_node.wait_for(client.service_is_ready, timeout_s):
            return None
        while time.monotonic() < deadline:
            future = client.call_async(request)
            wait_s = min(RETRY_S, max(0.0, deadline - time.monotonic()))
            if ros_node.wait_for(future.done, wait_s):
                return future.result()
        return None
    finally:
        ros_node.node.destroy_client(client)


def change_state(ros_node, transition: str, node: str = "/pose3d_node") -> bool:
    """Request a lifecycle transition by label ("configure", "activate", "deactivate", "cleanup",
    "shutdown") as `ros2 lifecycle set` does; True when the node reports success. One client
    sends an unknown label until it is answered (both directions discovered), then the
    transition, once."""
    import time

    from lifecycle_msgs.srv import ChangeState

    service = f"{node}/change_state"
    client = ros_node.node.create_client(ChangeState, service)
    try:
        deadline = time.monotonic() + READY_S
        assert ros_node.wait_for(client.service_is_ready, READY_S), f"no {service}"
        probe = ChangeState.Request()
        probe.transition.label = PROBE_TRANSITION
        while True:
            assert time.monotonic() < deadline, f"{service} never answered"
            future = client.call_async(probe)
            if ros_node.wait_for(future.done, RETRY_S):
                break
        request = ChangeState.Request()
        request.transition.label = transition
        future = client.call_async(request)
        assert ros_node.wait_for(future.done, READY_S), f"{service} never answered {transition}"
        return future.result().success
    finally:
        ros_node.node.destroy_client(client)


def lifecycle_state(ros_node, node: str = "/pose3d_node") -> str:
    """The managed node's current state label ("unconfigured", "inactive", "active", ...)."""
    from lifecycle_msgs.srv import GetState

    response = lifecycle_call(ros_node, f"{node}/get_state", GetState, GetState.Request())
    assert response is not None, f"{node}/get_state never answered"
    return response.current_state.label
