"""Issue 13 lifter work: room cameras with truncation, the fitted 2D noise, the causal temporal
lifter (ONNX graph and its per-track runner) and the time-consistency metrics."""

import numpy as np
import pytest

from dev import lifter_data as ld
from dev.eval_temporal import time_metrics, windows
from dev.lifter_onnx import write_temporal_onnx
from dev.noise_fit import coco_to_h36m, fit
from factories import ECHO_LIFTER_META, EchoLifterBackend
from pose3d_ros.core.pose3d.lifting import (
    N_FEATURES,
    N_TEMPORAL_FEATURES,
    Lifter,
    TemporalLifter,
    temporal_rows,
)
from pose3d_ros.errors import InputError, ModelError


def standing(n, seed=0):
    """(n, 17, 3) m, +Y up: upright bodies (pelvis 0.95 m) at random room positions."""
    rng = np.random.default_rng(seed)
    base = np.zeros((17, 3))
    base[:, 1] = np.linspace(0.05, 1.72, 17)
    base[0, 1] = 0.95
    base[:, 0] = np.tile([-0.15, 0.15], 9)[:17]
    return base[None] + rng.uniform(-3, 3, (n, 1, 3)) * [1, 0, 1]


def test_room_cameras_cover_the_ranges_without_inverted_bounds():
    rng = np.random.default_rng(0)
    # long lenses, steep pitch and short distances together: the old sampler's crash case
    r = ld.RoomRanges(focal_px=(2500.0, 3000.0), pitch_deg=(-60.0, -50.0), distance_m=(0.5, 2.0))
    cam3d, uv, in_frame, cams = ld.sample_room_views(standing(2000), rng, r)
    assert np.all(np.isfinite(uv))
    assert np.all(cams.pitch_deg <= -49.9) and np.all(cams.pitch_deg >= -60.01)
    h = cams.pos_m[:, 1]
    assert np.all((h >= 0.3 - 1e-9) & (h <= 4.0 + 1e-9))
    wide = ld.RoomRanges()
    cam3d, uv, in_frame, cams = ld.sample_room_views(standing(4000, 1), rng, wide)
    assert cams.distance_m.min() >= 0.5 and cams.distance_m.max() <= 20.0
    assert cams.pitch_deg.min() < -45 and cams.pitch_deg.max() > 15
    assert np.all(in_frame[:, 0])  # the pelvis is always put inside the image
    out = ~in_frame
    assert 0.1 < out.any(axis=1).mean() < 0.9  # some people cut by the image border
    inside = (uv >= 0).all(-1) & (uv < cams.size_px[:, None]).all(-1) & (cam3d[..., 2] > 0.05)
    np.testing.assert_array_equal(in_frame, inside)


def test_protocol_sampler_survives_long_lenses():
    r = ld.CameraRanges(focal_px=(2500.0, 4000.0))  # d_fit > the distance range: was a crash
    cam3d, uv, *_ = ld.sample_views(standing(500), np.random.default_rng(2), r)
    assert np.all(cam3d[..., 2] > 0.5)


def test_fitted_noise_marks_off_image_joints_as_the_2d_stage_reports_them():
    params = {
        "sigma_rel": [0.02] * 17,
        "conf_bins": [0.0, 0.5, 1.0001],
        "conf_factor": [2.0, 1.0],
        "outlier_prob": [0.0, 0.0],
        "outlier_sigma_rel": 0.2,
        "person_log_sigma": 0.0,
        "conf_quantiles": [[0.9, 1.0]] * 17,
        "conf_person_rho": 0.5,
        "offframe_conf_quantiles": [0.0, 0.1],
    }
    noise = ld.FittedNoise(params)
    rng = np.random.default_rng(3)
    uv = np.zeros((4000, 17, 2))
    uv[:, :, 1] = np.linspace(0, 100, 17)  # 100 px tall person
    in_frame = np.ones((4000, 17), dtype=bool)
    in_frame[:, 3] = False
    noisy, conf = ld.apply_fitted_noise(uv, in_frame, rng, noise)
    assert np.all(conf[:, 3] <= 0.1) and np.all(conf[:, 5] >= 0.9)
    per_axis = (noisy[:, 5] - uv[:, 5]).std()
    assert per_axis == pytest.approx(0.02 * 100, rel=0.1)  # sigma_rel x the person's size
    seq, seq_conf = ld.apply_fitted_noise(  # sequences: (B, T, 17, 2)
        np.repeat(uv[:10, None], 5, axis=1), np.repeat(in_frame[:10, None], 5, axis=1), rng, noise
    )
    assert seq.shape == (10, 5, 17, 2) and seq_conf.shape == (10, 5, 17)


