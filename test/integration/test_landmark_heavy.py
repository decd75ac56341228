"""The BlazePose heavy landmark model (engines/pose_landmark_heavy.onnx, `pose3d_models
--blazepose-heavy`): its build from the cached npm tarball, and as the 2D stage's landmark model
on the COCO photos (each skips without what it needs).

Known answer (docs/pose2d.md, "Landmark model: full or heavy"): with the default detector and
tiles, heavy finds 11 of the 12 annotated people (full: 10) with AP 0.65 (full: 0.41).
"""

from __future__ import annotations

import pytest

from dev.eval2d import Predictions, load_coco, score_coco
from factories import COCO_DIR
from pose3d_ros.assembly import LANDMARK_FILES, open_pose2d, resolve_engines_dir
from pose3d_ros.models.tfjs.npm_package import TARBALL_NAME
from pose3d_ros.models.wheel import default_cache_dir

ENGINES = resolve_engines_dir()
TARBALL = default_cache_dir() / TARBALL_NAME


@pytest.mark.skipif(
    not (ENGINES / LANDMARK_FILES["heavy"]).is_file(),
    reason=f"no {LANDMARK_FILES['heavy']} in {ENGINES}: pose3d_models --blazepose-heavy",
)
@pytest.mark.skipif(
    not (COCO_DIR / "person_keypoints.json").is_file(), reason=f"no COCO photos in {COCO_DIR}"
)
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


@pytest.mark.skipif(not TARBALL.is_file(), reason=f"no {TARBALL} (make models fetches it)")
def test_build_writes_heavy_under_the_landmark_name_with_its_contract(tmp_path):
    """pose3d_models --blazepose-heavy's build: engines/pose_landmark_heavy.onnx with the TFLite
    landmark model's tensor roles (segmentation pruned), its input recorded as RGB in [0, 1]."""
    import json

    import onnx

    from pose3d_ros.core.pose2d.tensors import tensor_names
    from pose3d_ros.models.tfjs.build import MANIFEST_NAME, MovenetBuildOptions, build_movenet
    from pose3d_ros.models.tfjs.npm_package import BLAZEPOSE_HEAVY

    opts = MovenetBuildOptions(
        engines_dir=tmp_path, cache_dir=tmp_path, tarball=TARBALL, sources=(BLAZEPOSE_HEAVY,)
    )
    build_movenet(opts, log=lambda m: None)
    entry = json.loads((tmp_path / MANIFEST_NAME).read_text())["models"]["blazepose-heavy"]
    assert entry["file"] == LANDMARK_FILES["heavy"] and entry["input"]["layout"].endswith("[0, 1]")
    graph = onnx.load(str(tmp_path / LANDMARK_FILES["heavy"])).graph
    shapes = {
        kind: {v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim) for v in vs}
        for kind, vs in (("in", graph.input), ("out", graph.output))
    }
    names = tensor_names("pose_landmark_full", shapes["in"], shapes["out"], ("segmentation",))
    assert set(names) == {"image", "landmarks", "pose_flag", "heatmap", "world"}
