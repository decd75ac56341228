"""landmark_model "thunder" / "lightning" (MoveNet single-pose as the keypoint model,
core/pose2d/movenet_single.py) on the sample photos (.cache/samples/*.png) through the pipeline
(assembly.Models), and pose3d_node with landmark_model:=thunder over DDS: each photo's one person
is found (both models), tracked under one key, lifted to a finite body; source3d "direct" falls
back to the lifter (no world landmarks). Needs the models incl. engines/movenet_thunder.onnx and
movenet_lightning.onnx (make setup) and, for the node, scripts/isolated.sh."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from factories import REPO_ROOT
from node_helpers import all_finite, bodies_from_photo
from pose3d_ros.assembly import LANDMARK_FILES, MOVENET_FILE
from pose3d_ros.core.pose2d import Pose2DConfig
from pose3d_ros.core.types import CameraIntrinsics

SAMPLES = REPO_ROOT / ".cache" / "samples"
PHOTOS = ("astronaut", "camera", "grace_hopper")  # one person each


def _photo(name: str) -> np.ndarray:
    import cv2

    path = SAMPLES / f"{name}.png"
    if not path.is_file():
        pytest.skip(f"sample photo missing: {path} (make setup)")
    return np.ascontiguousarray(cv2.imread(str(path))[:, :, ::-1])


def _need_thunder(engines_dir: Path, model: str = "thunder") -> None:
    for f in (LANDMARK_FILES[model], MOVENET_FILE):
        if not (engines_dir / f).is_file():
            pytest.skip(f"no {engines_dir / f}: make setup (pose3d_models --movenet-{model})")


def _models(engines_dir: Path, source3d: str = "lifter", model: str = "thunder", **pose2d):
    from pose3d_ros.assembly import Models
    from pose3d_ros.core.pipeline import PipelineConfig

    config = PipelineConfig(pose2d=Pose2DConfig(landmark_model=model, **pose2d), source3d=source3d)
    return Models(engines_dir, "onnxruntime", 1, config)


@pytest.mark.parametrize("photo", PHOTOS)
@pytest.mark.parametrize("finder", ["movenet", "blazepose"])
@pytest.mark.parametrize("model", ["thunder", "lightning"])
def test_movenet_keypoints_find_and_track_the_one_person(engines_dir, photo, finder, model):
    _need_thunder(engines_dir, model)
    rgb = _photo(photo)
    h, w = rgb.shape[:2]
    intr = CameraIntrinsics.default_for(w, h)
    with _models(engines_dir, model=model, person_finder=finder) as models:
        keys = []
        for k in range(4):  # a detection frame, then tracked frames
            people = models.pipeline.process(rgb, intr, (k + 1) * 100_000_000).people
            assert len(people) == 1, (photo, finder, model, k)
            pose = people[0].pose2d
            keys.append(pose.track_key)
            assert pose.world_m is None and pose.score >= 0.8
            assert np.all(np.isfinite(people[0].joints3d_m))
            assert (pose.visibility >= 0.5).sum() >= 5
            head_shoulders = pose.keypoints_px[[0, 11, 12]]  # nose, shoulders: in every photo
            assert np.all((head_shoulders >= 0.0) & (head_shoulders <= [w, h]))
        assert len(set(keys)) == 1  # one person, followed from frame to frame


def test_direct_3d_source_falls_back_to_the_lifter(engines_dir):
    _need_thunder(engines_dir)
    rgb = _photo("astronaut")
    intr = CameraIntrinsics.default_for(rgb.shape[1], rgb.shape[0])
    out = {}
    for source in ("lifter", "direct", "fused"):
        with _models(engines_dir, source, tracking=False) as models:
            people = models.pipeline.process(rgb, intr, 100_000_000).people
            assert len(people) == 1
            out[source] = people[0].joints3d_m
    np.testing.assert_allclose(out["direct"], out["lifter"])
    np.testing.assert_allclose(out["fused"], out["lifter"])


def test_node_with_thunder_gives_a_finite_body(launch, ros_node, engines_dir):
    _need_thunder(engines_dir)
    rgb = _photo("astronaut")
    intr = CameraIntrinsics.default_for(rgb.shape[1], rgb.shape[0])
    bodies, tf_msgs, proc = bodies_from_photo(
        launch, ros_node, engines_dir, rgb, intr, "landmark_model:=thunder"
    )
    assert len(bodies) == 1, proc.output()
    assert all_finite(tf_msgs)
    assert 0.3 < bodies[0].transform.translation.z < 30.0
    assert proc.returncode is None
