"""Parity of the converted BlazePose heavy landmark model (models/tfjs/blazepose.py) with the
TF.js runtime, and of the TF.js path with the TFLite path on the full model.

The oracle (pure-JavaScript TF.js under node, `make oracle`) returns one output per run, so each
checked output gets its own copy of model.json whose signature names only that tensor; the
heatmap is read at the Sigmoid's input (`output_heatmap/BiasAdd`), which is what the converted
model outputs (logits, the TFLite contract). Inputs: 256 x 256 centre crops of the COCO photos,
RGB in [0, 1].

Tolerances: landmarks MAX_LANDMARK_DEV_PX crop px (of 256), presence and world as below; both
sides run float32 math on the same float16-stored weights, so only summation order differs.
TF.js full vs engines/pose_landmark_full.onnx (from the TFLite file in the mediapipe wheel):
the weights are the same model, stored differently, measured 0.06 crop px on the landmarks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from dev.tfjs_oracle import oracle_available, run_tfjs
from factories import COCO_DIR
from pose3d_ros.core.pose2d.tensors import tensor_names
from pose3d_ros.models.tfjs.blazepose import convert_landmark_file
from pose3d_ros.models.tfjs.npm_package import (
    BLAZEPOSE_FULL,
    BLAZEPOSE_HEAVY,
    TARBALL_NAME,
    extract_sources,
)
from pose3d_ros.models.wheel import default_cache_dir

ort = pytest.importorskip("onnxruntime")
TARBALL = default_cache_dir() / TARBALL_NAME
PHOTOS = sorted(COCO_DIR.glob("*.jpg"))[:2]
ENGINES = Path(__file__).resolve().parents[2] / "engines"
MAX_LANDMARK_DEV_PX = 0.05
MAX_PRESENCE_DEV = 1e-4
MAX_WORLD_DEV_M = 1e-4
MAX_HEATMAP_DEV = 1e-2  # logits, which reach -60 in the background
MAX_TFLITE_LANDMARK_DEV_PX = 0.2  # TF.js full vs the wheel's TFLite full (0.06 measured)

pytestmark = [
    pytest.mark.skipif(
        not TARBALL.is_file(), reason=f"no {TARBALL} (make models fetches it with npm)"
    ),
    pytest.mark.skipif(len(PHOTOS) < 2, reason=f"COCO photos missing under {COCO_DIR}"),
]
ORACLE = pytest.mark.skipif(bool(oracle_available()), reason=oracle_available() or "ok")
ORACLE_OUTPUTS = {  # role -> the TF.js tensor the oracle reads
    "landmarks": "Identity_2",
    "pose_flag": "Identity_3",
    "world": "Identity_4",
    "heatmap": "StatefulPartitionedCall/model/output_heatmap/BiasAdd",
}


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("blazepose_tfjs")
    extract_sources(TARBALL, (BLAZEPOSE_HEAVY, BLAZEPOSE_FULL), d)
    return d


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    import cv2

    out = []
    for p in PHOTOS:
        rgb = cv2.imread(str(p))[:, :, ::-1]
        side = min(rgb.shape[:2])
        crop = cv2.resize(np.ascontiguousarray(rgb[:side, :side]), (256, 256))
        out.append((crop.astype(np.float32) / 255.0)[None])
    return out


def _run_onnx(model_bytes: bytes, xs: list[np.ndarray]) -> list[dict[str, np.ndarray]]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model_bytes, opts, ["CPUExecutionProvider"])
    ins = {i.name: tuple(i.shape) for i in sess.get_inputs()}
    outs = {o.name: tuple(o.shape) for o in sess.get_outputs()}
    names = tensor_names("pose_landmark_full", ins, outs, optional=("segmentation",))
    results = []
    for x in xs:
        values = dict(zip(outs, sess.run(None, {names["image"]: x})))
        results.append({role: values[name] for role, name in names.items() if role != "image"})
    return results


def _oracle(models_dir: Path, tensor: str, xs: list[np.ndarray]) -> list[np.ndarray]:
    """TF.js outputs of blazepose-heavy for one tensor (a model.json copy naming only it)."""
    model = json.loads((models_dir / "blazepose-heavy.json").read_text())
    model["signature"]["outputs"] = {"out": {"name": f"{tensor}:0"}}
    d = models_dir / tensor.replace("/", "_")
    d.mkdir(exist_ok=True)
    (d / "model.json").write_text(json.dumps(model))
    for group in model["weightsManifest"]:
        for path in group["paths"]:
            if not (d / path).exists():
                shutil.copy(models_dir / path, d / path)
    return run_tfjs(d / "model.json", xs)[0]


def test_heavy_conversion_has_the_landmark_contract(models_dir, crops):
    model = convert_landmark_file(models_dir / "blazepose-heavy.json")
    out = _run_onnx(model.SerializeToString(), crops)[0]
    assert out["landmarks"].shape == (1, 195) and out["heatmap"].shape == (1, 64, 64, 39)
    assert out["world"].shape == (1, 117) and out["pose_flag"].shape == (1, 1)
    assert out["heatmap"].min() < -5.0  # logits, not sigmoid probabilities
    assert "segmentation" not in out


@ORACLE
def test_heavy_matches_tfjs(models_dir, crops):
    model = convert_landmark_file(models_dir / "blazepose-heavy.json")
    got = _run_onnx(model.SerializeToString(), crops)
    devs = {}
    for role, tensor in ORACLE_OUTPUTS.items():
        want = _oracle(models_dir, tensor, crops)
        devs[role] = max(
            float(np.abs(g[role].reshape(w.shape) - w).max()) for g, w in zip(got, want)
        )
    print(f"\nBlazePose heavy ONNX vs TF.js on {len(crops)} COCO crops: max deviation {devs}")
    assert devs["landmarks"] <= MAX_LANDMARK_DEV_PX
    assert devs["pose_flag"] <= MAX_PRESENCE_DEV
    assert devs["world"] <= MAX_WORLD_DEV_M
    assert devs["heatmap"] <= MAX_HEATMAP_DEV


@pytest.mark.skipif(
    not (ENGINES / "pose_landmark_full.onnx").is_file(), reason="no engines (make models)"
)
def test_tfjs_full_matches_the_tflite_full(models_dir, crops):
    """The TF.js export of the full model, converted this way, gives what the wheel's TFLite
    model gives: the TF.js path's output contract (heatmap logits included) is the TFLite one."""
    got = _run_onnx(
        convert_landmark_file(models_dir / "blazepose-full.json").SerializeToString(), crops
    )
    want = _run_onnx((ENGINES / "pose_landmark_full.onnx").read_bytes(), crops)
    for g, w in zip(got, want):
        lm_dev = np.abs(g["landmarks"].reshape(39, 5)[:, :3] - w["landmarks"].reshape(39, 5)[:, :3])
        assert lm_dev.max() <= MAX_TFLITE_LANDMARK_DEV_PX
        assert np.abs(g["pose_flag"] - w["pose_flag"]).max() <= 1e-3
        assert np.abs(g["world"] - w["world"]).max() <= 1e-3
        assert np.abs(g["heatmap"] - w["heatmap"]).max() <= 0.2
