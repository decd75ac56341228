"""Train the causal temporal lifter (VideoPose3D-style dilated convolutions, past frames only);
export ONNX + JSON.

TRAINING-ONLY dependency: torch (CPU). The product never imports this module.

  nice -n 10 /work/venvs/train/bin/python -m dev.train_temporal --steps 6000 \
      --out engines/lifter_h36m17_temporal.onnx

Input: the last T = prod(--widths) frames of one track (oldest first), each frame the
single-frame lifter's 54 features (core.pose3d.lifting.normalise_2d). Output: the newest frame's 16
non-root joints, metres, root-relative, camera optical frame (as the single-frame lifter).
Model: causal dilated 1D convolutions (kernel w_i, dilation prod(w_<i)), evaluated at the newest
frame only (VideoPose3D's strided form): expand Linear over groups of w_0 frames, then residual
blocks of [Linear over groups of w_i, BN, ReLU, Dropout, Linear, BN, ReLU, Dropout] + the newest
element of each group, then a Linear head. Data: windows of the train subjects' clips at 30 fps
(sqrt-balanced per subject), one virtual camera per window (dev.train_lifter.TrainMix: room
cameras with truncation or the protocol's cameras), per-frame 2D noise (fitted / synthetic /
none), and tracks younger than T (probability --young): the frames before the track started are
copies of its first frame, as core.pose3d.lifting.TemporalLifter pads them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from dev import lifter_data as ld
from dev import pose_augment as pa
from dev.train_lifter import TrainMix, fold_residual_mlp, mpjpe_mm, noisy_2d
from pose3d_ros.core.pose3d.lifting import N_TEMPORAL_FEATURES, normalise_2d
from pose3d_ros.core.skeleton import H36M_JOINTS
from pose3d_ros.files import sha256_file

INPUT_NAME, OUTPUT_NAME = "features_window", "joints3d_rel_m"


def window_frames(clip: np.ndarray, ends: np.ndarray, n_frames: int) -> np.ndarray:
    """(B,) frame indices of the newest frames -> (B, T) indices of the window, oldest first;
    frames before the clip's start are the clip's first frame (edge padding)."""
    idx = ends[:, None] - np.arange(n_frames - 1, -1, -1)[None, :]
    idx = np.maximum(idx, 0)
    same = clip[idx] == clip[ends][:, None]
    first = np.where(same, idx, n_frames * 10**9)  # earliest frame of the same clip in the window
    start = first.min(axis=1)
    return np.where(same, idx, start[:, None])


def young_tracks(feats: np.ndarray, rng: np.random.Generator, prob: float) -> np.ndarray:
    """(B, T, F) -> copies where a fraction `prob` of the windows start later (age 1..T-1
    frames): the missing older frames repeat the track's first frame, as the runner pads."""
    b, t, _ = feats.shape
    young = rng.random(b) < prob
    age = rng.integers(1, t, b)
    first = t - age  # index of the track's first frame
    pos = np.arange(t)[None, :]
    src = np.where(young[:, None] & (pos < first[:, None]), first[:, None], pos)
    return np.take_along_axis(feats, src[..., None], axis=1)


