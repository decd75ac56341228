"""pose3d_node with landmark_model:=heavy (BlazePose heavy from the npm package; `make setup`
converts it) in its own process over DDS, fed a real photo: the skier comes out as a finite body.
Needs .venv, the models and scripts/isolated.sh; skips with the reason otherwise."""

from __future__ import annotations

import pytest

from node_helpers import (
    all_finite,
    body_tfs,
    frame_sender,
    start_node,
    until_body,
    wait_node_ready,
)
from pose3d_ros.assembly import LANDMARK_FILES


def test_heavy_landmark_model_gives_a_finite_body(launch, ros_node, engines_dir, skier):
    from tf2_msgs.msg import TFMessage

    if not (engines_dir / LANDMARK_FILES["heavy"]).is_file():
        pytest.skip(f"no {LANDMARK_FILES['heavy']} in {engines_dir}: make setup")
    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, "landmark_model:=heavy", track_timeout_s=0.6)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    stamp = until_body(ros_node, proc, tf, frame_sender(ros_node, rgb, intr))[-1]
    bodies = body_tfs(tf.msgs, stamp)
    assert len(bodies) == 1, proc.output()
    assert all_finite(tf.msgs)
    assert 0.5 < bodies[0].transform.translation.z < 30.0
    assert proc.returncode is None
