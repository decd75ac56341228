"""Evaluate the lifter (ONNX through a backend) against the 2D-matching NN baseline on
held-out subjects.

  .venv/bin/python -m dev.eval_lifter --engine engines/lifter_h36m17.onnx

Test subjects (CMU split 'test': 2 and 13), every frame seen by `--views` fixed-seed virtual
cameras (same sampler as training, no mirroring); two 2D conditions: exact projections (GT 2D,
confidence 1) and the training noise model with no clean samples. Metrics (dev.metrics):
MPJPE, P-MPJPE, N-MPJPE, PCK3D@150 mm, AUC 0-150 mm, overall, per joint and per CMU motion
description. Writes the markdown section of docs/accuracy.md between the lifter markers, the
per-joint plot, and the test metrics into the engine's JSON.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from dev import lifter_data as ld
from dev import metrics
from dev.doc_sections import write_section
from dev.nn_baseline import NNBaseline
from pose3d_ros.assembly import open_lifter
from pose3d_ros.core.pose3d.lifting import normalise_2d
from pose3d_ros.core.skeleton import H36M_JOINTS

NAMES = ("MPJPE", "P-MPJPE", "N-MPJPE", "PCK3D@150", "AUC")


def machine() -> str:
    """The CPU the figures were measured on, for the docs: '<model name>, <n> cores'."""
    import os
    import platform

    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def build_library(stride: int, views: int, seed: int, conf_min: float) -> NNBaseline:
    """NN library: every `stride`-th train frame under `views` virtual cameras each."""
    tr = ld.load_split("train")
    poses = np.repeat(tr.poses_m[::stride], views, axis=0)
    cam3d, uv, focal, center, _ = ld.sample_views(poses, np.random.default_rng(seed))
    feats = normalise_2d(uv, np.ones(uv.shape[:2]), focal, center, conf_min)
    return NNBaseline(feats[:, :34], cam3d - cam3d[:, :1], conf_min)


def test_samples(views: int, seed: int, conf_min: float, split: str = "test"):
    """Fixed-seed test set: dict with gt (M, 17, 3), clip (M,), feats for 'GT 2D' and 'noisy 2D'."""
    te = ld.load_split(split)
    rng = np.random.default_rng(seed)
    poses = np.repeat(te.poses_m, views, axis=0)
    cam3d, uv, focal, center, _ = ld.sample_views(poses, rng, mirror=False)
    noisy, conf = ld.apply_noise(uv, rng, ld.NoiseModel(clean_fraction=0.0))
    # drawn after the above, so the GT / noisy 2D samples stay those of the earlier runs
    fit_uv, fit_conf = ld.apply_fitted_noise(
        uv, np.ones(uv.shape[:2], dtype=bool), rng, ld.FittedNoise.load()
    )
    feats = {
        "GT 2D": normalise_2d(uv, np.ones(uv.shape[:2]), focal, center, conf_min),
        "noisy 2D": normalise_2d(noisy, conf, focal, center, conf_min),
        "fitted noise 2D": normalise_2d(fit_uv, fit_conf, focal, center, conf_min),
    }
    return {
        "gt": cam3d - cam3d[:, :1],
        "clip": np.repeat(te.clip, views),
        "feats": feats,
        "split": te,
    }


def run_batched(fn, feats: np.ndarray, batch: int, desc: str) -> np.ndarray:
    from tqdm import tqdm

    return np.concatenate(
        [fn(feats[s : s + batch]) for s in tqdm(range(0, len(feats), batch), desc=desc)]
    )


def summary(pred: np.ndarray, gt: np.ndarray) -> dict:
    return {
        "MPJPE": metrics.mpjpe(pred, gt) * 1e3,
        "P-MPJPE": metrics.p_mpjpe(pred, gt) * 1e3,
        "N-MPJPE": metrics.n_mpjpe(pred, gt) * 1e3,
        "PCK3D@150": metrics.pck3d(pred, gt) * 100,
        "AUC": metrics.auc(pred, gt) * 100,
    }


def per_motion(pred: np.ndarray, gt: np.ndarray, clip: np.ndarray, descriptions: tuple) -> dict:
    """Motion description -> (samples, MPJPE mm, P-MPJPE mm)."""
    desc = np.array([descriptions[c] or "?" for c in clip])
    out = {}
    for d in sorted(set(desc)):
        m = desc == d
        out[d] = (
            int(m.sum()),
            metrics.mpjpe(pred[m], gt[m]) * 1e3,
            metrics.p_mpjpe(pred[m], gt[m]) * 1e3,
        )
    return out


def plot_per_joint(per_joint: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = np.arange(len(H36M_JOINTS))
    width = 0.8 / len(per_joint)
    for k, (label, err) in enumerate(per_joint.items()):
        ax.bar(x + (k - (len(per_joint) - 1) / 2) * width, err, width, label=label)
    ax.set_xticks(x, H36M_JOINTS, rotation=45, ha="right")
    ax.set_ylabel("MPJPE per joint (mm)")
    ax.set_title("Lifter vs NN baseline, CMU test subjects 2 and 13 (root-relative, camera frame)")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def engine_provenance(engine: str) -> str:
    """One paragraph from the engine's JSON: whether its graph averages over the horizontal flip
    and the training commands that made it, oldest first."""
    path = Path(engine).with_suffix(".json")
    meta = json.loads(path.read_text()) if path.is_file() else {}
    steps = list(meta.get("provenance", [])) + ([meta["command"]] if "command" in meta else [])
    flip = "yes" if meta.get("test_time_flip") else "no"
    made = "; then ".join(f"`{c}`" for c in steps) if steps else "(not recorded)"
    return (
        f"Engine `{engine}`: horizontal-flip average in the graph (test-time augmentation, "
        f"dev/lifter_onnx.py): {flip}. Trained by: {made}."
    )


def markdown(res: dict, args: argparse.Namespace, info: dict) -> str:
    cmd = ".venv/bin/python -m dev.eval_lifter " + " ".join(shlex.quote(a) for a in info["argv"])
    lines = [
        "## 2D -> 3D lifter (CMU mocap, held-out subjects)",
        "",
        f"Command: `{cmd.strip()}`  ",
        f"Run {info['date']} UTC; {info['seconds']:.0f} s on {machine()} (CPU, 1 thread).",
        "",
        f"{'Test' if args.split == 'test' else 'Validation'} subjects "
        f"{' and '.join(str(k) for k in info['subjects'])} ({info['frames']} frames x "
        f"{args.views} fixed-seed virtual "
        f"cameras = {info['samples']} samples, seed {args.seed}). Root-relative 3D in the camera "
        "optical frame; errors over all 17 H36M joints (pelvis included, error 0). GT 2D: exact "
        "projections; noisy 2D: the synthetic noise model of the first lifter with every sample "
        "noisy (jitter 0.3-2.5 % of the person's height, 2x on neck/head, 2 % outliers, joint and "
        "limb dropout); fitted noise 2D: the errors and confidences of our 2D stage on the COCO "
        "photos (`dev/noise_fit.py` -> `dev/noise2d_fit.json`; the realistic condition). NN "
        f"baseline: {info['library']} library entries (every {args.library_stride}th train frame x "
        f"{args.library_views} cameras). Lifter: `{args.engine}` via the {args.backend} backend.",
        "",
        engine_provenance(args.engine),
        "",
        "| method | 2D | MPJPE mm | P-MPJPE mm | N-MPJPE mm | PCK3D@150 % | AUC % |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (method, cond), s in res["summary"].items():
        lines.append(f"| {method} | {cond} | " + " | ".join(f"{s[n]:.1f}" for n in NAMES) + " |")
    ratio = (
        res["summary"][("lifter", "GT 2D")]["MPJPE"]
        / res["summary"][("NN baseline", "GT 2D")]["MPJPE"]
    )
    lines += [
        "",
        f"Lifter / baseline MPJPE with GT 2D: **{ratio:.2f}** (target <= 0.6); lifter P-MPJPE with "
        f"GT 2D: **{res['summary'][('lifter', 'GT 2D')]['P-MPJPE']:.1f} mm** (target <= 40), with "
        f"the fitted 2D noise: "
        f"**{res['summary'][('lifter', 'fitted noise 2D')]['P-MPJPE']:.1f} mm** (target <= 50).",
        "",
        "Per joint, MPJPE mm (plot: `docs/lifter_per_joint.png`):",
        "",
        "| joint | " + " | ".join(res["per_joint"]) + " |",
        "|---|" + "---:|" * len(res["per_joint"]),
    ]
    for j, name in enumerate(H36M_JOINTS):
        lines.append(
            f"| {name} | " + " | ".join(f"{v[j]:.0f}" for v in res["per_joint"].values()) + " |"
        )
    lines += [
        "",
        "Per motion (CMU description), MPJPE / P-MPJPE mm:",
        "",
        "| motion | samples | lifter GT 2D | baseline GT 2D | "
        "lifter noisy 2D | baseline noisy 2D |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    pm = res["per_motion"]
    for motion in pm[("lifter", "GT 2D")]:
        n = pm[("lifter", "GT 2D")][motion][0]
        cells = [
            f"{pm[k][motion][1]:.0f} / {pm[k][motion][2]:.0f}"
            for k in [
                ("lifter", "GT 2D"),
                ("NN baseline", "GT 2D"),
                ("lifter", "noisy 2D"),
                ("NN baseline", "noisy 2D"),
            ]
        ]
        lines.append(f"| {motion} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def evaluate(args: argparse.Namespace) -> tuple[dict, dict]:
    start = time.perf_counter()
    lifter = open_lifter(args.engine, args.backend, args.threads)
    conf_min = lifter.conf_min
    data = test_samples(args.views, args.seed, conf_min, args.split)
    baseline = build_library(args.library_stride, args.library_views, args.seed + 1, conf_min)
    gt = data["gt"]
    res = {"summary": {}, "per_joint": {}, "per_motion": {}}
    methods = {"lifter": lifter.lift_features, "NN baseline": baseline.lift_features}
    for cond, feats in data["feats"].items():
        for method, fn in methods.items():
            pred = run_batched(fn, feats, 256, f"{method}, {cond}")
            res["summary"][(method, cond)] = summary(pred, gt)
            res["per_joint"][f"{method}, {cond}"] = (
                metrics.joint_errors(pred, gt).mean(axis=0) * 1e3
            )
            res["per_motion"][(method, cond)] = per_motion(
                pred, gt, data["clip"], data["split"].descriptions
            )
    lifter.close()
    info = {
        "argv": sys.argv[1:] if args.argv is None else args.argv,
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "seconds": time.perf_counter() - start,
        "frames": len(data["split"].poses_m),
        "subjects": [int(k) for k in np.unique(data["split"].subject)],
        "samples": len(gt),
        "library": len(baseline),
    }
    return res, info


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--engine", default="engines/lifter_h36m17.onnx")
    p.add_argument("--backend", default="onnxruntime", choices=("onnxruntime", "tensorrt"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--views", type=int, default=2, help="virtual cameras per test frame")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--library-stride", type=int, default=2)
    p.add_argument("--library-views", type=int, default=4)
    p.add_argument("--docs", default="docs/accuracy.md")
    p.add_argument("--plot", default="docs/lifter_per_joint.png")
    p.add_argument(
        "--conditions-plot",
        default="docs/lifter_conditions.png",
        help="with --conditions: MPJPE against pitch and distance",
    )
    p.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/ and the JSON alone"
    )
    p.add_argument(
        "--conditions",
        action="store_true",
        help="also the per-condition tables under robot/room cameras (dev/eval_conditions.py)",
    )
    p.add_argument("--condition-views", type=int, default=2, help="room cameras per test frame")
    p.add_argument(
        "--compare",
        nargs="*",
        default=[],
        help="other lifter .onnx files shown beside --engine in the per-condition tables",
    )
    p.add_argument(
        "--temporal",
        default=None,
        help="temporal lifter .onnx: time-consistency section (dev/eval_temporal.py)",
    )
    p.add_argument("--segment-frames", type=int, default=64, help="frames per test sequence")
    p.add_argument(
        "--skip-main", action="store_true", help="only the --conditions/--temporal parts"
    )
    p.add_argument(
        "--split",
        default="test",
        choices=("test", "val"),
        help="subjects to evaluate on; val (for choosing between trained models) implies "
        "--no-write and --skip of the --conditions/--temporal parts",
    )
    args = p.parse_args(argv)
    args.argv = argv
    if args.split != "test":
        args.no_write, args.conditions, args.temporal = True, False, None
    return args


def extra_sections(args: argparse.Namespace) -> dict:
    """--conditions / --temporal: section name -> markdown (and the temporal JSON's metrics)."""
    from dev import eval_conditions, eval_temporal

    argv = sys.argv[1:] if args.argv is None else args.argv
    cmd = (".venv/bin/python -m dev.eval_lifter " + " ".join(shlex.quote(a) for a in argv)).strip()
    out = {}
    if args.conditions:
        start = time.perf_counter()
        paths = [args.engine] + list(args.compare)
        lifters = [open_lifter(p, args.backend, args.threads) for p in paths]
        res = eval_conditions.evaluate(
            {p: lf.lift_features for p, lf in zip(paths, lifters)},
            args.condition_views,
            args.seed,
            lifters[0].conf_min,
        )
        for lf in lifters:
            lf.close()
        info = f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; " + (
            f"{time.perf_counter() - start:.0f} s on {machine()} (CPU, 1 thread)."
        )
        out["lifter_conditions"] = eval_conditions.markdown(
            res, paths, cmd, info, args.condition_views, args.conditions_plot
        )
        if not args.no_write:
            eval_conditions.plot(res, paths, Path(args.conditions_plot))
    if args.temporal:
        from pose3d_ros.backends.factory import create_backend

        start = time.perf_counter()
        single = open_lifter(args.engine, args.backend, args.threads)
        meta_path = Path(args.temporal).with_suffix(".json")
        meta = json.loads(meta_path.read_text())
        backend = create_backend(args.temporal, args.backend, args.threads)
        res = eval_temporal.evaluate(single, backend, meta, args.segment_frames, args.seed)
        backend.close()
        single.close()
        info = f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; " + (
            f"{time.perf_counter() - start:.0f} s on {machine()} (CPU, 1 thread)."
        )
        out["lifter_temporal"] = eval_temporal.markdown(
            res, args.segment_frames, args.temporal, cmd, info
        )
        if not args.no_write:
            meta["metrics"] = {
                "test_subjects": [2, 13],
                "segment_frames": args.segment_frames,
                "seed": args.seed,
                **{
                    f"{m} | {c}": {k: round(v, 3) for k, v in r.items()}
                    for c, ms in res["results"].items()
                    for m, r in ms.items()
                },
                **{k: round(v, 4) for k, v in res["timing"].items()},
            }
            meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return out


def main(argv=None) -> None:
    args = parse_args(argv)
    sections = extra_sections(args)
    for text in sections.values():
        print(text)
    if not args.no_write:
        for name, text in sections.items():
            write_section(Path(args.docs), name, text, "# Accuracy")
    if args.skip_main:
        return
    res, info = evaluate(args)
    text = markdown(res, args, info)
    print(text)
    if args.no_write:
        return
    write_section(Path(args.docs), "lifter", text, "# Accuracy")
    plot_per_joint(res["per_joint"], Path(args.plot))
    meta_path = Path(args.engine).with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["metrics"] = {
        "test_subjects": [2, 13],
        "views": args.views,
        "seed": args.seed,
        **{
            f"{m} | {c}": {k: round(v, 2) for k, v in s.items()}
            for (m, c), s in res["summary"].items()
        },
    }
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {args.docs}, {args.plot}, {meta_path}")


if __name__ == "__main__":
    main()
