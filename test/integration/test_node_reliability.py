"""Issue 9 acceptance: pose3d_node in its own process over real DDS, one test per numbered finding.

Every bad parameter, input and fault gets one clear line and a counter; memory stays bounded;
shutdown is clean. Tests wait for conditions (a log line, a message, an exit) with generous
timeouts and never assert on elapsed wall-clock time. Needs .venv (make setup), the models (make
models) and scripts/isolated.sh (make test); skips with the reason otherwise.
"""

from __future__ import annotations

import importlib.util
import signal
import struct
import sys
import time
import types
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml

from factories import REPO_ROOT
from node_helpers import (
    BASE_NS,
    FRAME,
    PERIOD_NS,
    READY_S,
    all_finite,
    body_tfs,
    node_argv,
    params,
    wait_subscribed,
)
from ros_harness import console_command

WAIT_S = 30.0
MIB = 1024 * 1024


# -------------------------------------------------------- fixtures and helpers


def answered(ros_node, tf, publish, start_ns: int, proc, timeout_s: float = READY_S) -> list[int]:
    """publish(stamp_ns) about once a second, a new stamp each time, until a body TF with one of
    those stamps comes back (a slow node may answer an earlier one); returns the stamps used."""
    used, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        s = start_ns + len(used) * PERIOD_NS
        publish(s)
        used.append(s)
        if ros_node.wait_for(lambda: any(body_tfs(tf.msgs, u) for u in used), 1.0):
            return used
        assert proc.returncode is None, f"node exited {proc.returncode}:\n{proc.output()}"
    raise AssertionError(f"no body TF within {timeout_s} s:\n{proc.output()}")


def answered_until_logged(ros_node, tf, proc, publish, start_ns: int, *words: str) -> list[int]:
    """answered() again and again (stamps go on from start_ns) until a log line contains every
    word: lines of one reason are throttled to one per 5 s, so this may take a few frames.
    Returns every stamp used; each answered() call got at least one answered."""
    used, deadline = [], time.monotonic() + WAIT_S
    while not log_lines(proc, *words):
        assert time.monotonic() < deadline, f"no log line with {words}:\n{proc.output()}"
        used += answered(ros_node, tf, publish, start_ns + len(used) * PERIOD_NS, proc, WAIT_S)
    return used


def log_lines(proc, *words: str) -> list[str]:
    """The node's log lines containing every one of `words`."""
    return [ln for ln in proc.output().splitlines() if all(w in ln for w in words)]


def wait_log(ros_node, proc, *words: str, timeout_s: float = WAIT_S) -> str:
    """Spin until a log line contains every word; returns it."""
    found = ros_node.wait_for(lambda: bool(log_lines(proc, *words)), timeout_s)
    assert found, f"no log line with {words}:\n{proc.output()}"
    return log_lines(proc, *words)[0]


def header(stamp_ns: int):
    from std_msgs.msg import Header

    from pose3d_ros.ros.conversions import ns_to_stamp

    return Header(stamp=ns_to_stamp(stamp_ns), frame_id=FRAME)


def rss_kib(pid: int) -> dict[str, int]:
    """{"VmRSS": KiB, "VmHWM": KiB} of a live process (/proc/<pid>/status)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":", 1)[0]
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(line.split()[1])
    return out


def service_call(ros_node, srv_type, name: str, request):
    client = ros_node.node.create_client(srv_type, name)
    assert ros_node.wait_for(client.service_is_ready, READY_S), f"service {name} never came up"
    future = client.call_async(request)
    assert ros_node.wait_for(future.done, WAIT_S), f"no answer from {name}"
    return future.result()


def get_params(ros_node, node_name: str, *names: str) -> dict:
    from rcl_interfaces.srv import GetParameters
    from rclpy.parameter import parameter_value_to_python

    res = service_call(
        ros_node, GetParameters, f"{node_name}/get_parameters", GetParameters.Request(names=names)
    )
    return {n: parameter_value_to_python(v) for n, v in zip(names, res.values)}


def set_params(ros_node, node_name: str, **values) -> list[tuple[bool, str]]:
    from rcl_interfaces.srv import SetParameters
    from rclpy.parameter import Parameter

    req = SetParameters.Request(
        parameters=[Parameter(k, value=v).to_parameter_msg() for k, v in values.items()]
    )
    res = service_call(ros_node, SetParameters, f"{node_name}/set_parameters", req)
    return [(r.successful, r.reason) for r in res.results]


def pipeline_status(diag_msgs):
    """[(level byte, message, {key: value})] of the node's /diagnostics statuses, oldest first."""
    return [
        (s.level, s.message, {kv.key: kv.value for kv in s.values})
        for m in diag_msgs
        for s in m.status
        if s.name.startswith("pose3d_node")
    ]


