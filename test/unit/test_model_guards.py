"""pose3d_models' guards without the real models: wheel members checked against pinned sha256,
output roles assigned by shape, and create_backend refusing corrupt model files. No network.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from pose3d_ros.assembly import resolve_engines_dir
from pose3d_ros.backends.factory import create_backend
from pose3d_ros.core.pose2d.tensors import assign_roles
from pose3d_ros.errors import ModelError
from pose3d_ros.models.wheel import MODEL_SOURCES, ModelSource, extract_models

pytest.importorskip("onnxruntime")
ENGINES = resolve_engines_dir()


def _fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_extract_models_accepts_the_pinned_hash(tmp_path):
    src = ModelSource(
        "tiny",
        "pkg/tiny.tflite",
        "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    )
    wheel = _fake_wheel(tmp_path / "w.whl", {src.member: b"foo"})  # sha256("foo")
    assert extract_models(wheel, (src,)) == {"tiny": b"foo"}


def test_extract_models_refuses_a_hash_mismatch(tmp_path):
    wheel = _fake_wheel(tmp_path / "w.whl", {s.member: b"tampered" for s in MODEL_SOURCES})
    with pytest.raises(ModelError, match="sha256"):
        extract_models(wheel)


@pytest.mark.parametrize("content", [None, b"PK\x03\x04 truncated", b"plain text"])
def test_extract_models_refuses_bad_wheels(tmp_path, content):
    wheel = tmp_path / "w.whl"
    if content is None:
        _fake_wheel(wheel, {"other/file.txt": b"x"})  # a zip without the models
    else:
        wheel.write_bytes(content)
    with pytest.raises(ModelError):
        extract_models(wheel)
    with pytest.raises(ModelError):
        extract_models(tmp_path / "missing.whl")


def test_roles_are_assigned_by_shape_and_must_be_one_to_one():
    roles = assign_roles(
        "pose_detection", "outputs", {"Identity_1": (-1, 2254, 1), "Identity": (-1, 2254, 12)}
    )
    assert {n: r.role for n, r in roles.items()} == {"Identity": "boxes", "Identity_1": "scores"}
    with pytest.raises(ModelError):
        assign_roles("pose_detection", "outputs", {"a": (-1, 2254, 12), "b": (-1, 2254, 12)})


def _tiny_onnx_bytes() -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Sigmoid", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8
    ).SerializeToString()


def test_create_backend_loads_a_good_model_and_rejects_corrupt_ones(tmp_path):
    good = tmp_path / "good.onnx"
    good.write_bytes(_tiny_onnx_bytes())
    with create_backend(good) as backend:
        out = backend.run({"x": np.zeros((1, 4), np.float32)})
        np.testing.assert_allclose(out["y"], 0.5)
    source = (
        (ENGINES / "pose_detection.onnx") if (ENGINES / "pose_detection.onnx").is_file() else good
    )
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(source.read_bytes()[: len(source.read_bytes()) // 2])
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    for bad in (truncated, garbage, empty, tmp_path / "missing.onnx"):
        with pytest.raises(ModelError):
            create_backend(bad)
