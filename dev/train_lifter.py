"""Train the Martinez-style 2D->3D lifter on CMU mocap under random virtual cameras;
export ONNX + JSON.

TRAINING-ONLY dependency: torch (CPU). The product never imports this module.

  nice -n 10 python -m dev.train_lifter --steps 12000 --width 512 --out engines/lifter_h36m17.onnx

Every batch is generated on the fly: train-subject poses (sqrt-balanced per subject), a new
virtual camera each (lifter_data.sample_views), the noise model (lifter_data.apply_noise), the
shared normalisation (core.lifting.normalise_2d). Target: root-relative camera-frame 3D, metres.
Loss: MPJPE (mean Euclidean joint error, metres). Model (Martinez et al. ICCV'17): Linear stem,
residual blocks of 2 x (Linear-BN-ReLU-Dropout), Linear head.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from dev import lifter_data as ld
from pose3d_ros.core.lifting import N_FEATURES, normalise_2d
from pose3d_ros.core.skeleton import H36M_JOINTS
from pose3d_ros.models.wheel import sha256_file

INPUT_NAME, OUTPUT_NAME = "features", "joints3d_rel_m"


def make_batch(poses_m: np.ndarray, rng: np.random.Generator, conf_min: float, noisy: bool = True):
    """World poses (B, 17, 3) -> features (B, 54) float32, targets (B, 48) float32 metres."""
    cam3d, uv, focal, center, _ = ld.sample_views(poses_m, rng)
    if noisy:
        uv, conf = ld.apply_noise(uv, rng)
    else:
        conf = np.ones(uv.shape[:2])
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


def _folded_layers(model, out_scale: np.ndarray) -> list:
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

    layers = [lb(model.stem[0], model.stem[1])]
    for blk in model.blocks:
        layers += [lb(blk.body[0], blk.body[1]), lb(blk.body[4], blk.body[5])]
    w, b = model.head.weight.detach().double().numpy(), model.head.bias.detach().double().numpy()
    layers.append((w * out_scale[:, None], b * out_scale))
    return layers


def _mpjpe_mm(pred: np.ndarray, target: np.ndarray) -> float:
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
    vrng = np.random.default_rng(1234)
    vidx = vrng.choice(len(va.poses_m), min(4096, len(va.poses_m)), replace=False)
    val_gt = make_batch(va.poses_m[vidx], vrng, args.conf_min, noisy=False)
    val_noisy = make_batch(va.poses_m[vidx], vrng, args.conf_min, noisy=True)
    scale_rng = np.random.default_rng(7)
    _, t0 = make_batch(
        tr.poses_m[scale_rng.choice(len(tr.poses_m), 20000, p=p_frame)], scale_rng, args.conf_min
    )
    out_scale = t0.std(axis=0).astype(np.float64)  # the network predicts targets / out_scale
    model = build_model(args.width, args.blocks, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.05
    )
    scale_t = torch.from_numpy(out_scale.astype(np.float32))
    history, start = [], time.perf_counter()

    def evaluate(feats_t):
        model.eval()
        with torch.no_grad():
            pred = (model(torch.from_numpy(feats_t[0])) * scale_t).numpy()
        model.train()
        return _mpjpe_mm(pred, feats_t[1])

    bar = tqdm(range(args.steps), desc="train", mininterval=5.0)
    for step in bar:
        idx = rng.choice(len(tr.poses_m), args.batch, p=p_frame)
        x, y = make_batch(tr.poses_m[idx], rng, args.conf_min)
        pred = model(torch.from_numpy(x)) * scale_t
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

    from dev.lifter_onnx import write_mlp_onnx

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_mlp_onnx(
        out,
        _folded_layers(result["model"], result["out_scale"]),
        args.blocks,
        INPUT_NAME,
        OUTPUT_NAME,
    )
    x = result["val_check"][0][:256]
    with torch.no_grad():
        ref = (
            result["model"](torch.from_numpy(x))
            * torch.from_numpy(result["out_scale"].astype(np.float32))
        ).numpy()
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
        "normalisation": "pose3d_ros.core.lifting.normalise_2d: K^-1 pixels, minus pelvis, "
        "/ RMS radius of kept joints; dropped (conf < conf_min) joints zeroed; + conf, pelvis ray, "
        "log(scale)",
        "conf_min": args.conf_min,
        "onnx_vs_torch_max_abs_m": max_diff_m,
        "training": {k: v for k, v in vars(args).items() if k not in ("out", "argv")},
        "command": "nice -n 10 python -m dev.train_lifter " + " ".join(args.argv),
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
