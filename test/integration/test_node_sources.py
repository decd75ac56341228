"""pose3d_node with source3d:=direct (BlazePose's own 3D, placed by the same placement) and a known
floor (camera_height_m) in its own process over DDS, fed a real photo: finite bodies come out.
Needs .venv, the models (make models) and scripts/isolated.sh; skips with the reason otherwise."""

from __future__ import annotations

from node_helpers import all_finite, bodies_from_photo


def test_direct_source_with_a_floor_gives_finite_bodies(launch, ros_node, engines_dir, skier):
    rgb, intr = skier
    bodies, tf_msgs, proc = bodies_from_photo(
        launch,
        ros_node,
        engines_dir,
        rgb,
        intr,
        "source3d:=direct",
        "camera_height_m:=1.6",
        "camera_pitch_deg:=10.0",
    )
    assert bodies, proc.output()
    assert all_finite(tf_msgs)
    for body in bodies:
        assert 0.5 < body.transform.translation.z < 30.0, body.transform.translation
    assert proc.returncode is None
