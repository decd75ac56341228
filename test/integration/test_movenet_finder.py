"""The person finders on real photos through the converted engines (skips without them).

Known answers from the 4 COCO photos (12 people with >= 5 labelled keypoints): MoveNet MultiPose
alone and as the finder that seeds BlazePose landmark crops find most of them (measured 11 and 10
of 12, docs/pose2d.md), and the two finders together find no fewer than the detector alone.
"""

from __future__ import annotations

import pytest

from dev.eval2d import Predictions, load_coco, score_coco
from dev.eval2d_finders import coco17_as_33
from factories import COCO_DIR
from pose3d_ros.assembly import MOVENET_FILE, open_movenet_finder, open_pose2d, resolve_engines_dir

ENGINES = resolve_engines_dir()
pytestmark = [
    pytest.mark.skipif(
        not (ENGINES / MOVENET_FILE).is_file()
        or not (ENGINES / "pose_landmark_full.onnx").is_file(),
        reason=f"no converted models in {ENGINES}: run the model tool (make models) first",
    ),
    pytest.mark.skipif(
        not (COCO_DIR / "person_keypoints.json").is_file(), reason=f"no COCO photos in {COCO_DIR}"
    ),
]


@pytest.fixture(scope="module")
def images():
    return load_coco(COCO_DIR)


def _stage_found(images, **cfg) -> dict:
    from pose3d_ros.core.pose2d import Pose2DConfig

    est = open_pose2d(ENGINES, "onnxruntime", 1, Pose2DConfig(tracking=False, **cfg))
    preds = Predictions()
    try:
        for img in images:
            est.reset()
            poses = est.process(img.rgb)
            preds.kp33.append(_stack([p.keypoints_px for p in poses], (33, 2)))
            preds.vis33.append(_stack([p.visibility for p in poses], (33,)))
    finally:
        est.close()
    return score_coco(images, preds)


def _stack(arrays, shape):
    import numpy as np

    return np.stack(arrays) if arrays else np.zeros((0, *shape))


def test_movenet_alone_finds_most_people(images):
    finder = open_movenet_finder(ENGINES, "onnxruntime", 1, 0.2)
    preds = Predictions()
    try:
        for img in images:
            people = finder.people(img.rgb)
            kp, vis = coco17_as_33(people)
            preds.kp33.append(kp)
            preds.vis33.append(vis)
    finally:
        finder.close()
    s = score_coco(images, preds)
    assert s["found"] >= 10, s["found"]


def test_movenet_seeds_landmark_crops(images):
    s = _stage_found(images, person_finder="movenet", detect_tiles=0)
    assert s["found"] >= 9, s["found"]
    assert s["pck"] >= 0.95


def test_both_finders_find_at_least_the_detectors_people(images):
    both = _stage_found(images, person_finder="both", max_people=20)
    detector = _stage_found(images, person_finder="blazepose", max_people=20)
    assert both["found"] >= detector["found"]
