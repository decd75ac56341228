"""Training-side helpers of the lifter: virtual cameras, noise, pose augmentation, BN folding +
ONNX writing, doc sections."""

import subprocess
import sys

import numpy as np
import pytest

from dev import lifter_data as ld
from dev import pose_augment as pa
from dev.doc_sections import write_section
from dev.lifter_onnx import fold_bn, write_mlp_onnx
from factories import REPO_ROOT
from pose3d_ros.core.skeleton import H36M_LEFT, H36M_RIGHT


def standing_world(n=64, seed=0):
    """(n, 17, 3) m, +Y up: upright bodies (head 1.7 m, feet 0) at random room positions."""
    rng = np.random.default_rng(seed)
    base = np.array(
        [
            [0, 0.95, 0],
            [-0.1, 0.95, 0],
            [-0.1, 0.5, 0],
            [-0.1, 0.05, 0],
            [0.1, 0.95, 0],
            [0.1, 0.5, 0],
            [0.1, 0.05, 0],
            [0, 1.2, 0],
            [0, 1.45, 0],
            [0, 1.55, 0],
            [0, 1.72, 0],
            [0.18, 1.45, 0],
            [0.2, 1.2, 0],
            [0.2, 0.95, 0],
            [-0.18, 1.45, 0],
            [-0.2, 1.2, 0],
            [-0.2, 0.95, 0],
        ]
    )
    return base[None] + rng.uniform(-3, 3, (n, 1, 3)) * [1, 0, 1]


def test_views_project_consistently_upright_and_in_front():
    rng = np.random.default_rng(1)
    world = standing_world()
    cam3d, uv, focal, center, size = ld.sample_views(world, rng, mirror=False)
    np.testing.assert_allclose(
        uv, cam3d[..., :2] / cam3d[..., 2:3] * focal[:, None] + center[:, None], atol=1e-9
    )
    assert np.all(cam3d[..., 2] > 0.5)
    assert np.all(uv[:, 10, 1] < uv[:, 0, 1])  # head above pelvis in the image (roll <= 15 deg)
    # rigid: bone lengths are preserved by the camera transform
    np.testing.assert_allclose(
        np.linalg.norm(cam3d[:, 2] - cam3d[:, 1], axis=-1),
        np.linalg.norm(world[:, 2] - world[:, 1], axis=-1),
        atol=1e-9,
    )
    assert np.all((uv[:, 0] >= 0) & (uv[:, 0] <= size))  # pelvis inside the image
    f = focal[:, 0]
    assert np.all((f >= 400) & (f <= 1500))


def test_mirror_swaps_left_and_right():
    world = standing_world(1)
    world[:, list(H36M_LEFT), 2] += (
        0.3  # left side forward: a mirrored copy has the right side forward
    )
    flips = 0
    for seed in range(20):
        cam3d, *_ = ld.sample_views(world, np.random.default_rng(seed))
        l_depth = cam3d[0, list(H36M_LEFT), 2].mean() - cam3d[0, list(H36M_RIGHT), 2].mean()
        l_x = cam3d[0, list(H36M_LEFT), 0].mean() - cam3d[0, list(H36M_RIGHT), 0].mean()
        flips += np.sign(l_depth * l_x) > 0
    assert 0 < flips < 20  # both handednesses occur


def test_noise_model_drops_with_zero_confidence_and_keeps_clean_samples():
    rng = np.random.default_rng(2)
    uv = np.random.default_rng(3).uniform(100, 500, (2000, 17, 2))
    noisy, conf = ld.apply_noise(uv, rng)
    assert noisy.shape == uv.shape and conf.shape == (2000, 17)
    clean = np.all(noisy == uv, axis=(1, 2))
    assert 0.15 < clean.mean() < 0.35 and np.all(conf[clean] == 1.0)
    assert np.all(conf[:, 0] > 0)  # the root is never dropped
    assert 0.01 < (conf == 0).mean() < 0.15


def test_subject_weights_are_sqrt_balanced():
    subject = np.array([1] * 100 + [2] * 25)
    p = ld.subject_weights(subject, 0.5)
    assert p.sum() == pytest.approx(1.0)
    assert p[subject == 1].sum() / p[subject == 2].sum() == pytest.approx(2.0)  # sqrt(100 / 25)


