"""Train the Martinez-style 2D->3D lifter on CMU mocap under random virtual cameras;
export ONNX + JSON.

TRAINING-ONLY dependency: torch (CPU). The product never imports this module.

  nice -n 10 python -m dev.train_lifter --steps 12000 --width 512 --out engines/lifter_h36m17.onnx

Every batch is generated on the fly: train-subject poses (sqrt-balanced per subject), a new
virtual camera each (lifter_data.sample_views), the noise model (lifter_data.apply_noise), the
shared normalisation (core.pose3d.lifting.normalise_2d). Target: root-relative camera-frame 3D,
metres. Loss: MPJPE (mean Euclidean joint error, metres). Model (Martinez et al. ICCV'17): Linear
stem, residual blocks of 2 x (Linear-BN-ReLU-Dropout), Linear head.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dev import lifter_data as ld
from dev import pose_augment as pa
from dev.lifter_onnx import mirror_matrices, onnx_layers
from pose3d_ros.core.pose3d.lifting import N_FEATURES, normalise_2d
from pose3d_ros.core.skeleton import H36M_JOINTS
from pose3d_ros.files import sha256_file

INPUT_NAME, OUTPUT_NAME = "features", "joints3d_rel_m"


@dataclass(frozen=True)
class TrainMix:
    """How a training batch is drawn: room_fraction of the samples from robot/room cameras
    (lifter_data.RoomRanges, truncation included), the rest from the evaluation protocol's
    cameras (lifter_data.CameraRanges); clean_fraction exact 2D; of the noisy rest,
    synthetic_fraction gets the old synthetic model (lifter_data.NoiseModel) and the others the
    noise fitted to the 2D stage (dev/noise2d_fit.json) with its sigma x U(scale_range)."""

    room_fraction: float = 0.5
    clean_fraction: float = 0.2
    synthetic_fraction: float = 0.2
    scale_range: tuple = (0.3, 1.5)
    bone_sigma: float = 0.0  # pose_augment.scale_bones on the world poses (0: off)
    recombine: float = 0.0  # share of poses given parts of others (pose_augment.recombine_parts)
    perturb: float = 0.0  # share of poses with turned joints (pose_augment.perturb_joint_angles)
    perturb_deg: float = 15.0  # their angle's sigma


def noisy_2d(uv, in_frame, rng, mix: TrainMix, fitted: ld.FittedNoise):
    """Clean (B, ..., 17, 2) px + in_frame (B, ..., 17) -> (2D, conf) by the mix's noise rules."""
    b = uv.shape[0]
    scale = rng.uniform(*mix.scale_range, b)
    out, conf = ld.apply_fitted_noise(uv, in_frame, rng, fitted, scale)
    kind = rng.random(b)
    bshape = (b,) + (1,) * (uv.ndim - 2)
    clean = (kind < mix.clean_fraction).reshape(bshape)
    synth = (kind >= mix.clean_fraction) & (kind < mix.clean_fraction + mix.synthetic_fraction)
    if synth.any():
        flat = uv[synth].reshape(-1, 17, 2)
        s_uv, s_conf = ld.apply_noise(flat, rng, ld.NoiseModel(clean_fraction=0.0))
        out[synth] = s_uv.reshape(uv[synth].shape)
        conf[synth] = np.where(in_frame[synth], s_conf.reshape(in_frame[synth].shape), 0.0)
    out = np.where(clean[..., None], uv, out)
    conf = np.where(clean, in_frame.astype(np.float64), conf)
    return out, conf


def make_batch(
    poses_m: np.ndarray,
    rng: np.random.Generator,
    conf_min: float,
    noisy: bool = True,
    mix: TrainMix | None = None,
    fitted: ld.FittedNoise | None = None,
):
    """World poses (B, 17, 3) -> features (B, 54) float32, targets (B, 48) float32 metres.

    mix None: the evaluation protocol's cameras and the old synthetic noise (the validation
    sets); else cameras and noise drawn by the mix (training)."""
    if mix is None:
        cam3d, uv, focal, center, _ = ld.sample_views(poses_m, rng)
        if noisy:
            uv, conf = ld.apply_noise(uv, rng)
        else:
            conf = np.ones(uv.shape[:2])
    else:
        b = len(poses_m)
        if mix.recombine > 0:
            poses_m = pa.recombine_parts(poses_m, rng, mix.recombine)
        if mix.perturb > 0:
            poses_m = pa.perturb_joint_angles(poses_m, rng, mix.perturb, mix.perturb_deg)
        if mix.bone_sigma > 0:
            poses_m = pa.scale_bones(poses_m, rng, mix.bone_sigma)
        room = rng.random(b) < mix.room_fraction
        cam3d = np.zeros((b, 17, 3))
        uv = np.zeros((b, 17, 2))
        in_frame = np.ones((b, 17), dtype=bool)
        focal, center = np.zeros((b, 2)), np.zeros((b, 2))
        if room.any():
            c3, u, inf, cams = ld.sample_room_views(poses_m[room], rng)
            cam3d[room], uv[room], in_frame[room] = c3, u, inf
            focal[room], center[room] = cams.focal_px, cams.center_px
        if (~room).any():
            c3, u, f, c, _ = ld.sample_views(poses_m[~room], rng)
            cam3d[~room], uv[~room], focal[~room], center[~room] = c3, u, f, c
        if noisy:
            uv, conf = noisy_2d(uv, in_frame, rng, mix, fitted)
        else:
            conf = in_frame.astype(np.float64)
    feats = normalise_2d(uv, conf, focal, center, conf_min)
    target = (cam3d[:, 1:] - cam3d[:, :1]).reshape(len(cam3d), -1)
    return feats, target.astype(np.float32)