def test_noise_fit_recovers_a_known_error_scale():
    rng = np.random.default_rng(4)
    n = 400
    err = rng.normal(0.0, 0.03, (n, 17, 2))
    lab = np.ones((n, 17), dtype=bool)
    lab[:, 10] = False  # head: no COCO source
    data = {
        "err": err,
        "conf": rng.uniform(0.96, 1.0, (n, 17)),
        "lab": lab,
        "offframe_conf": rng.uniform(0, 0.3, 50),
        "sqrt_area_rel": np.zeros(n),  # no annotation noise to remove
    }
    p = fit(data)
    sig = np.array(p["sigma_rel"])
    np.testing.assert_allclose(np.delete(sig, 10), 0.03, rtol=0.1)
    assert p["sigma_rel"][10] == pytest.approx(p["sigma_rel"][9] * 1.5)


def test_coco_mapping_needs_every_source_labelled():
    kp = np.zeros((1, 17, 3))
    kp[0, :, :2] = np.arange(34).reshape(17, 2)
    kp[0, :, 2] = 2
    kp[0, 12, 2] = 0  # right hip unlabelled
    xy, lab = coco_to_h36m(kp)
    assert not lab[0, 0] and not lab[0, 1] and lab[0, 4]  # pelvis and r_hip need it, l_hip not
    np.testing.assert_allclose(xy[0, 8], (kp[0, 5, :2] + kp[0, 6, :2]) / 2)  # thorax
    assert not lab[0, 10]  # head is never measurable


def _dilated_reference(x, layers, widths):
    """Causal dilated convolutions at the newest frame, written as convolutions (numpy)."""
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    t = x.shape[1]
    w0, b0 = layers[0]
    k = widths[0]
    # level 0: kernel k over consecutive frames, output at every frame that has k frames
    h = np.stack(
        [relu(x[:, i - k + 1 : i + 1].reshape(len(x), -1) @ w0.T + b0) for i in range(k - 1, t)], 1
    )
    dil = k
    for blk, kb in enumerate(widths[1:]):
        wa, ba = layers[1 + 2 * blk]
        wb, bb = layers[2 + 2 * blk]
        n = h.shape[1]
        outs = []
        for i in range((kb - 1) * dil, n):
            taps = [h[:, i - (kb - 1 - j) * dil] for j in range(kb)]
            a = relu(np.concatenate(taps, -1) @ wa.T + ba)
            outs.append(h[:, i] + relu(a @ wb.T + bb))
        h = np.stack(outs, 1)
        dil *= kb
    wh, bh = layers[-1]
    return h[:, -1] @ wh.T + bh


