"""pose3d_node with landmark_model:=heavy (BlazePose heavy from the npm package; `make setup`
converts it) in its own process over DDS, fed a real photo: the skier comes out as a finite body.
Needs .venv, the models and scripts/isolated.sh; skips with the reason otherwise."""

from __future__ import annotations

import pytest

from node_helpers import all_finite, bodies_from_photo
from pose3d_ros.assembly import LANDMARK_FILES


def test_heavy_landmark_model_gives_a_finite_body(launch, ros_node, engines_dir, skier):
    if not (engines_dir / LANDMARK_FILES["heavy"]).is_file():
        pytest.skip(f"no {LANDMARK_FILES['heavy']} in {engines_dir}: make setup")
    rgb, intr = skier
    bodies, tf_msgs, proc = bodies_from_photo(
        launch, ros_node, engines_dir, rgb, intr, "landmark_model:=heavy"
    )
    assert len(bodies) == 1, proc.output()
    assert all_finite(tf_msgs)
    assert 0.5 < bodies[0].transform.translation.z < 30.0
    assert proc.returncode is None