def fitted_val_batch(poses_m: np.ndarray, rng: np.random.Generator, conf_min: float):
    """The evaluation's 'fitted noise 2D' condition on validation poses: protocol cameras (no
    mirroring), the fitted 2D-stage noise at its measured scale on every sample."""
    cam3d, uv, focal, center, _ = ld.sample_views(poses_m, rng, mirror=False)
    uv, conf = ld.apply_fitted_noise(
        uv, np.ones(uv.shape[:2], dtype=bool), rng, ld.FittedNoise.load()
    )
    feats = normalise_2d(uv, conf, focal, center, conf_min)
    target = (cam3d[:, 1:] - cam3d[:, :1]).reshape(len(cam3d), -1)
    return feats, target.astype(np.float32)


def build_model(width: int, blocks: int, dropout: float):
    import torch.nn as nn

    def lbrd(n_in):
        return [nn.Linear(n_in, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(dropout)]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(*lbrd(width), *lbrd(width))

        def forward(self, x):
            return x + self.body(x)

    class Martinez(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(*lbrd(N_FEATURES))
            self.blocks = nn.Sequential(*[Block() for _ in range(blocks)])
            self.head = nn.Linear(width, 48)

        def forward(self, x):
            return self.head(self.blocks(self.stem(x)))

    return Martinez()


def build_plain_model(layers: list, dropout: float):
    """The Martinez network without batch norm, initialised from folded layers (onnx_layers):
    the same function as the exported model in eval mode; fine-tuned with dropout."""
    import torch
    import torch.nn as nn

    def lin(w, b):
        m = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(w.astype(np.float32)))
            m.bias.copy_(torch.from_numpy(b.astype(np.float32)))
        return m

    class Block(nn.Module):
        def __init__(self, a, c):
            super().__init__()
            self.body = nn.Sequential(
                lin(*a), nn.ReLU(), nn.Dropout(dropout), lin(*c), nn.ReLU(), nn.Dropout(dropout)
            )

        def forward(self, x):
            return x + self.body(x)

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(lin(*layers[0]), nn.ReLU(), nn.Dropout(dropout))
            mid = layers[1:-1]
            self.blocks = nn.Sequential(*[Block(mid[i], mid[i + 1]) for i in range(0, len(mid), 2)])
            self.head = lin(*layers[-1])

        def forward(self, x):
            return self.head(self.blocks(self.stem(x)))

    return Plain()


def _plain_layers(model) -> list:
    g = lambda t: t.detach().cpu().double().numpy()  # noqa: E731
    layers = [(g(model.stem[0].weight), g(model.stem[0].bias))]
    for blk in model.blocks:
        for k in (0, 3):
            layers.append((g(blk.body[k].weight), g(blk.body[k].bias)))
    layers.append((g(model.head.weight), g(model.head.bias)))
    return layers


def _folded_layers(model, out_scale: np.ndarray) -> list:
    import torch.nn as nn

    if not isinstance(model.stem[1], nn.BatchNorm1d):
        return _plain_layers(model)  # fine-tuned plain model: out_scale is already in the head

    return fold_residual_mlp(model.stem, model.blocks, model.head, out_scale)


def fold_residual_mlp(first, blocks, head, out_scale: np.ndarray) -> list:
    """(weight, bias) pairs of a residual MLP (first = Linear + BatchNorm1d, blocks of
    2 x Linear-BN, a Linear head) with each BatchNorm folded into its Linear and the output scale
    folded into the head: what lifter_onnx writes (the single-frame and the temporal lifter)."""
    from dev.lifter_onnx import fold_bn

    def lb(lin, bn):
        g = lambda t: t.detach().cpu().double().numpy()  # noqa: E731
        return fold_bn(
            g(lin.weight),
            g(lin.bias),
            g(bn.weight),
            g(bn.bias),
            g(bn.running_mean),
            g(bn.running_var),
            bn.eps,
        )

    layers = [lb(first[0], first[1])]
    for blk in blocks:
        layers += [lb(blk.body[0], blk.body[1]), lb(blk.body[4], blk.body[5])]
    w, b = head.weight.detach().double().numpy(), head.bias.detach().double().numpy()
    layers.append((w * out_scale[:, None], b * out_scale))
    return layers


def mpjpe_mm(pred: np.ndarray, target: np.ndarray) -> float:
    """Over all 17 joints (pelvis error 0 included), as in the evaluation."""
    e = np.linalg.norm((pred - target).reshape(len(pred), 16, 3), axis=-1)
    return float(e.sum(axis=1).mean() / 17.0 * 1000.0)


def train(args: argparse.Namespace) -> dict:
    import torch
    from tqdm import tqdm

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    tr, va = ld.load_split("train"), ld.load_split("val")
    p_frame = ld.subject_weights(tr.subject, args.subject_power)
    mix = (
        TrainMix(
            room_fraction=args.room_fraction,
            clean_fraction=args.clean_fraction,
            synthetic_fraction=args.synthetic_fraction,
            bone_sigma=args.bone_sigma,
            recombine=args.recombine,
            perturb=args.perturb,
            perturb_deg=args.perturb_deg,
        )
        if args.noise == "fitted"
        else None
    )
    fitted = ld.FittedNoise.load() if mix else None
    vrng = np.random.default_rng(1234)
    vidx = vrng.choice(len(va.poses_m), min(4096, len(va.poses_m)), replace=False)
    val_gt = make_batch(va.poses_m[vidx], vrng, args.conf_min, noisy=False)
    val_noisy = make_batch(va.poses_m[vidx], vrng, args.conf_min, noisy=True)
    val_fitted = fitted_val_batch(va.poses_m[vidx], vrng, args.conf_min)
    scale_rng = np.random.default_rng(7)
    _, t0 = make_batch(
        tr.poses_m[scale_rng.choice(len(tr.poses_m), 20000, p=p_frame)], scale_rng, args.conf_min
    )
    out_scale = t0.std(axis=0).astype(np.float64)  # the network predicts targets / out_scale
    if args.init:
        layers = onnx_layers(args.init)
        args.blocks = (len(layers) - 2) // 2
        args.width = layers[0][0].shape[0]
        model = build_plain_model(layers, args.dropout)
        out_scale = np.ones_like(out_scale)  # the initial head already predicts metres
    else:
        model = build_model(args.width, args.blocks, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.steps, pct_start=args.pct_start
    )
    scale_t = torch.from_numpy(out_scale.astype(np.float32))
    history, start = [], time.perf_counter()

    m_in_t, m_out_t = (torch.from_numpy(m.astype(np.float32)) for m in mirror_matrices())

    def forward(x_t, flip: bool):
        """The network in metres; flip: averaged over the horizontal flip as the exported graph
        with flip_average is (dev.lifter_onnx), one batch of 2N."""
        if not flip:
            return model(x_t) * scale_t
        both = model(torch.cat([x_t, x_t @ m_in_t])) * scale_t
        return 0.5 * (both[: len(x_t)] + both[len(x_t) :] @ m_out_t)

    def evaluate(feats_t):
        model.eval()
        with torch.no_grad():
            pred = forward(torch.from_numpy(feats_t[0]), args.flip_average).numpy()
        model.train()
        return mpjpe_mm(pred, feats_t[1])

    bar = tqdm(range(args.steps), desc="train", mininterval=5.0)
    for step in bar:
        idx = rng.choice(len(tr.poses_m), args.batch, p=p_frame)
        x, y = make_batch(tr.poses_m[idx], rng, args.conf_min, mix=mix, fitted=fitted)
        pred = forward(torch.from_numpy(x), args.flip_loss)
        diff = (pred - torch.from_numpy(y)).view(-1, 16, 3)
        loss = diff.norm(dim=-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            rec = {
                "step": step + 1,
                "seconds": round(time.perf_counter() - start, 1),
                "val_mpjpe_gt2d_mm": round(evaluate(val_gt), 1),
                "val_mpjpe_noisy_mm": round(evaluate(val_noisy), 1),
                "val_mpjpe_fitted_mm": round(evaluate(val_fitted), 1),
                "train_loss_mm": round(float(loss) * 1000, 1),
            }
            history.append(rec)
            bar.write(json.dumps(rec))
    train_s = time.perf_counter() - start
    model.eval()
    return {
        "model": model,
        "out_scale": out_scale,
        "history": history,
        "train_s": train_s,
        "val_check": val_gt,
    }


def export(result: dict, args: argparse.Namespace) -> dict:
    """Write <out>.onnx and <out>.json; check ONNX Runtime reproduces torch."""
    import onnxruntime as ort
    import torch

    from dev.lifter_onnx import mirror_features, mirror_output, write_mlp_onnx

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_mlp_onnx(
        out,
        _folded_layers(result["model"], result["out_scale"]),
        args.blocks,
        INPUT_NAME,
        OUTPUT_NAME,
        flip_average=args.flip_average,
    )
    x = result["val_check"][0][:256]
    scale_t = torch.from_numpy(result["out_scale"].astype(np.float32))
    with torch.no_grad():
        ref = (result["model"](torch.from_numpy(x)) * scale_t).numpy()
        if args.flip_average:
            flipped = (result["model"](torch.from_numpy(mirror_features(x))) * scale_t).numpy()
            ref = 0.5 * (ref + mirror_output(flipped))
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(
        None, {INPUT_NAME: x}
    )[0]
    max_diff_m = float(np.abs(ref - got).max())
    if max_diff_m > 1e-4:
        raise RuntimeError(f"ONNX export differs from torch by {max_diff_m} m")
    meta = {
        "format": "pose3d_ros lifter v1",
        "input_name": INPUT_NAME,
        "output_name": OUTPUT_NAME,
        "input_shape": [-1, N_FEATURES],
        "output_shape": [-1, 48],
        "joints": list(H36M_JOINTS),
        "output_joints": list(H36M_JOINTS[1:]),
        "output_units": "m, root-relative (pelvis = 0), camera optical frame",
        "normalisation": "pose3d_ros.core.pose3d.lifting.normalise_2d: K^-1 pixels, minus pelvis, "
        "/ RMS radius of kept joints; dropped (conf < conf_min) joints zeroed; + conf, pelvis ray, "
        "log(scale)",
        "conf_min": args.conf_min,
        "test_time_flip": bool(args.flip_average),
        "onnx_vs_torch_max_abs_m": max_diff_m,
        "training": {k: v for k, v in vars(args).items() if k not in ("out", "argv")},
        "command": "nice -n 10 python -m dev.train_lifter " + " ".join(args.argv),
        "provenance": init_provenance(args.init),
        "torch": torch.__version__,
        "train_seconds": round(result["train_s"], 1),
        "history": result["history"],
        "data": {
            "file": "cmu_mocap/cmu_mocap_joints30.npz",
            "sha256": sha256_file(ld.cmu_path()),
            "train_split": "train subjects (split field of the npz)",
        },
        "metrics": {},
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def init_provenance(init: str | None) -> list:
    """The commands that made the --init model (its JSON's provenance, then its command), oldest
    first: with this run's command they rebuild the exported model."""
    if not init:
        return []
    path = Path(init).with_suffix(".json")
    if not path.is_file():
        return [f"(initial weights {init}: no JSON)"]
    meta = json.loads(path.read_text())
    return list(meta.get("provenance", [])) + [meta.get("command", f"(no command in {path})")]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--steps", type=int, default=12000, help="optimiser steps (each a fresh batch)")
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--conf-min", type=float, default=0.2, help="joints below this confidence are dropped"
    )
    p.add_argument("--subject-power", type=float, default=0.5, help="subject share ~ frames**power")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--out", default="engines/lifter_h36m17.onnx")
    p.add_argument(
        "--noise",
        default="fitted",
        choices=("fitted", "synthetic"),
        help="fitted: TrainMix (room cameras + the noise fitted to the 2D stage); synthetic: the "
        "protocol cameras and the old noise model only (the runs before issue 13)",
    )
    p.add_argument(
        "--init",
        default=None,
        help="fine-tune from this exported lifter (.onnx; BN folded, so trained without BN)",
    )
    p.add_argument("--pct-start", type=float, default=0.05, help="one-cycle warm-up fraction")
    p.add_argument("--room-fraction", type=float, default=0.5, help="TrainMix.room_fraction")
    p.add_argument("--clean-fraction", type=float, default=0.2, help="TrainMix.clean_fraction")
    p.add_argument(
        "--synthetic-fraction", type=float, default=0.2, help="TrainMix.synthetic_fraction"
    )
    p.add_argument("--bone-sigma", type=float, default=0.0, help="TrainMix.bone_sigma")
    p.add_argument("--recombine", type=float, default=0.0, help="TrainMix.recombine")
    p.add_argument("--perturb", type=float, default=0.0, help="TrainMix.perturb")
    p.add_argument("--perturb-deg", type=float, default=15.0, help="TrainMix.perturb_deg")
    p.add_argument(
        "--flip-loss",
        action="store_true",
        help="train the flip-averaged prediction (what the exported graph computes; 2x compute)",
    )
    p.add_argument(
        "--no-flip-average",
        dest="flip_average",
        action="store_false",
        help="export the plain network (default: the graph averages it over the horizontal flip, "
        "dev.lifter_onnx)",
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