def test_temporal_onnx_is_a_causal_dilated_convolution(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(5)
    widths, width, feats = (3, 3, 3), 8, 6
    layers = [(rng.normal(0, 0.3, (width, 3 * feats)), rng.normal(0, 0.1, width))]
    for _ in widths[1:]:
        layers.append((rng.normal(0, 0.3, (width, 3 * width)), rng.normal(0, 0.1, width)))
        layers.append((rng.normal(0, 0.3, (width, width)), rng.normal(0, 0.1, width)))
    layers.append((rng.normal(0, 0.3, (5, width)), rng.normal(0, 0.1, 5)))
    path = tmp_path / "t.onnx"
    write_temporal_onnx(path, layers, widths, feats, "x", "y")
    x = rng.normal(size=(4, 27, feats)).astype(np.float32)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(
        got, _dilated_reference(x.astype(np.float64), layers, widths), atol=1e-4
    )
    x2 = x.copy()
    x2[:, :-1] += 1.0  # only the past changed ...
    x3 = x.copy()
    x3[:, -1] += 1.0  # ... or the newest frame
    run = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert not np.allclose(run.run(None, {"x": x2})[0], got)
    assert not np.allclose(run.run(None, {"x": x3})[0], got)


class WindowEchoBackend:
    """Temporal backend returning, per window, the newest row's first 48 numbers (its
    single-frame answer) plus the oldest row's feature 0 (so the test sees the window)."""

    input_shapes = {"features_window": (-1, 4, N_TEMPORAL_FEATURES)}

    def __init__(self):
        self.calls = 0

    def run(self, feeds):
        self.calls += 1
        w = feeds["features_window"]
        out = w[:, -1, :48].copy()
        out[:, 0] += w[:, 0, 48]
        return {"joints3d_rel_m": out}

    def close(self):
        """Nothing to release."""


TEMPORAL_META = {**ECHO_LIFTER_META, "input_name": "features_window", "window_frames": 4}


def _runner():
    single = Lifter(EchoLifterBackend(), ECHO_LIFTER_META)
    backend = WindowEchoBackend()
    return TemporalLifter(single, backend, TEMPORAL_META, max_idle_calls=2), backend


def test_temporal_runner_single_frame_for_new_tracks_then_padded_windows():
    runner, backend = _runner()
    rng = np.random.default_rng(6)
    f = rng.normal(size=(6, 2, N_FEATURES)).astype(np.float32)
    first = runner.lift_features(f[0], ["a", None])
    assert backend.calls == 0  # a new track and an untracked person: single-frame
    np.testing.assert_allclose(first[:, 1:].reshape(2, 48), f[0, :, :48], atol=1e-6)
    second = runner.lift_features(f[1], ["a", None])
    assert backend.calls == 1
    # window [f0, f0, f0, f1]: newest is f1 (its single-frame answer = echo of f1), oldest f0
    expect = f[1, 0, :48].copy()
    expect[0] += f[0, 0, 0]
    np.testing.assert_allclose(second[0, 1:].reshape(48), expect, atol=1e-6)
    np.testing.assert_allclose(second[1, 1:].reshape(48), f[1, 1, :48], atol=1e-6)
    for t in range(2, 6):
        out = runner.lift_features(f[t, :1], ["a"])
    expect = f[5, 0, :48].copy()
    expect[0] += f[2, 0, 0]  # window f2..f5
    np.testing.assert_allclose(out[0, 1:].reshape(48), expect, atol=1e-6)
    # the rows and windows the evaluation builds are the runner's
    rows = temporal_rows(
        np.concatenate([np.zeros((1, 1, 3)), f[:1, 0, :48].reshape(1, 16, 3)], 1), f[:1, 0]
    )
    assert rows.shape == (1, N_TEMPORAL_FEATURES)
    np.testing.assert_allclose(rows[0, :48], f[0, 0, :48])
    np.testing.assert_allclose(rows[0, 48:], f[0, 0])
    seq = f[:, 0][None]
    np.testing.assert_allclose(windows(seq, 4)[0, 5], f[2:6, 0])
    np.testing.assert_allclose(windows(seq, 4)[0, 1], np.stack([f[0, 0]] * 3 + [f[1, 0]]))


def test_temporal_runner_forgets_ended_and_idle_tracks():
    runner, backend = _runner()
    f = np.ones((1, N_FEATURES), dtype=np.float32)
    runner.lift_features(f, ["a"])
    runner.forget(["a"])
    runner.lift_features(f, ["a"])
    assert backend.calls == 0  # started again: single-frame
    for _ in range(3):
        runner.lift_features(f, ["b"])  # "a" unseen for 3 calls > max_idle_calls
    runner.lift_features(f, ["a"])
    assert backend.calls == 2  # b's 2nd and 3rd frames only; a restarted
    with pytest.raises(InputError):
        runner.lift(np.zeros((1, 17, 2)), np.ones((1, 17)), _intr(), track_keys=["a", "b"])


def _intr():
    from pose3d_ros.core.types import CameraIntrinsics

    return CameraIntrinsics(500.0, 500.0, 320.0, 240.0, 640, 480)


def test_temporal_onnx_residual_adds_the_newest_single_frame_answer(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(8)
    widths, width, feats = (3, 3), 8, 10
    zero = [(np.zeros((width, 3 * feats)), np.zeros(width))]
    zero += [
        (np.zeros((width, 3 * width)), np.zeros(width)),
        (np.zeros((width, width)), np.zeros(width)),
    ]
    layers = zero + [(rng.normal(size=(4, width)), rng.normal(size=4))]
    path = tmp_path / "r.onnx"
    write_temporal_onnx(path, layers, widths, feats, "x", "y", residual_channels=4)
    x = rng.normal(size=(3, 9, feats)).astype(np.float32)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    # all hidden units are 0, so the head gives its bias: output = newest frame's first 4 + bias
    np.testing.assert_allclose(got, x[:, -1, :4] + layers[-1][1], atol=1e-5)


def test_temporal_runner_rejects_a_model_of_another_shape():
    single = Lifter(EchoLifterBackend(), ECHO_LIFTER_META)
    with pytest.raises(ModelError):
        TemporalLifter(single, WindowEchoBackend(), {**TEMPORAL_META, "window_frames": 9})


def test_time_metrics_find_the_lag_and_zero_errors():
    t = np.arange(40) / 30.0
    gt = np.zeros((2, 40, 17, 3))
    gt[..., 0] = np.sin(2 * np.pi * 1.0 * t)[None, :, None]
    m = time_metrics(gt, gt)
    assert m["MPJPE"] == 0 and m["vel"] == 0 and m["acc"] == 0 and m["lag"] == 0
    late = np.concatenate([gt[:, :2], gt[:, :-2]], axis=1)  # output 2 frames behind
    assert time_metrics(late, gt)["lag"] == pytest.approx(2.0)


def test_pipeline_feeds_the_temporal_runner_per_2d_track_and_resets_it():
    import dataclasses

    from factories import STAMP_NS, VGA_INTRINSICS, Stub2D, make_pose2d, place_at
    from factories import blank_frame_rgb as frame
    from pose3d_ros.core.pipeline import PipelineConfig, Pose3DPipeline

    poses = [
        dataclasses.replace(make_pose2d(0), track_key=1),
        dataclasses.replace(make_pose2d(60), track_key=None),
    ]
    runner, backend = _runner()
    stub = Stub2D(poses)
    pipe = Pose3DPipeline(stub, runner, PipelineConfig(), place=place_at(4.0))
    pipe.process(frame(), VGA_INTRINSICS, STAMP_NS)
    assert backend.calls == 0  # first frame of track 1; the untracked person never uses it
    pipe.process(frame(), VGA_INTRINSICS, STAMP_NS + 33_000_000)
    assert backend.calls == 1
    pipe.reset()
    assert stub.resets == 1
    pipe.process(frame(), VGA_INTRINSICS, STAMP_NS + 66_000_000)
    assert backend.calls == 1  # after a reset track 1 starts again


def test_committed_temporal_lifter_loads_beside_its_single_frame_lifter(tmp_path):
    import shutil

    from factories import REPO_ROOT
    from pose3d_ros.assembly import (
        LIFTER_FILE,
        TEMPORAL_LIFTER_FILE,
        open_lifter,
        open_temporal_lifter,
    )
    from pose3d_ros.core.types import CameraIntrinsics

    engines = REPO_ROOT / "engines"
    if not (engines / TEMPORAL_LIFTER_FILE).is_file():
        pytest.skip("no committed temporal lifter")
    single = open_lifter(engines)
    runner = open_temporal_lifter(single, engines)
    try:
        intr = CameraIntrinsics(600.0, 600.0, 320.0, 240.0, 640, 480)
        rng = np.random.default_rng(9)
        from factories import project_px, random_skeleton_m

        body = random_skeleton_m(3, (0.2, 0.1, 4.0))
        outs = []
        for t in range(5):
            j2d = project_px(body[None] + [0.01 * t, 0, 0], 600.0, [320.0, 240.0])
            j2d = j2d + rng.normal(0, 1.0, j2d.shape)
            outs.append(runner.lift(j2d, np.ones((1, 17)), intr, track_keys=[7])[0])
            if t == 0:
                np.testing.assert_allclose(outs[0], single.lift(j2d, np.ones((1, 17)), intr)[0])
        outs = np.array(outs)
        assert np.all(np.isfinite(outs)) and np.all(outs[:, 0] == 0)
        assert np.abs(outs[1:] - outs[0]).max() < 0.3  # a still body stays roughly put
    finally:
        runner.close()
    other = tmp_path / "engines"
    other.mkdir()
    for suffix in (".onnx", ".json"):
        shutil.copy(engines / TEMPORAL_LIFTER_FILE.replace(".onnx", suffix), other)
    (other / LIFTER_FILE).write_bytes(b"another single-frame lifter")
    single = open_lifter(engines)
    try:
        with pytest.raises(ModelError, match="retrain"):
            open_temporal_lifter(single, other)
    finally:
        single.close()


def test_condition_rows_partition_the_samples_and_render():
    from dev import eval_conditions as ec

    rng = np.random.default_rng(10)
    m = 500
    data = {
        "distance_m": np.exp(rng.uniform(np.log(0.5), np.log(20.0), m)),
        "pitch_deg": rng.uniform(-60, 30, m),
        "out_joints": rng.integers(0, 17, m),
        "motion": rng.choice(["walk", "jump"], m),
    }
    rows = ec.condition_rows(data)
    for name, table in rows.items():
        masks = np.array([mask for _, mask in table])
        np.testing.assert_array_equal(masks.sum(axis=0), 1, err_msg=name)  # each sample once
    err = {
        (lab, c): (rng.uniform(50, 100, m), rng.uniform(30, 60, m))
        for lab in ("a",)
        for c in ("GT 2D", "fitted noise 2D")
    }
    placed = {
        c: {
            "root-relative MPJPE": 1.0,
            "root-relative P-MPJPE": 1.0,
            "placed MPJPE": 2.0,
            "root depth error %": 3.0,
            "placed": 100.0,
        }
        for c in ("GT 2D", "fitted noise 2D")
    }
    text = ec.markdown(
        {"err": err, "rows": rows, "placed": placed, "samples": m, "placed_samples": 10},
        ["a"],
        "cmd",
        "info",
        2,
    )
    assert "### distance to the pelvis" in text and "| walk |" in text
