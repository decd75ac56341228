"""pose3d_node with temporal_lifter:=true in its own process over DDS, fed a real photo frame after
frame: the track starts on the single-frame lifter, continues on the temporal one, and its bodies
stay finite under one id. Needs .venv, the models (make models) and scripts/isolated.sh; skips
with the reason otherwise."""

from __future__ import annotations

import time

from node_helpers import (
    BASE_NS,
    FRAME,
    PERIOD_NS,
    all_finite,
    body_tfs,
    start_node,
    wait_node_ready,
)

FRAMES_WITH_BODY = 8  # more than one: the temporal lifter takes over from the second frame


def test_temporal_lifter_keeps_one_finite_body(launch, ros_node, engines_dir, skier):
    from tf2_msgs.msg import TFMessage

    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, "temporal_lifter:=true", track_timeout_s=5.0)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    stamp, answered, deadline = BASE_NS, [], time.monotonic() + 90.0
    while len(answered) < FRAMES_WITH_BODY and time.monotonic() < deadline:
        ros_node.publish_frame(rgb, intr, stamp, FRAME)
        if ros_node.wait_for(lambda s=stamp: bool(body_tfs(tf.msgs, s)), 2.0):
            answered.append(stamp)
        stamp += PERIOD_NS
    assert len(answered) == FRAMES_WITH_BODY, proc.output()
    assert "temporal lifter" in proc.output()
    assert all_finite(tf.msgs)
    ids = {b.child_frame_id for s in answered for b in body_tfs(tf.msgs, s)}
    assert len(ids) == 1, ids
    depths_m = [body_tfs(tf.msgs, s)[0].transform.translation.z for s in answered]
    assert all(0.5 < z < 30.0 for z in depths_m), depths_m
    assert proc.returncode is None