# -------------------------------------------------------- 1: start-up validation

BAD_STARTS = {
    "out_of_range": (params("threads:=0"), ("threads", "0", "[1, 64]")),
    "wrong_type": (params("max_people:=abc"), ("max_people", "'abc'", "int")),
    "misspelt": (params("max_peple:=2"), ("max_peple", "did you mean max_people")),
    "missing_params_file": (
        ["--params-file", "{tmp}/no_such.yaml"],
        ("no_such.yaml", "does not exist"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_STARTS))
def test_1_bad_parameters_stop_with_one_fatal_line(launch, engines_dir, tmp_path, case):
    extra, words = BAD_STARTS[case]
    argv = node_argv(engines_dir, *(a.replace("{tmp}", str(tmp_path)) for a in extra))
    proc = launch(argv, "pose3d_node")
    assert proc.wait(READY_S) == 2, proc.output()
    out = proc.output()
    fatal = [ln for ln in out.splitlines() if "[FATAL]" in ln]
    assert len(fatal) == 1, out
    assert all(w in fatal[0] for w in words), fatal[0]
    assert "Traceback" not in out, out


# -------------------------------------------------------- 2: params file under a namespace


def test_2_params_file_keyed_for_any_namespace(launch, ros_node, engines_dir, tmp_path):
    user_file = tmp_path / "my_params.yaml"
    user_file.write_text(
        "/**:\n"
        "  ros__parameters:\n"
        "    max_people: 3\n"
        "    track_timeout_s: 2.5\n"
        "    decoder: refine\n"
        "    fallback_hfov_deg: 75.0\n"
    )
    argv = console_command("pose3d_node") + [
        "--ros-args", "-r", "__ns:=/robot1", "--params-file", str(user_file),
        "-p", f"engines_dir:={engines_dir}",
    ]  # fmt: skip
    proc = launch(argv, "pose3d_node")
    got = get_params(
        ros_node,
        "/robot1/pose3d_node",
        "max_people",
        "track_timeout_s",
        "decoder",
        "fallback_hfov_deg",
    )
    assert got == {
        "max_people": 3,
        "track_timeout_s": 2.5,
        "decoder": "refine",
        "fallback_hfov_deg": 75.0,
    }
    assert proc.returncode is None
    # the shipped file is keyed the same way
    shipped = yaml.safe_load((REPO_ROOT / "config" / "pose3d.yaml").read_text())
    assert list(shipped) == ["/**"]


# -------------------------------------------------------- 3: image size limit


def png_bomb(width_px: int, height_px: int) -> bytes:
    """A valid RGB PNG of width x height black pixels, built row by row (zlib streaming), so the
    768 MB of pixels for 16000 x 16000 never exist in memory; about 750 KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    comp = zlib.compressobj(6)
    row = bytes(1 + 3 * width_px)  # filter byte 0 + black pixels
    idat = b"".join(comp.compress(row) for _ in range(height_px)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width_px, height_px, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_3_png_bomb_is_refused_from_its_header(launch, ros_node, engines_dir, skier):
    import cv2
    from sensor_msgs.msg import CameraInfo, CompressedImage
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.conversions import compressed_size, intrinsics_to_camera_info

    bomb = png_bomb(16000, 16000)
    assert compressed_size(bomb) == ("png", 16000, 16000) and len(bomb) < 2 * MIB
    tf = ros_node.collect(TFMessage, "/tf")
    proc = launch(
        node_argv(engines_dir, *params("image_transport:=compressed", "reliable_qos:=true")),
        "pose3d_node",
    )
    wait_subscribed(ros_node, proc, CompressedImage, "image/compressed")
    rgb, intr = skier
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
    img_pub = ros_node.publisher(CompressedImage, "image/compressed")

    def publish(stamp_ns, data=jpeg, fmt="jpeg"):
        ros_node.publisher(CameraInfo, "camera_info").publish(
            intrinsics_to_camera_info(intr, header(stamp_ns))
        )
        img_pub.publish(CompressedImage(header=header(stamp_ns), format=fmt, data=data))

    last = answered(ros_node, tf, publish, BASE_NS, proc)[-1]
    before = rss_kib(proc.proc.pid)
    bomb_stamp = last + PERIOD_NS
    publish(bomb_stamp, bomb, "png")
    line = wait_log(ros_node, proc, "max_image_pixels")
    assert "16000x16000" in line and "compressed png" in line
    after = rss_kib(proc.proc.pid)
    grown_mib = (after["VmRSS"] - before["VmRSS"]) / 1024
    peak_grown_mib = (after["VmHWM"] - max(before["VmHWM"], before["VmRSS"])) / 1024
    assert grown_mib < 200 and peak_grown_mib < 200, (before, after)
    # the node answers the next good frame; one line for the one bomb
    answered(ros_node, tf, publish, bomb_stamp + PERIOD_NS, proc, WAIT_S)
    assert not body_tfs(tf.msgs, bomb_stamp)
    assert len(log_lines(proc, "max_image_pixels")) == 1, proc.output()


def test_3_oversized_raw_frame_is_refused_from_its_header(launch, ros_node, engines_dir, skier):
    from sensor_msgs.msg import Image
    from tf2_msgs.msg import TFMessage

    tf = ros_node.collect(TFMessage, "/tf")
    proc = launch(node_argv(engines_dir, *params("reliable_qos:=true")), "pose3d_node")
    wait_subscribed(ros_node, proc, Image, "image")
    rgb, intr = skier
    last = answered(
        ros_node, tf, lambda s: ros_node.publish_frame(rgb, intr, s, FRAME), BASE_NS, proc
    )[-1]
    # 8000 x 6000 rgb8 by its header; the data is short on purpose: the size check comes first
    big = Image(
        header=header(last + PERIOD_NS), height=6000, width=8000, encoding="rgb8", step=24000
    )
    big.data = bytes(4096)
    ros_node.publisher(Image, "image").publish(big)
    line = wait_log(ros_node, proc, "max_image_pixels")
    assert "8000x6000" in line
    answered(
        ros_node, tf, lambda s: ros_node.publish_frame(rgb, intr, s, FRAME),
        last + 2 * PERIOD_NS, proc, WAIT_S,
    )  # fmt: skip
    assert not body_tfs(tf.msgs, last + PERIOD_NS)


# -------------------------------------------------------- 4: no silent losses


def test_4_absurd_intrinsics_fall_back_with_a_reason_and_every_loss_is_logged(
    launch, ros_node, engines_dir, skier
):
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import Image
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.core.types import CameraIntrinsics

    tf = ros_node.collect(TFMessage, "/tf")
    diag = ros_node.collect(DiagnosticArray, "/diagnostics")
    proc = launch(node_argv(engines_dir, *params("reliable_qos:=true")), "pose3d_node")
    wait_subscribed(ros_node, proc, Image, "image")
    rgb, good = skier
    s = answered(
        ros_node, tf, lambda t: ros_node.publish_frame(rgb, good, t, FRAME), BASE_NS, proc
    )[-1]

    w, h = good.width_px, good.height_px
    absurd = [
        (CameraIntrinsics(good.fx_px, good.fy_px, 1e6, good.cy_px, w, h), "principal point (1e+06"),
        (CameraIntrinsics(1e-6, good.fy_px, good.cx_px, good.cy_px, w, h), "fx=1e-06"),
        (CameraIntrinsics(1e300, good.fy_px, good.cx_px, good.cy_px, w, h), "fx=1e+300"),
    ]
    for intr, named in absurd:
        used = answered_until_logged(
            ros_node, tf, proc, lambda t, intr=intr: ros_node.publish_frame(rgb, intr, t, FRAME),
            s + PERIOD_NS, "camera_info implausible", named,
        )  # fmt: skip
        s = used[-1] if used else s
        line = log_lines(proc, "camera_info implausible", named)[0]
        assert "[WARN]" in line and "fallback" in line
        assert any(body_tfs(tf.msgs, t) for t in used)  # output continues with the fallback
    assert all_finite(tf.msgs)

    # two different bad inputs right after each other: each gets its own line (the second is sent
    # once the first was taken, so the input slot cannot replace it)
    short = Image(header=header(s + PERIOD_NS), height=h, width=w, encoding="rgb8", step=3 * w)
    short.data = bytes(100)
    big = Image(
        header=header(s + 2 * PERIOD_NS), height=6000, width=8000, encoding="rgb8", step=24000
    )
    big.data = bytes(100)
    ros_node.publisher(Image, "image").publish(short)
    wait_log(ros_node, proc, "[ERROR]", "bad image, frame dropped", "data has 100 bytes")
    ros_node.publisher(Image, "image").publish(big)
    wait_log(ros_node, proc, "[ERROR]", "max_image_pixels", "8000x6000")

    # a person placed nearer than min_root_depth_m is dropped with a line and a count
    assert set_params(ros_node, "/pose3d_node", min_root_depth_m=10.0) == [(True, "")]
    s += 3 * PERIOD_NS
    deadline = time.monotonic() + WAIT_S
    while not log_lines(proc, "person dropped"):
        assert time.monotonic() < deadline, f"no 'person dropped' line:\n{proc.output()}"
        s += PERIOD_NS
        ros_node.publish_frame(rgb, good, s, FRAME)
        ros_node.spin_for(0.5)
    assert "[WARN]" in log_lines(proc, "person dropped")[0]
    assert "min_depth_m 10" in log_lines(proc, "person dropped")[0]

    def counted() -> bool:
        values = [v for _, _, v in pipeline_status(diag.msgs)]
        return bool(values) and all(
            int(values[-1][f"count_{r}"]) >= 1
            for r in ("camera_info_fallback", "bad_image", "image_too_large", "person_rejected")
        )

    assert ros_node.wait_for(counted, WAIT_S), pipeline_status(diag.msgs)[-1:]
    assert proc.returncode is None


# -------------------------------------------------------- 5: depth problems keep the colour result


def test_5_broken_depth_falls_back_to_placement_without_depth(launch, ros_node, engines_dir, skier):
    from sensor_msgs.msg import Image
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.conversions import array_to_image

    tf = ros_node.collect(TFMessage, "/tf")
    proc = launch(
        node_argv(engines_dir, *params("use_depth:=true", "reliable_qos:=true")), "pose3d_node"
    )
    wait_subscribed(ros_node, proc, Image, "depth")
    wait_subscribed(ros_node, proc, Image, "image")
    rgb, intr = skier
    h, w = rgb.shape[:2]
    depth_pub = ros_node.publisher(Image, "depth")

    def wrong_encoding(stamp_ns):  # a colour image on the depth topic
        depth_pub.publish(array_to_image(rgb, "rgb8", header(stamp_ns)))
        ros_node.publish_frame(rgb, intr, stamp_ns, FRAME)

    def short_data(stamp_ns):  # 16UC1 whose buffer is half what the header says
        msg = array_to_image(np.full((h, w), 3000, np.uint16), "16UC1", header(stamp_ns))
        msg.data = bytes(msg.data)[: len(msg.data) // 2]
        depth_pub.publish(msg)
        ros_node.publish_frame(rgb, intr, stamp_ns, FRAME)

    words = ("depth image unusable", "placing without depth")
    used = answered_until_logged(
        ros_node, tf, proc, wrong_encoding, BASE_NS, *words, "depth encoding 'rgb8'"
    )
    short = answered_until_logged(
        ros_node, tf, proc, short_data, used[-1] + PERIOD_NS, *words, "data has"
    )
    assert any(body_tfs(tf.msgs, t) for t in used) and any(body_tfs(tf.msgs, t) for t in short)
    assert all_finite(tf.msgs)
    assert not log_lines(proc, "[ERROR]"), proc.output()


# -------------------------------------------------------- 6: no input names the topic


def test_6_no_image_warns_naming_the_resolved_topic(launch, ros_node, engines_dir):
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

    diag = ros_node.collect(DiagnosticArray, "/diagnostics")
    topic = "/camera/wrong_image"
    proc = launch(
        node_argv(engines_dir, "-r", f"image:={topic}", *params("no_input_warn_s:=1.0")),
        "pose3d_node",
    )

    def warned() -> bool:
        return any(
            level == DiagnosticStatus.WARN and topic in message
            for level, message, _ in pipeline_status(diag.msgs)
        )

    assert ros_node.wait_for(warned, READY_S), (pipeline_status(diag.msgs)[-1:], proc.output())
    _, _, values = pipeline_status(diag.msgs)[-1]
    assert values["image_topic"] == topic and values["frames_received"] == "0"
    wait_log(ros_node, proc, "[WARN]", "no image on", topic)


# -------------------------------------------------------- 7: diagnostics_period_s


def test_7_diagnostics_period_is_read_only(launch, ros_node, engines_dir):
    proc = launch(node_argv(engines_dir), "pose3d_node")
    assert get_params(ros_node, "/pose3d_node", "diagnostics_period_s") == {
        "diagnostics_period_s": 1.0
    }
    (ok, reason), = set_params(ros_node, "/pose3d_node", diagnostics_period_s=5.0)  # fmt: skip
    assert not ok and reason
    assert get_params(ros_node, "/pose3d_node", "diagnostics_period_s") == {
        "diagnostics_period_s": 1.0
    }
    assert set_params(ros_node, "/pose3d_node", min_presence=0.6) == [
        (True, "")
    ]  # others do change
    assert proc.returncode is None


# -------------------------------------------------------- 8: clean shutdown while streaming


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_8_signal_while_streaming_exits_cleanly(launch, ros_node, engines_dir, skier, sig):
    from sensor_msgs.msg import Image
    from tf2_msgs.msg import TFMessage

    tf = ros_node.collect(TFMessage, "/tf")
    # slow frames (detector on every frame, on 30 tiles): the worker is mid-frame when the signal
    # comes, so it would publish after the context is gone unless it is stopped first
    slow = params("roi_tracking:=false", "detect_tiles:=4")
    proc = launch(node_argv(engines_dir, *slow), "pose3d_node")
    wait_subscribed(ros_node, proc, Image, "image")
    rgb, intr = skier
    publish = lambda t: ros_node.publish_frame(rgb, intr, t, FRAME)  # noqa: E731
    s = answered(ros_node, tf, publish, BASE_NS, proc)[-1]
    n_before = len(body_tfs(tf.msgs))
    # stream at about 20 Hz; once the node answers again, signal it just after a frame went out;
    # keep streaming until it exits
    deadline = time.monotonic() + WAIT_S
    signalled = False
    while proc.returncode is None:
        assert time.monotonic() < deadline, f"node still running after {sig!r}:\n{proc.output()}"
        s += PERIOD_NS
        publish(s)
        ros_node.spin_for(0.05)
        if not signalled and len(body_tfs(tf.msgs)) > n_before:
            proc.proc.send_signal(sig)
            signalled = True
    out = proc.output()
    assert signalled and proc.returncode == 0, out
    assert not [ln for ln in out.splitlines() if "[ERROR]" in ln or "[FATAL]" in ln], out
    assert "Traceback" not in out, out


# -------------------------------------------------------- 9: launch without rviz2


def load_launch_file(monkeypatch, rviz_installed: bool):
    """launch/pose.launch.py executed with small stand-ins for `launch`, `launch_ros` and the ament
    index (neither is installable in .venv): each action records its keyword arguments."""

    class Action:
        def __init__(self, *args, **kwargs):
            self.args, self.kwargs = args, kwargs

    class LaunchConfiguration(Action):
        def perform(self, context):
            return context[self.args[0]]

    fakes = {
        "launch": {"LaunchDescription": Action},
        "launch.actions": {
            n: type(n, (Action,), {})
            for n in ("DeclareLaunchArgument", "LogInfo", "OpaqueFunction")
        },
        "launch.substitutions": {"LaunchConfiguration": LaunchConfiguration},
        "launch_ros": {},
        "launch_ros.actions": {n: type(n, (Action,), {}) for n in ("Node", "LifecycleNode")},
        "ament_index_python": {},
        "ament_index_python.packages": {
            "get_package_share_directory": lambda name: f"/opt/share/{name}"
        },
    }
    for name, attrs in fakes.items():
        monkeypatch.setitem(sys.modules, name, types.SimpleNamespace(**attrs))
    import pose3d_ros.ros.launch_support as support

    monkeypatch.setattr(
        support, "package_installed", lambda name: rviz_installed and name == "rviz2"
    )
    spec = importlib.util.spec_from_file_location(
        "pose_launch", REPO_ROOT / "launch" / "pose.launch.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("installed", [False, True], ids=["no_rviz2", "rviz2"])
def test_9_rviz_true_without_rviz2_warns_and_keeps_the_node(monkeypatch, installed):
    from pose3d_ros.ros.launch_support import RVIZ_MISSING

    module = load_launch_file(monkeypatch, installed)
    started_by_default = module._pose_node({"managed": "false", "autostart": "false"})
    nodes = [a for a in started_by_default if type(a).__name__ == "Node"]
    assert [n.kwargs["executable"] for n in nodes] == [
        "pose3d_node"
    ]  # the node never depends on RViz
    started = module._rviz({"rviz": "true"})
    assert module._rviz({"rviz": "false"}) == []
    if installed:
        assert [(type(a).__name__, a.kwargs["executable"]) for a in started] == [("Node", "rviz2")]
    else:
        assert [type(a).__name__ for a in started] == ["LogInfo"]
        assert RVIZ_MISSING in started[0].kwargs["msg"] and "WARN" in started[0].kwargs["msg"]


# -------------------------------------------------------- 11: frames lost in transport show


def test_11_stamp_gaps_are_counted_in_diagnostics(launch, ros_node, engines_dir, skier):
    from diagnostic_msgs.msg import DiagnosticArray
    from sensor_msgs.msg import Image
    from tf2_msgs.msg import TFMessage

    tf = ros_node.collect(TFMessage, "/tf")
    diag = ros_node.collect(DiagnosticArray, "/diagnostics")
    proc = launch(node_argv(engines_dir, *params("reliable_qos:=true")), "pose3d_node")
    wait_subscribed(ros_node, proc, Image, "image")
    rgb, intr = skier

    def frames(stamps):
        for t in stamps:
            ros_node.publish_frame(rgb, intr, t, FRAME)
            got = ros_node.wait_for(lambda t=t: bool(body_tfs(tf.msgs, t)), WAIT_S)
            assert got, proc.output()

    def missing_after_two_reports() -> int:
        """The count from a report published after everything sent so far was received."""
        n = len(pipeline_status(diag.msgs))
        assert ros_node.wait_for(lambda: len(pipeline_status(diag.msgs)) >= n + 2, WAIT_S)
        return int(pipeline_status(diag.msgs)[-1][2]["input_frames_missing_by_stamp"])

    s = answered(
        ros_node, tf, lambda t: ros_node.publish_frame(rgb, intr, t, FRAME), BASE_NS, proc
    )[-1]
    steady = [s + k * PERIOD_NS for k in range(1, 8)]
    frames(steady)
    missing_before = missing_after_two_reports()
    after_gap = [steady[-1] + k * PERIOD_NS for k in (4, 5, 6)]  # 3 stamps never sent
    frames(after_gap)
    assert missing_after_two_reports() - missing_before == 3
