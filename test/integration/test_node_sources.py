"""pose3d_node with source3d:=direct (BlazePose's own 3D, placed by the same placement) and a known
floor (camera_height_m) in its own process over DDS, fed a real photo: finite bodies come out.
Needs .venv, the models (make models) and scripts/isolated.sh; skips with the reason otherwise."""

from __future__ import annotations

from node_helpers import (
    all_finite,
    body_tfs,
    frame_sender,
    start_node,
    until_body,
    wait_node_ready,
)


def test_direct_source_with_a_floor_gives_finite_bodies(launch, ros_node, engines_dir, skier):
    from tf2_msgs.msg import TFMessage

    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(
        launch,
        engines_dir,
        "source3d:=direct",
        "camera_height_m:=1.6",
        "camera_pitch_deg:=10.0",
        track_timeout_s=0.6,
    )
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    stamp = until_body(ros_node, proc, tf, frame_sender(ros_node, rgb, intr))[-1]
    bodies = body_tfs(tf.msgs, stamp)
    assert bodies, proc.output()
    assert all_finite(tf.msgs)
    for body in bodies:
        assert 0.5 < body.transform.translation.z < 30.0, body.transform.translation
    assert proc.returncode is None
