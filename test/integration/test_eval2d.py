"""Regression pins of the 2D stage against human COCO annotations (dev.eval2d, docs/accuracy.md).

Runs our multi-person 2D stage (static, default config) on the 4 COCO photos in
../shared/data/real_images/coco and pins recall (people with >= 5 labelled keypoints found at
OKS >= 0.5) and mean PCK@0.2 of the bbox's longer side, so neither can silently regress.
MediaPipe's own single-person pipeline finds 4 of these 12 people (PCK 0.97 on them).
"""

import numpy as np
import pytest

from dev import eval2d, oracle_client

COCO = oracle_client.shared_dir() / "data" / "real_images" / "coco"
ENGINES = oracle_client.default_engines_dir()
MIN_FOUND = 10  # of 12
MIN_PCK = 0.90
MIN_AP50 = 0.70

needs_data = pytest.mark.skipif(
    not (COCO / "person_keypoints.json").exists(), reason=f"no COCO data in {COCO}"
)
needs_engines = pytest.mark.skipif(
    not (ENGINES / "pose_detection.onnx").exists()
    or not (ENGINES / "pose_landmark_full.onnx").exists(),
    reason=f"no converted models in {ENGINES}: run the model tool first",
)


@needs_data
def test_coco_subset_has_the_documented_12_people():
    images = eval2d.load_coco(COCO)
    assert [im.name for im in images] == [
        "000000000785.jpg",
        "000000040083.jpg",
        "000000196141.jpg",
        "000000197388.jpg",
    ]
    assert sum(int(im.counted.sum()) for im in images) == 12
    assert all(im.rgb.dtype == np.uint8 and im.rgb.ndim == 3 for im in images)


@needs_data
def test_scoring_gt_as_prediction_is_perfect():
    images = eval2d.load_coco(COCO)
    preds = eval2d.Predictions()
    for im in images:
        kp33 = np.zeros((len(im.kp), 33, 2))
        kp33[:, eval2d.BLAZEPOSE_TO_COCO17] = im.kp[:, :, :2]
        keep = ~im.ignore
        preds.kp33.append(kp33[keep])
        preds.vis33.append(np.ones((int(keep.sum()), 33)))
    s = eval2d.score_coco(images, preds)
    assert (s["found"], s["people"]) == (12, 12)
    assert s["pck"] == pytest.approx(1.0)
    assert s["ap"] == pytest.approx(1.0)


@needs_data
@needs_engines
def test_multi_person_recall_and_pck_on_coco():
    from pose3d_ros.assembly import open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    images = eval2d.load_coco(COCO)
    est = open_pose2d(ENGINES, "onnxruntime", 1, Pose2DConfig(tracking=False))
    try:
        s = eval2d.score_coco(images, eval2d.run_ours(est, [im.rgb for im in images]))
    finally:
        est.close()
    per_image = {r["image"]: (r["found"], r["people"]) for r in s["rows"]}
    assert s["found"] >= MIN_FOUND, f"found {s['found']} of 12: {per_image}"
    assert s["pck"] >= MIN_PCK
    assert s["ap50"] >= MIN_AP50
