"""The BlazePose heavy landmark model (engines/pose_landmark_heavy.onnx, `pose3d_models
--blazepose-heavy`) as the 2D stage's landmark model on the COCO photos (skips without it).

Known answer (docs/pose2d.md, "Landmark model: full or heavy"): with the default detector and
tiles, heavy finds 11 of the 12 annotated people (full: 10) with AP 0.65 (full: 0.41).
"""

from __future__ import annotations

import pytest

from dev.eval2d import Predictions, load_coco, score_coco
from factories import COCO_DIR
from pose3d_ros.assembly import LANDMARK_FILES, open_pose2d, resolve_engines_dir

ENGINES = resolve_engines_dir()
pytestmark = [
    pytest.mark.skipif(
        not (ENGINES / LANDMARK_FILES["heavy"]).is_file(),
        reason=f"no {LANDMARK_FILES['heavy']} in {ENGINES}: pose3d_models --blazepose-heavy",
    ),
    pytest.mark.skipif(
        not (COCO_DIR / "person_keypoints.json").is_file(), reason=f"no COCO photos in {COCO_DIR}"
    ),
]


def test_heavy_landmarks_find_the_coco_people():
    import numpy as np

    from pose3d_ros.core.pose2d import Pose2DConfig

    images = load_coco(COCO_DIR)
    est = open_pose2d(
        ENGINES, "onnxruntime", 1, Pose2DConfig(tracking=False, landmark_model="heavy")
    )
    preds = Predictions()
    try:
        for img in images:
            poses = est.process(img.rgb)
            est.reset()
            preds.kp33.append(
                np.stack([p.keypoints_px for p in poses]) if poses else np.zeros((0, 33, 2))
            )
            preds.vis33.append(
                np.stack([p.visibility for p in poses]) if poses else np.zeros((0, 33))
            )
    finally:
        est.close()
    s = score_coco(images, preds)
    print(f"\nheavy landmarks on coco: found {s['found']}/{s['people']} AP {s['ap']:.3f}")
    assert s["found"] >= 11
    assert s["ap"] >= 0.5
    assert s.get("phantoms", 0) == 0