def test_fold_bn_matches_explicit_batch_norm():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    g, beta, mean, var = (
        rng.uniform(0.5, 2, 4),
        rng.normal(size=4),
        rng.normal(size=4),
        rng.uniform(0.5, 2, 4),
    )
    x = rng.normal(size=(5, 3))
    ref = (x @ w.T + b - mean) / np.sqrt(var + 1e-5) * g + beta
    wf, bf = fold_bn(w, b, g, beta, mean, var, 1e-5)
    np.testing.assert_allclose(x @ wf.T + bf, ref, atol=1e-12)


def test_written_onnx_matches_numpy_forward_with_dynamic_batch(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(0)
    dims = [(8, 5), (8, 8), (8, 8), (3, 8)]
    layers = [(rng.normal(size=d), rng.normal(size=d[0])) for d in dims]
    path = tmp_path / "m.onnx"
    write_mlp_onnx(path, layers, 1, "features", "out")
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (1, 7):
        x = rng.normal(size=(n, 5)).astype(np.float32)
        h = relu(x @ layers[0][0].T + layers[0][1])
        h = h + relu(relu(h @ layers[1][0].T + layers[1][1]) @ layers[2][0].T + layers[2][1])
        ref = h @ layers[3][0].T + layers[3][1]
        np.testing.assert_allclose(sess.run(None, {"features": x})[0], ref, rtol=1e-4, atol=1e-4)


def test_write_section_replaces_only_its_own_markers(tmp_path):
    doc = tmp_path / "d.md"
    write_section(doc, "lifter", "first", "# Title")
    assert doc.read_text() == "# Title\n\n<!-- lifter:begin -->\nfirst\n<!-- lifter:end -->\n"
    doc.write_text(doc.read_text() + "\n<!-- other:begin -->\nkeep\n<!-- other:end -->\n")
    write_section(doc, "lifter", "second", "# Title")
    text = doc.read_text()
    assert (
        "second" in text and "first" not in text and "keep" in text and text.startswith("# Title")
    )


def test_runtime_modules_do_not_import_torch():
    code = (
        "import sys; import pose3d_ros.core.pose3d.lifting, pose3d_ros.core.pose3d.placement, "
        "dev.metrics, dev.nn_baseline; print('torch' in sys.modules)"
    )
    # cwd: dev/ imports from the checkout
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not ld.cmu_path().is_file(), reason="CMU mocap data not found in ../shared")
def test_cmu_split_is_subject_wise():
    te = ld.load_split("test")
    assert set(np.unique(te.subject)) == {2, 13}
    assert te.poses_m.shape == (5153, 17, 3) and len(te.descriptions) == len(te.clip_names)


def test_scale_bones_changes_proportions_along_the_tree_alike_left_and_right():
    from pose3d_ros.core.skeleton import H36M_PARENTS

    world = standing_world(32)
    out = pa.scale_bones(world, np.random.default_rng(4), sigma=0.1, max_rel=0.15)
    np.testing.assert_array_equal(out[:, 0], world[:, 0])  # the pelvis stays
    child = np.arange(1, 17)
    bone = lambda p: p[:, child] - p[:, H36M_PARENTS[child]]  # noqa: E731
    ratio = np.linalg.norm(bone(out), axis=-1) / np.linalg.norm(bone(world), axis=-1)
    assert np.all((ratio >= 0.85 - 1e-9) & (ratio <= 1.15 + 1e-9))
    assert ratio.std() > 0.02  # proportions do change
    # direction of every bone kept (joint angles unchanged)
    cos = (bone(out) * bone(world)).sum(-1) / np.linalg.norm(bone(out), axis=-1)
    np.testing.assert_allclose(cos, np.linalg.norm(bone(world), axis=-1), rtol=1e-9)
    # left and right limbs get the same factor: thigh (r 2, l 5), forearm (l 13, r 16)
    np.testing.assert_allclose(ratio[:, 2 - 1], ratio[:, 5 - 1])
    np.testing.assert_allclose(ratio[:, 13 - 1], ratio[:, 16 - 1])


