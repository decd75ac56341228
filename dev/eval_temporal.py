"""Time consistency of the lifters on held-out sequences: single-frame, single-frame + One-Euro,
and the causal temporal lifter (dev/train_temporal.py). Used by `dev.eval_lifter --temporal`.

Test subjects' clips (CMU split 'test', 30 fps) cut into segments of `seg_frames` frames; one
fixed-seed virtual camera per segment, drawn from the evaluation protocol's distribution
(lifter_data.protocol_cameras, no mirroring); each segment is one track that starts at its first
frame (the temporal lifter pads as at run time: core.pose3d.lifting.TemporalLifter; its first frame
is the single-frame lifter's). 2D: exact projections, or the noise fitted to the 2D stage
(dev/noise2d_fit.json) drawn independently per frame (the per-person error level and
confidence latent are shared by the segment; real 2D errors are also correlated in time, which
this does not model). One-Euro: core.filters with the product's default OneEuroConfig on the
root-relative joints at 30 Hz, and the same with beta 2 (less lag; compare at equal lag).

Metrics over every frame of every segment: MPJPE, P-MPJPE (mm); velocity error (mean joint
|first difference of prediction - of truth|, mm/frame, frames 1..); acceleration error (second
differences, mm/frame^2, frames 2..); lag: the shift s in frames (0..4, step 0.25) for which the
prediction at t best matches the truth at t - s (MPJPE), i.e. how late the output follows.
"""

from __future__ import annotations

import time

import numpy as np

from dev import lifter_data as ld
from dev import metrics
from pose3d_ros.core.filters import OneEuroConfig, OneEuroFilter
from pose3d_ros.core.pose3d.lifting import (
    N_FEATURES,
    N_TEMPORAL_FEATURES,
    normalise_2d,
    temporal_rows,
)

FPS = 30.0
# the product's One-Euro with beta 2 instead of 0.5: less lag for fast motion
FAST_ONE_EURO = OneEuroConfig(beta=2.0)


