"""pose3d_node with person_finder:=movenet / both over real DDS, fed the COCO skier: MoveNet finds
the person (no BlazePose detector run needed), the landmark model tracks it, one body id. Needs
the models incl. engines/movenet_multipose.onnx (make models) and scripts/isolated.sh."""

from __future__ import annotations

import pytest

from node_helpers import (
    FRAME,
    PERIOD_NS,
    all_finite,
    body_tfs,
    frame_sender,
    start_node,
    until_body,
    wait_node_ready,
)
from pose3d_ros.assembly import MOVENET_FILE


@pytest.mark.parametrize("finder", ["movenet", "both"])
def test_node_finds_and_tracks_the_skier_with_movenet(launch, ros_node, engines_dir, skier, finder):
    from tf2_msgs.msg import TFMessage

    if not (engines_dir / MOVENET_FILE).is_file():
        pytest.skip(f"no {engines_dir / MOVENET_FILE} (make models)")
    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, f"person_finder:={finder}", track_timeout_s=0.6)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    stamps = until_body(ros_node, proc, tf, frame_sender(ros_node, rgb, intr))
    for k in range(1, 4):  # tracked frames
        s = stamps[-1] + PERIOD_NS
        ros_node.publish_frame(rgb, intr, s, FRAME)
        stamps.append(s)
        assert ros_node.wait_for(lambda: bool(body_tfs(tf.msgs, s)), 15.0), proc.output()
    bodies = [body_tfs(tf.msgs, s) for s in stamps[-4:]]
    assert all(len(b) == 1 for b in bodies), bodies
    assert len({b[0].child_frame_id for b in bodies}) == 1  # one id while tracked
    assert all_finite(tf.msgs)
    assert proc.returncode is None
