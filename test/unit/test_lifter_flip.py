"""The horizontal-flip average baked into the exported lifter graph (dev/lifter_onnx.py)."""

import numpy as np
import pytest

from dev.lifter_onnx import (
    is_flip_averaged,
    mirror_features,
    mirror_matrices,
    mirror_output,
    mlp_forward,
    onnx_layers,
    write_mlp_onnx,
)
from pose3d_ros.core.pose3d.lifting import N_FEATURES, normalise_2d
from pose3d_ros.core.skeleton import H36M_LEFT, H36M_RIGHT

SWAP = np.arange(17)
SWAP[list(H36M_LEFT)] = H36M_RIGHT
SWAP[list(H36M_RIGHT)] = H36M_LEFT


def random_layers(rng, width=8, blocks=1):
    dims = [(width, N_FEATURES)] + [(width, width)] * (2 * blocks) + [(48, width)]
    return [(rng.normal(size=d) * 0.5, rng.normal(size=d[0]) * 0.1) for d in dims]


def camera_scene(rng, n=6):
    """Camera-frame joints (n, 17, 3) m in front of a camera, its 2D (px) and confidences with
    some joints below conf_min 0.2."""
    cam3d = rng.normal(size=(n, 17, 3)) * 0.4 + np.array([0.3, -0.2, 4.0])
    focal, center = np.array([900.0, 880.0]), np.array([320.0, 250.0])
    uv = cam3d[..., :2] / cam3d[..., 2:] * focal + center
    conf = rng.uniform(0.0, 1.0, (n, 17))
    return cam3d, uv, conf, focal, center


def test_mirroring_twice_is_the_identity():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, N_FEATURES))
    y = rng.normal(size=(9, 48))
    np.testing.assert_array_equal(mirror_features(mirror_features(x)), x)
    np.testing.assert_array_equal(mirror_output(mirror_output(y)), y)
    m_in, m_out = mirror_matrices()
    np.testing.assert_array_equal(x @ m_in, mirror_features(x))
    np.testing.assert_array_equal(y @ m_out, mirror_output(y))
    assert not np.array_equal(mirror_features(x), x)


def test_mirror_features_are_the_features_of_the_mirrored_scene():
    rng = np.random.default_rng(1)
    cam3d, uv, conf, focal, center = camera_scene(rng)
    feats = normalise_2d(uv, conf, focal, center, 0.2)
    # the scene mirrored about the camera's y-z plane: u -> 2 cx - u, left <-> right joints
    uv_m = uv[:, SWAP] * np.array([-1.0, 1.0]) + np.array([2.0 * center[0], 0.0])
    feats_m = normalise_2d(uv_m, conf[:, SWAP], focal, center, 0.2)
    np.testing.assert_allclose(mirror_features(feats), feats_m, atol=1e-6)
    # and the output side: root-relative 3D of the mirrored scene
    rel = (cam3d - cam3d[:, :1])[:, 1:].reshape(len(cam3d), 48)
    rel_m = cam3d[:, SWAP] * np.array([-1.0, 1.0, 1.0])
    rel_m = (rel_m - rel_m[:, :1])[:, 1:].reshape(len(cam3d), 48)
    np.testing.assert_allclose(mirror_output(rel), rel_m, atol=1e-12)


def test_flip_averaged_graph_is_the_mean_over_the_flip(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(2)
    layers = random_layers(rng, blocks=2)
    plain, flip = tmp_path / "plain.onnx", tmp_path / "flip.onnx"
    write_mlp_onnx(plain, layers, 2, "features", "out")
    write_mlp_onnx(flip, layers, 2, "features", "out", flip_average=True)
    assert is_flip_averaged(flip) and not is_flip_averaged(plain)
    sess = ort.InferenceSession(str(flip), providers=["CPUExecutionProvider"])
    for n in (1, 5):
        x = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
        ref = 0.5 * (
            mlp_forward(layers, x) + mirror_output(mlp_forward(layers, mirror_features(x)))
        )
        got = sess.run(None, {"features": x})[0]
        assert got.shape == (n, 48)
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
        # the flip average is itself mirror-equivariant
        got_m = sess.run(None, {"features": mirror_features(x)})[0]
        np.testing.assert_allclose(got_m, mirror_output(got), rtol=1e-4, atol=1e-4)
    for (w, b), (w2, b2) in zip(layers, onnx_layers(flip)):
        np.testing.assert_allclose(w2, w, rtol=1e-6)
        np.testing.assert_allclose(b2, b, rtol=1e-6)


def test_flip_average_needs_the_lifter_layout(tmp_path):
    rng = np.random.default_rng(3)
    dims = [(8, 5), (8, 8), (8, 8), (3, 8)]
    layers = [(rng.normal(size=d), rng.normal(size=d[0])) for d in dims]
    with pytest.raises(ValueError, match="flip_average"):
        write_mlp_onnx(tmp_path / "m.onnx", layers, 1, "features", "out", flip_average=True)