def _bone_unit(world_m, j):
    """(B, 3) unit vectors of the bone that ends at joint j."""
    from pose3d_ros.core.skeleton import H36M_PARENTS

    bone = world_m[:, j] - world_m[:, H36M_PARENTS[j]]
    return bone / np.linalg.norm(bone, axis=-1, keepdims=True)


def test_recombine_parts_moves_whole_parts_in_body_frames_and_keeps_bone_lengths():
    from pose3d_ros.core.skeleton import H36M_PARENTS

    rng = np.random.default_rng(3)
    world = standing_world(48)
    # give every pose its own arm and leg angles so that parts differ between poses
    for j in (12, 13, 15, 16, 2, 3, 5, 6):
        world[:, j] += rng.normal(0, 0.08, (48, 3))
    child = np.arange(1, 17)
    bone = lambda p: np.linalg.norm(p[:, child] - p[:, H36M_PARENTS[child]], axis=-1)  # noqa: E731

    np.testing.assert_array_equal(pa.recombine_parts(world, rng, fraction=0.0), world)
    out = pa.recombine_parts(world, np.random.default_rng(5), fraction=1.0, part_p=1.0)
    np.testing.assert_allclose(bone(out), bone(world), atol=1e-12)  # lengths are the recipient's
    np.testing.assert_array_equal(out[:, [0, 1, 4]], world[:, [0, 1, 4]])  # pelvis, hips stay
    assert np.abs(out - world).max() > 0.05  # parts did move
    # every part swapped: each pose's limbs, seen in its own body frames, are another pose's
    donor = world[np.random.default_rng(5).permutation(48)]
    for frame, joints in pa.RECOMBINE_PARTS.values():
        r_out, r_don = pa.body_frames(out, frame), pa.body_frames(donor, frame)
        for j in joints:
            local_out = np.einsum("bji,bj->bi", r_out, _bone_unit(out, j))
            local_don = np.einsum("bji,bj->bi", r_don, _bone_unit(donor, j))
            np.testing.assert_allclose(local_out, local_don, atol=1e-9)


def test_perturb_joint_angles_turns_bones_about_their_parents_and_keeps_lengths():
    from pose3d_ros.core.skeleton import H36M_PARENTS

    world = standing_world(40)
    child = np.arange(1, 17)
    bone = lambda p: np.linalg.norm(p[:, child] - p[:, H36M_PARENTS[child]], axis=-1)  # noqa: E731

    np.testing.assert_array_equal(
        pa.perturb_joint_angles(world, np.random.default_rng(1), 0.0, 20.0), world
    )
    out = pa.perturb_joint_angles(world, np.random.default_rng(1), 1.0, 20.0)
    np.testing.assert_allclose(bone(out), bone(world), atol=1e-12)
    np.testing.assert_array_equal(out[:, [0, 1, 4, 7]], world[:, [0, 1, 4, 7]])  # not perturbed
    for j in pa.PERTURBED_BONES:  # each perturbed bone changed direction, by a plausible angle
        cos = (_bone_unit(out, j) * _bone_unit(world, j)).sum(-1)
        angle_deg = np.degrees(np.arccos(np.clip(cos, -1, 1)))
        assert np.median(angle_deg) > 3 and np.median(angle_deg) < 60


def test_augmentations_of_windows_keep_one_choice_per_window():
    """A window (B, T, 17, 3) of one pose repeated stays one repeated pose: the donor, the parts
    and the turns are drawn per window, so motion is not broken up frame by frame."""
    poses = standing_world(12)
    for j in (12, 13, 15, 16, 2, 3, 5, 6):
        poses[:, j] += np.random.default_rng(2).normal(0, 0.08, (12, 3))
    windows = np.repeat(poses[:, None], 5, axis=1)
    for out in (
        pa.recombine_parts(windows, np.random.default_rng(0), 1.0),
        pa.perturb_joint_angles(windows, np.random.default_rng(0), 1.0, 20.0),
    ):
        assert out.shape == windows.shape and np.abs(out - windows).max() > 0.05
        np.testing.assert_allclose(out, np.repeat(out[:, :1], 5, axis=1), atol=1e-12)
