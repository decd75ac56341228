"""pose3d_models end to end: conversion from the cached MediaPipe wheel (deterministic,
idempotent, repairs tampering, keeps or prunes outputs) and the converted engines on real photos.
No network: the wheel-based tests use a cached wheel or skip; the pure guards are in
test/unit/test_model_guards.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from factories import COCO_DIR
from pose3d_ros.assembly import resolve_engines_dir
from pose3d_ros.backends.factory import create_backend
from pose3d_ros.models.build import BuildOptions, build_models, manifest_is_current
from pose3d_ros.models.wheel import cached_wheel, default_cache_dir

pytest.importorskip("onnxruntime")
PHOTOS = sorted(COCO_DIR.glob("*.jpg"))
ENGINES = resolve_engines_dir()
WHEEL = cached_wheel(default_cache_dir())
needs_engines = pytest.mark.skipif(
    not (ENGINES / "pose_landmark_full.onnx").is_file(),
    reason=f"no converted models in {ENGINES} (run pose3d_models)",
)
needs_wheel = pytest.mark.skipif(
    WHEEL is None, reason="no cached mediapipe wheel (run pose3d_models once)"
)
needs_photos = pytest.mark.skipif(len(PHOTOS) < 2, reason=f"real photos missing under {COCO_DIR}")


@needs_wheel
def test_build_is_deterministic_idempotent_and_repairs_tampering(tmp_path):
    opts = BuildOptions(
        engines_dir=tmp_path / "e", cache_dir=tmp_path / "cache", wheel=WHEEL, smoke_test=False
    )
    first = build_models(opts, log=lambda m: None)
    det = tmp_path / "e" / "pose_detection.onnx"
    bytes_1 = det.read_bytes()
    logs = []
    assert build_models(opts, log=logs.append) == first
    assert any("nothing to do" in m for m in logs)
    det.write_bytes(b"tampered")
    assert not manifest_is_current(tmp_path / "e", first)
    build_models(opts, log=lambda m: None)
    assert det.read_bytes() == bytes_1  # byte-identical conversion
    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert manifest["converter"]["opset"] == 17
    assert manifest["models"]["pose_detection"]["tflite_sha256"].startswith("9ba9dd3d")
    assert manifest["models"]["pose_landmark_full"]["tflite_sha256"].startswith("e9a5c5cb")
    # the segmentation head is pruned on purpose (unused, ~45% of the model's CPU time) and recorded
    assert {o["role"] for o in manifest["models"]["pose_landmark_full"]["outputs"]} == {
        "landmarks",
        "pose_flag",
        "heatmap",
        "world",
    }
    assert manifest["models"]["pose_landmark_full"]["pruned_outputs"] == [
        {"name": "Identity_2", "role": "segmentation"}
    ]
    assert manifest["models"]["pose_detection"]["pruned_outputs"] == []
    assert manifest["converter"]["options"] == {"keep_unused_outputs": False}


@needs_wheel
def test_build_keeps_the_segmentation_output_when_asked_and_rebuilds_on_option_change(tmp_path):
    import onnx

    default = BuildOptions(
        engines_dir=tmp_path / "e", cache_dir=tmp_path / "cache", wheel=WHEEL, smoke_test=False
    )
    build_models(default, log=lambda m: None)
    lm = tmp_path / "e" / "pose_landmark_full.onnx"
    pruned = onnx.load(str(lm))
    keep = BuildOptions(
        engines_dir=tmp_path / "e",
        cache_dir=tmp_path / "cache",
        wheel=WHEEL,
        smoke_test=False,
        keep_unused_outputs=True,
    )
    logs = []
    manifest = build_models(keep, log=logs.append)
    assert not any("nothing to do" in m for m in logs)  # other options: converted again
    full = onnx.load(str(lm))
    assert [o.name for o in full.graph.output] == [
        "Identity",
        "Identity_1",
        "Identity_2",
        "Identity_3",
        "Identity_4",
    ]
    assert [o.name for o in pruned.graph.output] == [
        "Identity",
        "Identity_1",
        "Identity_3",
        "Identity_4",
    ]
    assert len(pruned.graph.node) < len(full.graph.node) and len(pruned.graph.initializer) < len(
        full.graph.initializer
    )
    assert manifest["models"]["pose_landmark_full"]["pruned_outputs"] == []
    assert "segmentation" in {
        o["role"] for o in manifest["models"]["pose_landmark_full"]["outputs"]
    }


def _photo(path: Path, size_px: int, lo: float, hi: float) -> np.ndarray:
    cv2 = pytest.importorskip("cv2")
    rgb = cv2.cvtColor(cv2.resize(cv2.imread(str(path)), (size_px, size_px)), cv2.COLOR_BGR2RGB)
    return (rgb.astype(np.float32) / 255.0 * (hi - lo) + lo)[None]


@needs_engines
@needs_photos
@pytest.mark.parametrize(
    "name,size_px,lo,hi,outputs",
    [
        ("pose_detection", 224, -1.0, 1.0, {"Identity": (2254, 12), "Identity_1": (2254, 1)}),
        (
            "pose_landmark_full",
            256,
            0.0,
            1.0,
            {
                "Identity": (195,),
                "Identity_1": (1,),  # Identity_2 pruned
                "Identity_3": (64, 64, 39),
                "Identity_4": (117,),
            },
        ),
    ],
)
def test_converted_models_on_real_photos(name, size_px, lo, hi, outputs):
    a, b = (_photo(p, size_px, lo, hi) for p in PHOTOS[:2])
    with create_backend(ENGINES / f"{name}.onnx") as backend:
        assert backend.input_shapes == {"input_1": (-1, size_px, size_px, 3)}
        assert backend.output_shapes == {k: (-1, *v) for k, v in outputs.items()}
        one_a, one_b = backend.run({"input_1": a}), backend.run({"input_1": b})
        both = backend.run({"input_1": np.concatenate([a, b])})
    for key, shape in outputs.items():
        assert one_a[key].shape == (1, *shape) and one_a[key].dtype == np.float32
        assert both[key].shape == (2, *shape)
        assert np.all(np.isfinite(both[key]))
        scale = max(1.0, float(np.abs(one_a[key]).max()))
        np.testing.assert_allclose(both[key][0], one_a[key][0], atol=1e-4 * scale)
        np.testing.assert_allclose(both[key][1], one_b[key][0], atol=1e-4 * scale)
        assert not np.allclose(one_a[key], one_b[key])  # the two photos give different answers
    if name == "pose_landmark_full":
        assert 0.0 <= float(one_a["Identity_1"][0, 0]) <= 1.0  # presence is already a probability
