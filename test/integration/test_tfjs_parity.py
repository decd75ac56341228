"""Parity of the TF.js -> ONNX converter with the TF.js runtime itself, on real photos.

The oracle is the pure-JavaScript TF.js (CPU backend, no native addon) under node, installed by
scripts/setup_tfjs_oracle.sh (`make oracle`) into .oracle-tfjs/; dev/tfjs_oracle.py drives it.
The models come from the npm tarball pose3d_models caches (`make models`). Both sides get the
same letterboxed 256 x 256 pixels of the COCO photos (core/pose2d/movenet.model_input): TF.js as
int32 (the graph's input type), ONNX Runtime as float32 (engines' input type; cast inside).

Tolerance: MAX_KEYPOINT_DEV_PX = 0.05 px in the 256-px model input (0.125 px in a 640-px
photo). Both sides run the same float32 math on the same float16-stored weights; what may differ
is the summation order inside convolutions (~1e-6 relative), measured at 6e-5 px here, so
0.05 px leaves two orders of magnitude of room and still fails on any real mapping error (a
wrong padding, layout or resize mode moves keypoints by pixels). Scores: MAX_SCORE_DEV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dev.tfjs_oracle import oracle_available, run_tfjs
from factories import COCO_DIR
from pose3d_ros.core.pose2d.movenet import decode_people, model_input
from pose3d_ros.models.tfjs.convert import convert_file
from pose3d_ros.models.tfjs.npm_package import (
    MOVENET_LIGHTNING,
    MOVENET_MULTIPOSE,
    MOVENET_THUNDER,
    TARBALL_NAME,
    extract_sources,
)
from pose3d_ros.models.wheel import default_cache_dir

ort = pytest.importorskip("onnxruntime")
TARBALL = default_cache_dir() / TARBALL_NAME
PHOTOS = sorted(COCO_DIR.glob("*.jpg"))
SIDE_PX = 256
MAX_KEYPOINT_DEV_PX = 0.05
MAX_SCORE_DEV = 1e-4

pytestmark = [
    pytest.mark.skipif(bool(oracle_available()), reason=oracle_available() or "ok"),
    pytest.mark.skipif(
        not TARBALL.is_file(), reason=f"no {TARBALL} (make models fetches it with npm)"
    ),
    pytest.mark.skipif(len(PHOTOS) < 4, reason=f"COCO photos missing under {COCO_DIR}"),
]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tfjs")
    extract_sources(TARBALL, (MOVENET_MULTIPOSE, MOVENET_THUNDER, MOVENET_LIGHTNING), d)
    return d


def _frames() -> list[np.ndarray]:
    import cv2

    return [np.ascontiguousarray(cv2.imread(str(p))[:, :, ::-1]) for p in PHOTOS]


@pytest.fixture(scope="module")
def inputs() -> list[np.ndarray]:
    return [model_input(f, SIDE_PX)[0] for f in _frames()]


def _onnx_outputs(model_json: Path, xs: list[np.ndarray], side_px: int = SIDE_PX) -> list:
    model = convert_file(model_json, (side_px, side_px), float_inputs=True)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, ["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return [sess.run(None, {name: x.astype(np.float32)})[0] for x in xs]


def test_multipose_matches_tfjs_on_coco_photos(models_dir, inputs):
    model_json = models_dir / "movenet-multipose.json"
    want, ms = run_tfjs(model_json, [x.astype(np.int32) for x in inputs])
    got = _onnx_outputs(model_json, inputs)
    kp_dev, score_dev, people = 0.0, 0.0, 0
    for g, w in zip(got, want):
        assert g.shape == w.shape == (1, 6, 56)
        # every slot's 17 keypoints (y, x) and box corners, in model-input px
        yx = np.r_[np.arange(51).reshape(17, 3)[:, :2].ravel(), np.arange(51, 55)]
        kp_dev = max(kp_dev, float(np.abs(g[0][:, yx] - w[0][:, yx]).max()) * SIDE_PX)
        sc = np.r_[np.arange(2, 51, 3), 55]
        score_dev = max(score_dev, float(np.abs(g[0][:, sc] - w[0][:, sc]).max()))
        people += len(decode_people(w, _unit_region(), 0.2))
    print(
        f"\nMoveNet MultiPose ONNX vs TF.js on {len(inputs)} COCO photos: max keypoint/box "
        f"deviation {kp_dev:.2e} px (256-px input), max score deviation {score_dev:.2e}, "
        f"{people} people with score >= 0.2; TF.js CPU {np.median(ms):.0f} ms per run"
    )
    assert people >= 8  # the photos' people are found at all (12 annotated)
    assert kp_dev <= MAX_KEYPOINT_DEV_PX
    assert score_dev <= MAX_SCORE_DEV


def _assert_single_pose_parity(name: str, got: list, want: list, side_px: int) -> None:
    """Single-pose MoveNet outputs (1, 1, 17, 3) (y, x, score): keypoints within
    MAX_KEYPOINT_DEV_PX in the side_px input, scores within MAX_SCORE_DEV."""
    dev = max(float(np.abs(g[..., :2] - w[..., :2]).max()) for g, w in zip(got, want)) * side_px
    score_dev = max(float(np.abs(g[..., 2] - w[..., 2]).max()) for g, w in zip(got, want))
    print(
        f"\nMoveNet {name} ONNX vs TF.js: max keypoint deviation {dev:.2e} px, "
        f"score {score_dev:.2e}"
    )
    assert dev <= MAX_KEYPOINT_DEV_PX
    assert score_dev <= MAX_SCORE_DEV


def test_thunder_matches_tfjs(models_dir, inputs):
    model_json = models_dir / "movenet-thunder.json"
    xs = inputs[:2]
    want, _ = run_tfjs(model_json, [x.astype(np.int32) for x in xs])
    _assert_single_pose_parity("Thunder", _onnx_outputs(model_json, xs), want, SIDE_PX)


def test_lightning_matches_tfjs(models_dir):
    """MoveNet Lightning (192 x 192): the same tolerance, in its 192-px input."""
    side_px = 192
    xs = [model_input(f, side_px)[0] for f in _frames()[:2]]
    model_json = models_dir / "movenet-lightning.json"
    want, _ = run_tfjs(model_json, [x.astype(np.int32) for x in xs])
    got = _onnx_outputs(model_json, xs, side_px)
    assert all(g.shape == w.shape == (1, 1, 17, 3) for g, w in zip(got, want))
    _assert_single_pose_parity("Lightning", got, want, side_px)
    assert max(float(w[..., 2].max()) for w in want) > 0.3  # it sees the photo's person at all


def _unit_region():
    from pose3d_ros.core.types import Roi

    return Roi(center_px=np.array([0.5, 0.5]), size_px=1.0, rotation_rad=0.0)