def make_windows(
    split: ld.MocapSplit,
    ends: np.ndarray,
    n_frames: int,
    rng: np.random.Generator,
    conf_min: float,
    mix: TrainMix,
    fitted: ld.FittedNoise | None,
    noisy: bool = True,
    young: float = 0.0,
    sf_fn=None,
    n_targets: int = 1,
):
    """Windows ending at `ends` -> inputs (B, T, 102) float32 (per frame the single-frame
    lifter's output sf_fn((M, 54)) -> (M, 48) m and the 54 features), targets (B, 48) m."""
    frames = window_frames(split.clip, ends, n_frames)
    world = ld.orient_world(split.poses_m[frames], rng)  # (B, T, 17, 3)
    if mix.recombine > 0:
        world = pa.recombine_parts(world, rng, mix.recombine)
    if mix.perturb > 0:
        world = pa.perturb_joint_angles(world, rng, mix.perturb, mix.perturb_deg)
    b = len(ends)
    room = rng.random(b) < mix.room_fraction
    pelvis = world[:, -1, 0]
    cams_room, _ = ld.sample_room_cameras(pelvis, rng)
    cams_prot = ld.protocol_cameras(pelvis, rng)
    pick = lambda a, c: np.where(room.reshape((b,) + (1,) * (a.ndim - 1)), a, c)  # noqa: E731
    cams = ld.Cameras(
        *[
            pick(getattr(cams_room, f), getattr(cams_prot, f))
            for f in ("rot", "pos_m", "focal_px", "center_px", "size_px", "distance_m", "pitch_deg")
        ]
    )
    cam3d, uv = cams.project(world)
    in_frame = cams.in_frame(cam3d, uv) | ~room[:, None, None]
    if noisy:
        uv, conf = noisy_2d(uv, in_frame, rng, mix, fitted)
    else:
        conf = in_frame.astype(np.float64)
    feats = normalise_2d(
        uv.reshape(-1, 17, 2),
        conf.reshape(-1, 17),
        np.repeat(cams.focal_px, n_frames, axis=0),
        np.repeat(cams.center_px, n_frames, axis=0),
        conf_min,
    )
    feats = np.concatenate([sf_fn(feats), feats], axis=1).reshape(b, n_frames, N_TEMPORAL_FEATURES)
    if young > 0.0:
        feats = young_tracks(feats, rng, young)
    last = cam3d[:, -n_targets:]
    target = (last[:, :, 1:] - last[:, :, :1]).reshape(b, n_targets, -1)
    if n_targets == 1:
        target = target[:, 0]
    return feats.astype(np.float32), target.astype(np.float32)