def test_segments(seg_frames: int, seed: int, conf_min: float, fitted: ld.FittedNoise):
    """Segments (S, L) of the test clips -> dict: gt (S, L, 17, 3) m root-relative, feats
    {'GT 2D', 'fitted noise 2D'} (S, L, 54), clip (S,)."""
    te = ld.load_split("test")
    starts = []
    for c in np.unique(te.clip):
        idx = np.flatnonzero(te.clip == c)
        for s in range(0, len(idx) - seg_frames + 1, seg_frames):
            starts.append(idx[s])
    starts = np.array(starts)
    frames = starts[:, None] + np.arange(seg_frames)[None, :]
    rng = np.random.default_rng(seed)
    world = ld.orient_world(te.poses_m[frames], rng, mirror=False)
    world = world - (world[:, seg_frames // 2, 0] * [1.0, 0.0, 1.0])[:, None, None, :]
    cams = ld.protocol_cameras(world[:, seg_frames // 2, 0], rng)
    cam3d, uv = cams.project(world)
    in_frame = np.ones(uv.shape[:-1], dtype=bool)
    noisy, conf = ld.apply_fitted_noise(uv, in_frame, rng, fitted)
    s, n = frames.shape
    focal = np.repeat(cams.focal_px, n, axis=0)
    center = np.repeat(cams.center_px, n, axis=0)

    def feats(u, c):
        return normalise_2d(u.reshape(-1, 17, 2), c.reshape(-1, 17), focal, center, conf_min)

    return {
        "gt": cam3d - cam3d[:, :, :1],
        "min_depth_m": float(cam3d[..., 2].min()),
        "feats": {
            "GT 2D": feats(uv, np.ones((s, n, 17))).reshape(s, n, N_FEATURES),
            "fitted noise 2D": feats(noisy, conf).reshape(s, n, N_FEATURES),
        },
        "clip": te.clip[starts],
        "split": te,
    }


def windows(feats: np.ndarray, n_frames: int) -> np.ndarray:
    """(S, L, F) track features -> (S, L, T, F): for each frame its last T frames, oldest first,
    frames before the track's start replaced by its first frame."""
    s, n, f = feats.shape
    idx = np.maximum(np.arange(n)[:, None] - np.arange(n_frames - 1, -1, -1)[None, :], 0)
    return feats[:, idx]


def one_euro(pred: np.ndarray, config: OneEuroConfig = OneEuroConfig()) -> np.ndarray:
    """(S, L, 17, 3) per-segment sequences filtered at FPS (a new filter per segment)."""
    out = np.empty_like(pred)
    for k in range(pred.shape[0]):
        filt = OneEuroFilter(config)
        for t in range(pred.shape[1]):
            out[k, t] = filt.filter(pred[k, t], t / FPS)
    return out


def time_metrics(pred: np.ndarray, gt: np.ndarray) -> dict:
    """(S, L, 17, 3) m -> MPJPE, P-MPJPE, velocity / acceleration error (mm, per frame), lag."""
    flat_p, flat_g = pred.reshape(-1, 17, 3), gt.reshape(-1, 17, 3)
    dv = np.diff(pred, axis=1) - np.diff(gt, axis=1)
    da = np.diff(pred, n=2, axis=1) - np.diff(gt, n=2, axis=1)
    shifts = np.arange(0.0, 4.01, 0.25)
    errs = []
    m = 8  # skip the first frames so every shift has a past truth
    for s in shifts:
        k, frac = int(np.floor(s)), s - np.floor(s)
        n = gt.shape[1]
        g0 = gt[:, m - k : n - k]
        g1 = gt[:, m - k - 1 : n - k - 1]
        g = (1.0 - frac) * g0 + frac * g1
        errs.append(np.linalg.norm(pred[:, m:] - g, axis=-1).mean())
    return {
        "MPJPE": metrics.mpjpe(flat_p, flat_g) * 1e3,
        "P-MPJPE": metrics.p_mpjpe(flat_p, flat_g) * 1e3,
        "vel": float(np.linalg.norm(dv, axis=-1).mean() * 1e3),
        "acc": float(np.linalg.norm(da, axis=-1).mean() * 1e3),
        "lag": float(shifts[int(np.argmin(errs))]),
    }


def ms_per_person(fn, x: np.ndarray, repeats: int = 200) -> float:
    """Median ms of fn(x[:1]) (batch of one person) over repeats, after a warm-up."""
    one = x[:1]
    for _ in range(10):
        fn(one)
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(one)
        t.append(time.perf_counter() - t0)
    return float(np.median(t) * 1e3)


def runner_ms_per_person(single, backend, meta: dict, track_feats: np.ndarray) -> float:
    """Median ms per frame of core.pose3d.lifting.TemporalLifter for one tracked person
    (single-frame model + window bookkeeping + temporal model), over the frames of one track
    (L, 54)."""
    from pose3d_ros.core.pose3d.lifting import TemporalLifter

    runner = TemporalLifter(single, backend, meta)
    t = []
    for rep in range(4):
        for f in track_feats:
            t0 = time.perf_counter()
            runner.lift_features(f[None], [rep])
            t.append(time.perf_counter() - t0)
    return float(np.median(t) * 1e3)


def evaluate(single, temporal_backend, meta: dict, seg_frames: int, seed: int) -> dict:
    """single: core.pose3d.lifting.Lifter; temporal_backend: InferenceBackend of the temporal ONNX;
    meta: its JSON. -> {condition: {method: time_metrics}}, timing, segment counts."""
    n_frames = int(meta["window_frames"])
    data = test_segments(seg_frames, seed, single.conf_min, ld.FittedNoise.load())
    gt = data["gt"]
    s, n = gt.shape[:2]

    def run_temporal(w):
        return temporal_backend.run({meta["input_name"]: np.asarray(w, np.float32)})[
            meta["output_name"]
        ]

    res = {}
    for cond, feats in data["feats"].items():
        flat = feats.reshape(-1, N_FEATURES)
        sf_flat = single.lift_features(flat)
        sf = sf_flat.reshape(s, n, 17, 3)
        rows = temporal_rows(sf_flat, flat).reshape(s, n, N_TEMPORAL_FEATURES)
        win = windows(rows, n_frames).reshape(-1, n_frames, N_TEMPORAL_FEATURES)
        out = np.concatenate([run_temporal(win[i : i + 4096]) for i in range(0, len(win), 4096)])
        tmp = np.concatenate([np.zeros((len(out), 1, 3)), out.reshape(-1, 16, 3)], axis=1)
        tmp = tmp.reshape(s, n, 17, 3)
        tmp[:, 0] = sf[:, 0]  # a track's first frame: the single-frame lifter (as the runner)
        res[cond] = {
            "single-frame": time_metrics(sf, gt),
            "single-frame + One-Euro": time_metrics(one_euro(sf), gt),
            "single-frame + One-Euro beta 2": time_metrics(one_euro(sf, FAST_ONE_EURO), gt),
            "temporal": time_metrics(tmp, gt),
            "temporal + One-Euro": time_metrics(one_euro(tmp), gt),
            "temporal + One-Euro beta 2": time_metrics(one_euro(tmp, FAST_ONE_EURO), gt),
        }
    feats = data["feats"]["GT 2D"]
    one_track = temporal_rows(single.lift_features(feats[0]), feats[0])[None]
    timing = {
        "single-frame ms/person": ms_per_person(
            single.lift_features, feats.reshape(-1, N_FEATURES)
        ),
        "temporal ms/person": ms_per_person(run_temporal, windows(one_track, n_frames)[0]),
        "runner ms/person": runner_ms_per_person(single, temporal_backend, meta, feats[0]),
    }
    return {"results": res, "timing": timing, "segments": s, "frames": s * n}


def markdown(out: dict, seg_frames: int, engine: str, cmd: str, info: str) -> str:
    lines = [
        "## Temporal lifter: time consistency (CMU test subjects, sequences)",
        "",
        f"Command: `{cmd}`  ",
        info,
        "",
        f"{out['segments']} segments of {seg_frames} frames (30 fps) = {out['frames']} frames from "
        "the test subjects' clips, one fixed-seed protocol camera per segment, each segment one "
        f"track from its first frame. Temporal model: `{engine}`. Definitions: "
        "`dev/eval_temporal.py` (velocity / acceleration error: mean joint error of the first / "
        "second differences; lag: the delay in frames at which the output best matches the "
        "truth). 2D noise: fitted to the 2D stage (dev/noise2d_fit.json), independent per frame.",
        "",
        "| 2D | method | MPJPE mm | P-MPJPE mm | velocity err mm/frame | accel err mm/frame^2 "
        "| lag frames |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for cond, methods in out["results"].items():
        for m, r in methods.items():
            lines.append(
                f"| {cond} | {m} | {r['MPJPE']:.1f} | {r['P-MPJPE']:.1f} | {r['vel']:.2f} | "
                f"{r['acc']:.2f} | {r['lag']:.2f} |"
            )
    t = out["timing"]
    lines += [
        "",
        f"Speed (onnxruntime, 1 thread, batch of one person, median): single-frame "
        f"{t['single-frame ms/person']:.3f} ms, temporal model {t['temporal ms/person']:.3f} ms "
        "per person; the whole runner (core.pose3d.lifting.TemporalLifter: features, "
        f"single-frame model, window, temporal model) {t['runner ms/person']:.3f} ms per tracked "
        "person and frame.",
    ]
    return "\n".join(lines) + "\n"
