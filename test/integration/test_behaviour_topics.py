"""Issue 12 over real DDS with the real node and a sample photo: a behaviour node's view.

- a client that subscribes to a body's topics only after reading its id on /humans/bodies/tracked
  still gets skeleton2d, roi, position, velocity, joint_states, posture, gesture and the latched
  urdf;
- the per-body topics disappear from the graph when the track ends;
- joint_tf_publisher:=robot_state_publisher leaves only body_<id> on /tf;
- the example behaviour node pose3d_greeter follows the nearest body's head and logs found / lost.

Needs .venv (make setup), the models (make models) and scripts/isolated.sh (make test).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from node_helpers import (
    FRAME,
    PERIOD_NS,
    frame_sender,
    publish_until,
    stamp_ns_of,
    start_node,
    wait_node_ready,
)

TIMEOUT_S = 20.0  # track_timeout_s given to the node: no track ends while a test looks at it
BODY_LEAVES = (
    "skeleton2d",
    "roi",
    "position",
    "velocity",
    "joint_states",
    "posture",
    "gesture",
    "urdf",
)


def greeter_command() -> list[str]:
    """The installed console script, or its module where the venv predates it."""
    script = Path(sys.executable).parent / "pose3d_greeter"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pose3d_ros.tools.greeter"]


def latched_qos():
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    return QoSProfile(
        depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
    )


def end_track(ros_node, rgb, intr, tracked, last_ns) -> int:
    """Blank frames, the first one track_timeout_s after the last, until the id list is empty;
    returns the last stamp published."""
    blank = np.full_like(rgb, 200)
    s = last_ns + int(TIMEOUT_S * 1e9)
    for _ in range(12):
        s += PERIOD_NS
        ros_node.publish_frame(blank, intr, s, FRAME)
        ros_node.wait_for(lambda: any(stamp_ns_of(m.header) == s for m in tracked.msgs), 10.0)
        if any(stamp_ns_of(m.header) == s and not m.ids for m in tracked.msgs):
            return s
    raise AssertionError("the track never ended")


def test_late_subscriber_gets_every_body_topic_and_topics_go_with_the_track(
    launch, ros_node, engines_dir, skier
):
    from geometry_msgs.msg import PointStamped, TwistStamped
    from hri_msgs.msg import (
        BodyPosture,
        Gesture,
        IdsList,
        NormalizedRegionOfInterest2D,
        Skeleton2D,
    )
    from sensor_msgs.msg import JointState
    from std_msgs.msg import String
    from tf2_msgs.msg import TFMessage

    tracked = ros_node.collect(IdsList, "/humans/bodies/tracked")
    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, track_timeout_s=TIMEOUT_S)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    # frames only until an id is announced; nothing is published after that
    stamps = publish_until(
        ros_node,
        proc,
        frame_sender(ros_node, rgb, intr),
        lambda _s: any(m.ids for m in tracked.msgs),
    )
    ros_node.spin_for(1.0)  # any frame still in the node's hands is answered
    announced = [m for m in tracked.msgs if m.ids]
    (bid,) = {i for m in announced for i in m.ids}
    last_ns = max(stamp_ns_of(m.header) for m in announced)
    assert last_ns in stamps

    # only now subscribe, as a behaviour node does, with the publisher's QoS
    types = dict(
        zip(
            BODY_LEAVES,
            (
                Skeleton2D,
                NormalizedRegionOfInterest2D,
                PointStamped,
                TwistStamped,
                JointState,
                BodyPosture,
                Gesture,
                String,
            ),
        )
    )
    got = {}
    for leaf, ty in types.items():
        got[leaf] = []
        ros_node.node.create_subscription(
            ty, f"/humans/bodies/{bid}/{leaf}", got[leaf].append, latched_qos()
        )
    assert ros_node.wait_for(lambda: all(got.values()), 15.0), {k: len(v) for k, v in got.items()}
    ros_node.spin_for(0.5)
    assert {k: len(v) for k, v in got.items()} == {k: 1 for k in BODY_LEAVES}  # depth 1: the latest
    for leaf in BODY_LEAVES[:-1]:
        (msg,) = got[leaf]
        assert stamp_ns_of(msg.header) == last_ns, leaf
        assert leaf in ("skeleton2d", "roi", "joint_states") or msg.header.frame_id == FRAME, leaf

    # position = body_<id>'s origin (mid-hip) in the optical frame; velocity finite, m/s
    (pos,) = got["position"]
    (body,) = [
        t
        for m in tf.msgs
        for t in m.transforms
        if t.child_frame_id == f"body_{bid}" and stamp_ns_of(t.header) == last_ns
    ]
    tr = body.transform.translation
    assert (pos.point.x, pos.point.y, pos.point.z) == pytest.approx((tr.x, tr.y, tr.z), abs=1e-9)
    assert 1.0 < pos.point.z < 30.0
    lin = got["velocity"][0].twist.linear
    assert all(np.isfinite([lin.x, lin.y, lin.z])) and abs(lin.z) < 5.0  # the photo does not move
    (js,) = got["joint_states"]
    assert (
        len(js.name) == 51 and js.name[0] == f"waist_tx_{bid}" and np.all(np.isfinite(js.position))
    )
    urdf = got["urdf"][0].data
    assert f'<link name="body_{bid}"' in urdf and f'<link name="head_{bid}">' in urdf
    # posture and gesture: one of the message's constants (UNDEFINED is sent as OTHER)
    assert got["posture"][0].posture in (
        BodyPosture.OTHER,
        BodyPosture.STANDING,
        BodyPosture.SITTING,
        BodyPosture.CROUCHING,
        BodyPosture.LAYING,
    )
    assert got["gesture"][0].gesture in range(Gesture.OTHER, Gesture.WAVING + 1)
    # the roi is normalised
    roi = got["roi"][0]
    assert 0.0 <= roi.xmin < roi.xmax <= 1.0 and 0.0 <= roi.ymin < roi.ymax <= 1.0

    # the track ends: the per-body topics leave the graph (publishers destroyed)
    end_track(ros_node, rgb, intr, tracked, stamps[-1])

    def gone():
        return all(
            not ros_node.node.get_publishers_info_by_topic(f"/humans/bodies/{bid}/{leaf}")
            for leaf in BODY_LEAVES
        )

    assert ros_node.wait_for(gone, 10.0), [
        leaf
        for leaf in BODY_LEAVES
        if ros_node.node.get_publishers_info_by_topic(f"/humans/bodies/{bid}/{leaf}")
    ]
    assert proc.returncode is None


def test_robot_state_publisher_mode_publishes_only_body_frames(
    launch, ros_node, engines_dir, skier
):
    from hri_msgs.msg import IdsList
    from tf2_msgs.msg import TFMessage

    tracked = ros_node.collect(IdsList, "/humans/bodies/tracked")
    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(
        launch, engines_dir, "joint_tf_publisher:=robot_state_publisher", track_timeout_s=TIMEOUT_S
    )
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    publish_until(
        ros_node,
        proc,
        frame_sender(ros_node, rgb, intr),
        lambda _s: any(m.ids for m in tracked.msgs),
    )
    ros_node.spin_for(0.5)
    children = {t.child_frame_id.rsplit("_", 1)[0] for m in tf.msgs for t in m.transforms}
    assert children == {"body"}, children


def test_greeter_looks_at_the_nearest_head_and_logs_found_and_lost(
    launch, ros_node, engines_dir, skier
):
    from geometry_msgs.msg import PointStamped
    from hri_msgs.msg import IdsList
    from tf2_msgs.msg import TFMessage

    tracked = ros_node.collect(IdsList, "/humans/bodies/tracked")
    tf = ros_node.collect(TFMessage, "/tf")
    target = ros_node.collect(PointStamped, "/pose3d_greeter/attention_target")
    proc = start_node(launch, engines_dir, track_timeout_s=TIMEOUT_S)
    greeter = launch(greeter_command(), "pose3d_greeter")
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    stamps = publish_until(
        ros_node, proc, frame_sender(ros_node, rgb, intr), lambda _s: bool(target.msgs)
    )
    ros_node.spin_for(0.5)
    (bid,) = {i for m in tracked.msgs for i in m.ids}
    assert {m.header.frame_id for m in target.msgs} == {f"head_{bid}"}
    assert {stamp_ns_of(m.header) for m in target.msgs} <= set(stamps)
    assert all((m.point.x, m.point.y, m.point.z) == (0.0, 0.0, 0.0) for m in target.msgs)
    # the frame the target names exists on /tf at the target's stamp
    heads = {
        stamp_ns_of(t.header)
        for m in tf.msgs
        for t in m.transforms
        if t.child_frame_id == f"head_{bid}"
    }
    assert stamp_ns_of(target.msgs[-1].header) in heads

    end_track(ros_node, rgb, intr, tracked, stamps[-1])
    deadline = time.monotonic() + 10.0
    while f"person {bid} lost" not in greeter.output() and time.monotonic() < deadline:
        ros_node.spin_for(0.2)
    log = greeter.output()
    assert f"person {bid} found at" in log and f"looking at head_{bid}" in log, log
    assert f"person {bid} lost" in log, log
    assert greeter.returncode is None