def single_frame_fn(path: str):
    """(M, 54) features -> (M, 48) m from the single-frame lifter ONNX (ONNX Runtime, 1 thread)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name

    def run(feats: np.ndarray) -> np.ndarray:
        f = np.asarray(feats, dtype=np.float32)
        return np.concatenate(
            [sess.run(None, {name: f[i : i + 8192]})[0] for i in range(0, len(f), 8192)]
        )

    return run


def build_model(widths: tuple[int, ...], width: int, dropout: float, out_scale: np.ndarray):
    """Dilated causal convolutions over (N, T, 102) -> the newest frame's single-frame answer
    (the first 48 inputs) + head x out_scale; the head starts at zero (= single-frame)."""
    import torch
    import torch.nn as nn

    def lbrd(n_in):
        return [nn.Linear(n_in, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout)]

    class Block(nn.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k
            self.body = nn.Sequential(*lbrd(k * width), *lbrd(width))

        def forward(self, x):  # x (M, W) rows grouped k at a time, oldest first
            grouped = x.reshape(-1, self.k * width)
            return x.reshape(-1, self.k, width)[:, -1] + self.body(grouped)

    class Temporal(nn.Module):
        def __init__(self):
            super().__init__()
            self.w0 = widths[0]
            self.expand = nn.Sequential(*lbrd(widths[0] * N_TEMPORAL_FEATURES))
            self.blocks = nn.Sequential(*[Block(k) for k in widths[1:]])
            self.head = nn.Linear(width, 48)
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)
            self.register_buffer("scale", torch.from_numpy(out_scale.astype(np.float32)))

        def forward(self, x):  # (N, T, F)
            h = self.expand(x.reshape(-1, self.w0 * N_TEMPORAL_FEATURES))
            return x[:, -1, :48] + self.head(self.blocks(h)) * self.scale

    return Temporal()


def folded_layers(model, out_scale: np.ndarray) -> list:
    return fold_residual_mlp(model.expand, model.blocks, model.head, out_scale)


def train(args: argparse.Namespace) -> dict:
    import torch
    from tqdm import tqdm

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    widths = tuple(args.widths)
    n_frames = int(np.prod(widths))
    mix = TrainMix(
        room_fraction=args.room_fraction,
        recombine=args.recombine,
        perturb=args.perturb,
        perturb_deg=args.perturb_deg,
    )
    fitted = ld.FittedNoise.load()
    tr, va = ld.load_split("train"), ld.load_split("val")
    p_frame = ld.subject_weights(tr.subject, args.subject_power)
    vrng = np.random.default_rng(1234)
    vends = vrng.choice(len(va.poses_m), 2048, replace=False)
    prot = TrainMix(
        room_fraction=0.0, clean_fraction=0.0, synthetic_fraction=0.0, scale_range=(1, 1)
    )
    sf_fn = single_frame_fn(args.base)
    val_gt = make_windows(
        va, vends, n_frames, vrng, args.conf_min, prot, fitted, noisy=False, sf_fn=sf_fn
    )
    val_noisy = make_windows(va, vends, n_frames, vrng, args.conf_min, prot, fitted, sf_fn=sf_fn)
    srng = np.random.default_rng(7)
    x0, t0 = make_windows(
        tr,
        srng.choice(len(tr.poses_m), 8192, p=p_frame),
        n_frames,
        srng,
        args.conf_min,
        mix,
        fitted,
        sf_fn=sf_fn,
    )
    out_scale = (t0 - x0[:, -1, :48]).std(axis=0).astype(np.float64)  # of the corrections
    model = build_model(widths, args.width, args.dropout, out_scale)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.05
    )
    history, start = [], time.perf_counter()

    def evaluate(data):
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(data[0])).numpy()
        model.train()
        return mpjpe_mm(pred, data[1])

    smooth = args.vel_weight > 0 or args.acc_weight > 0
    extra = 2 if smooth else 0  # 3 consecutive outputs per sample for the smoothness terms
    pool_x = pool_y = None
    if args.pool:  # windows made once and drawn from at random (data making is the costly part)
        chunks = [
            make_windows(
                tr,
                rng.choice(len(tr.poses_m), 1024, p=p_frame),
                n_frames + extra,
                rng,
                args.conf_min,
                mix,
                fitted,
                sf_fn=sf_fn,
                n_targets=1 + extra,
            )
            for _ in tqdm(range(-(-args.pool // 1024)), desc="pool", mininterval=10.0)
        ]
        pool_x = np.concatenate([c[0] for c in chunks])
        pool_y = np.concatenate([c[1] for c in chunks])
    bar = tqdm(range(args.steps), desc="train", mininterval=10.0)
    for step in bar:
        if pool_x is not None:
            pick = rng.integers(0, len(pool_x), args.batch)
            x = young_tracks(pool_x[pick], rng, args.young)
            y = pool_y[pick]
        else:
            ends = rng.choice(len(tr.poses_m), args.batch, p=p_frame)
            x, y = make_windows(
                tr,
                ends,
                n_frames + extra,
                rng,
                args.conf_min,
                mix,
                fitted,
                young=args.young,
                sf_fn=sf_fn,
                n_targets=1 + extra,
            )
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        if smooth:  # windows ending at t-2, t-1, t -> (B, 3, 16, 3)
            b = xt.shape[0]
            wins = torch.cat([xt[:, k : k + n_frames] for k in range(3)])
            pred = model(wins).view(3, b, 16, 3).transpose(0, 1)
            yt = yt.view(b, 3, 16, 3)
            loss = (pred - yt).norm(dim=-1).mean()
            dv = (pred[:, 1:] - pred[:, :-1]) - (yt[:, 1:] - yt[:, :-1])
            da = (pred[:, 2] - 2 * pred[:, 1] + pred[:, 0]) - (yt[:, 2] - 2 * yt[:, 1] + yt[:, 0])
            loss = (
                loss
                + args.vel_weight * dv.norm(dim=-1).mean()
                + args.acc_weight * da.norm(dim=-1).mean()
            )
        else:
            pred = model(xt)
            loss = (pred - yt).view(-1, 16, 3).norm(dim=-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            rec = {
                "step": step + 1,
                "seconds": round(time.perf_counter() - start, 1),
                "val_mpjpe_gt2d_mm": round(evaluate(val_gt), 1),
                "val_mpjpe_fitted_noise_mm": round(evaluate(val_noisy), 1),
                "train_loss_mm": round(float(loss) * 1000, 1),
            }
            history.append(rec)
            bar.write(json.dumps(rec))
    model.eval()
    return {
        "model": model,
        "out_scale": out_scale,
        "history": history,
        "train_s": time.perf_counter() - start,
        "val_check": val_gt,
        "n_frames": n_frames,
    }


def export(result: dict, args: argparse.Namespace) -> dict:
    """Write <out>.onnx and <out>.json; check ONNX Runtime reproduces torch."""
    import onnxruntime as ort
    import torch

    from dev.lifter_onnx import write_temporal_onnx

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    layers = folded_layers(result["model"], result["out_scale"])
    write_temporal_onnx(
        out, layers, tuple(args.widths), N_TEMPORAL_FEATURES, INPUT_NAME, OUTPUT_NAME, 48
    )
    x = result["val_check"][0][:256]
    with torch.no_grad():
        ref = result["model"](torch.from_numpy(x)).numpy()
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(
        None, {INPUT_NAME: x}
    )[0]
    max_diff_m = float(np.abs(ref - got).max())
    if max_diff_m > 1e-4:
        raise RuntimeError(f"ONNX export differs from torch by {max_diff_m} m")
    meta = {
        "format": "pose3d_ros temporal lifter v1",
        "input_name": INPUT_NAME,
        "output_name": OUTPUT_NAME,
        "input_shape": [-1, result["n_frames"], N_TEMPORAL_FEATURES],
        "single_frame_model": {"file": Path(args.base).name, "sha256": sha256_file(args.base)},
        "output_shape": [-1, 48],
        "window_frames": result["n_frames"],
        "frame_rate_hz": 30.0,
        "filter_widths": list(args.widths),
        "joints": list(H36M_JOINTS),
        "output_joints": list(H36M_JOINTS[1:]),
        "output_units": "m, root-relative (pelvis = 0), camera optical frame, newest frame",
        "normalisation": "per frame core.pose3d.lifting.temporal_rows: the single-frame lifter's "
        "48 outputs (m) + its 54 features (normalise_2d); window oldest first; frames before a "
        "track's first are copies of it; output = newest single-frame output + correction",
        "conf_min": args.conf_min,
        "onnx_vs_torch_max_abs_m": max_diff_m,
        "training": {k: v for k, v in vars(args).items() if k not in ("out", "argv")},
        "command": "nice -n 10 python -m dev.train_temporal " + " ".join(args.argv),
        "torch": torch.__version__,
        "train_seconds": round(result["train_s"], 1),
        "history": result["history"],
        "data": {
            "file": "cmu_mocap/cmu_mocap_joints30.npz",
            "sha256": sha256_file(ld.cmu_path()),
            "noise_fit": "dev/noise2d_fit.json",
        },
        "metrics": {},
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--steps", type=int, default=6000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--widths", type=int, nargs="+", default=[3, 3, 3], help="kernel per level")
    p.add_argument("--width", type=int, default=256, help="channels")
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--conf-min", type=float, default=0.2)
    p.add_argument("--subject-power", type=float, default=0.5)
    p.add_argument("--room-fraction", type=float, default=0.5)
    p.add_argument("--recombine", type=float, default=0.0, help="TrainMix.recombine")
    p.add_argument("--perturb", type=float, default=0.0, help="TrainMix.perturb")
    p.add_argument("--perturb-deg", type=float, default=15.0, help="TrainMix.perturb_deg")
    p.add_argument(
        "--vel-weight", type=float, default=0.0, help="loss weight of the velocity error"
    )
    p.add_argument(
        "--acc-weight", type=float, default=0.0, help="loss weight of the acceleration error"
    )
    p.add_argument("--young", type=float, default=0.2, help="fraction of windows of young tracks")
    p.add_argument(
        "--pool", type=int, default=0, help="windows made up front and sampled (0: fresh each step)"
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--out", default="engines/lifter_h36m17_temporal.onnx")
    p.add_argument(
        "--base",
        default="engines/lifter_h36m17.onnx",
        help="the single-frame lifter whose outputs the temporal model corrects (kept in pair)",
    )
    args = p.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    result = train(args)
    meta = export(result, args)
    print(
        f"training took {result['train_s']:.0f} s ({args.steps} steps x {args.batch}); "
        f"wrote {args.out} and its .json; last: {meta['history'][-1]}"
    )


if __name__ == "__main__":
    main()
