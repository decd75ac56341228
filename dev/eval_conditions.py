"""Per-condition accuracy of lifters under robot and room cameras (`dev.eval_lifter --conditions`).

Test subjects 2 and 13, every frame under `views` fixed-seed cameras drawn from
lifter_data.RoomRanges (camera 0.3-4 m up, line of sight -60..+30 deg, roll up to 30 deg,
0.5-20 m, focal 250-3000 px, 30 % placed so the body leaves the image; no mirroring). Joints that
leave the image (or are behind the camera) are missing as the 2D stage reports them: with exact
2D ("GT 2D") their confidence is 0; with the fitted noise (dev/noise2d_fit.json) they get the
confidences the 2D stage gave off-image joints on the COCO photos (most fall below conf_min).
Errors are root-relative over all 17 joints, including the missing ones (the lifter must still
place them). Rows: distance to the pelvis, pitch of the line of sight, joints out of the image,
CMU motion description.

Lifter alone vs full pipeline: the same samples with exact 2D (lifter alone), with the fitted 2D
noise (what the 2D stage's errors do to the lifter), and placed in the camera frame by
core.pose3d.placement.place_with_confidence (no depth image, default PlacementConfig): absolute
MPJPE and root depth error of the placed skeleton. Real images with 3D ground truth are not
available here, so "full pipeline" means the 2D stage simulated by its fitted error model.
"""

from __future__ import annotations

import numpy as np

from dev import lifter_data as ld
from dev import metrics
from pose3d_ros.core.pose3d.lifting import normalise_2d

DIST_BINS_M = (0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.01)
PITCH_BINS_DEG = (-60.0, -45.0, -30.0, -15.0, -5.0, 5.0, 15.0, 30.01)
TRUNC_BINS = (0, 1, 3, 6, 18)


def room_test_set(views: int, seed: int, conf_min: float, fitted: ld.FittedNoise) -> dict:
    """Fixed-seed room-camera test set: gt (M, 17, 3) root-relative m, abs (M, 17, 3) m, 2D,
    conditions and features for 'GT 2D' and 'fitted noise 2D'."""
    te = ld.load_split("test")
    rng = np.random.default_rng(seed)
    poses = np.repeat(te.poses_m, views, axis=0)
    cam3d, uv, in_frame, cams = ld.sample_room_views(poses, rng, mirror=False)
    noisy, conf = ld.apply_fitted_noise(uv, in_frame, rng, fitted)
    gt_conf = in_frame.astype(np.float64)
    return {
        "gt": cam3d - cam3d[:, :1],
        "abs": cam3d,
        "uv": {"GT 2D": uv, "fitted noise 2D": noisy},
        "conf": {"GT 2D": gt_conf, "fitted noise 2D": conf},
        "feats": {
            "GT 2D": normalise_2d(uv, gt_conf, cams.focal_px, cams.center_px, conf_min),
            "fitted noise 2D": normalise_2d(noisy, conf, cams.focal_px, cams.center_px, conf_min),
        },
        "cams": cams,
        "distance_m": cams.distance_m,
        "pitch_deg": cams.pitch_deg,
        "out_joints": (~in_frame).sum(axis=1),
        "motion": np.array([te.descriptions[c] or "?" for c in np.repeat(te.clip, views)]),
    }


def _bins(values: np.ndarray, edges: tuple, fmt: str) -> list[tuple[str, np.ndarray]]:
    return [
        (fmt.format(lo, hi), (values >= lo) & (values < hi))
        for lo, hi in zip(edges[:-1], edges[1:])
    ]


def condition_rows(data: dict) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Table name -> [(row label, (M,) bool mask)]."""
    motions = sorted(set(data["motion"]))
    return {
        "distance to the pelvis": _bins(data["distance_m"], DIST_BINS_M, "{:g}-{:g} m"),
        "pitch of the line of sight (negative: camera looks down)": _bins(
            data["pitch_deg"], PITCH_BINS_DEG, "{:g} to {:g} deg"
        ),
        "joints out of the image": [
            (
                f"{lo}" if hi - lo == 1 else f"{lo}-{hi - 1}",
                (data["out_joints"] >= lo) & (data["out_joints"] < hi),
            )
            for lo, hi in zip(TRUNC_BINS[:-1], TRUNC_BINS[1:])
        ],
        "motion (CMU description)": [(m, data["motion"] == m) for m in motions],
    }


def evaluate(lifters: dict, views: int, seed: int, conf_min: float) -> dict:
    """lifters: label -> fn((N, 54) features) -> (N, 17, 3). Returns predictions' errors per
    condition and the lifter-alone vs placed comparison for the first lifter."""
    from pose3d_ros.core.pose3d.placement import PlacementConfig, place_with_confidence
    from pose3d_ros.core.types import CameraIntrinsics

    data = room_test_set(views, seed, conf_min, ld.FittedNoise.load())
    gt = data["gt"]
    err = {}  # (label, cond) -> (per-sample MPJPE (M,), per-sample P-MPJPE (M,))
    preds = {}
    for label, fn in lifters.items():
        for cond, feats in data["feats"].items():
            pred = np.concatenate([fn(feats[i : i + 2048]) for i in range(0, len(feats), 2048)])
            preds[(label, cond)] = pred
            err[(label, cond)] = (
                metrics.joint_errors(pred, gt).mean(axis=1) * 1e3,
                _p_mpjpe_each(pred, gt) * 1e3,
            )
    # lifter alone vs placed (first lifter), in chunks per camera (placement takes one camera)
    first = next(iter(lifters))
    placed = {}
    cams = data["cams"]
    rng = np.random.default_rng(seed + 5)
    sub = rng.choice(len(gt), min(3000, len(gt)), replace=False)
    for cond in data["feats"]:
        rel = preds[(first, cond)]
        abs_err, root_err, ok = [], [], []
        for i in sub:
            w, h = cams.size_px[i]
            intr = CameraIntrinsics(
                fx_px=float(cams.focal_px[i, 0]),
                fy_px=float(cams.focal_px[i, 1]),
                cx_px=float(cams.center_px[i, 0]),
                cy_px=float(cams.center_px[i, 1]),
                width_px=int(w),
                height_px=int(h),
            )
            out = place_with_confidence(
                rel[i : i + 1],
                data["uv"][cond][i : i + 1],
                data["conf"][cond][i : i + 1],
                intr,
                None,
                PlacementConfig(),
            )
            abs_m = np.asarray(out.joints3d_m, dtype=np.float64)[0]
            if not np.all(np.isfinite(abs_m)):
                ok.append(False)
                continue
            ok.append(True)
            truth = data["abs"][i]
            abs_err.append(np.linalg.norm(abs_m - truth, axis=-1).mean() * 1e3)
            root_err.append(abs(abs_m[0, 2] - truth[0, 2]) / truth[0, 2] * 100.0)
        placed[cond] = {
            "root-relative MPJPE": float(err[(first, cond)][0][sub].mean()),
            "root-relative P-MPJPE": float(err[(first, cond)][1][sub].mean()),
            "placed MPJPE": float(np.mean(abs_err)),
            "root depth error %": float(np.median(root_err)),
            "placed": float(np.mean(ok) * 100.0),
        }
    return {
        "err": err,
        "rows": condition_rows(data),
        "placed": placed,
        "samples": len(gt),
        "placed_samples": len(sub),
    }


def _p_mpjpe_each(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(M,) P-MPJPE per sample in metres (dev.metrics' Procrustes alignment)."""
    return metrics.joint_errors(metrics.procrustes_align(pred, gt), gt).mean(axis=1)


def targets(res: dict, label: str, cond: str = "GT 2D") -> dict:
    """Issue 13's viewpoint targets for one lifter, from unrounded means: MPJPE with the camera
    45-60 deg down over MPJPE with a level camera (-5..5 deg), and MPJPE at 15-20 m (mm)."""
    e = res["err"][(label, cond)][0]
    pitch = dict(res["rows"]["pitch of the line of sight (negative: camera looks down)"])
    dist = dict(res["rows"]["distance to the pelvis"])
    steep, level, far = pitch["-60 to -45 deg"], pitch["-5 to 5 deg"], dist["15-20.01 m"]
    return {
        "down_45_60_over_level": float(e[steep].mean() / e[level].mean()),
        "mpjpe_15_20m_mm": float(e[far].mean()),
    }


def plot(res: dict, labels: list[str], path) -> None:
    """MPJPE against the camera's pitch and distance, one line per lifter and 2D condition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("pitch of the line of sight (negative: camera looks down)", PITCH_BINS_DEG, "deg"),
        ("distance to the pelvis", DIST_BINS_M, "m"),
    )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (name, edges, unit) in zip(axes, panels):
        centres = 0.5 * (np.asarray(edges[:-1]) + np.asarray(edges[1:]))
        masks = [m for _, m in res["rows"][name]]
        for k, lab in enumerate(labels):
            for cond, style in (("GT 2D", "-"), ("fitted noise 2D", "--")):
                e = res["err"][(lab, cond)][0]
                ys = [e[m].mean() if m.any() else np.nan for m in masks]
                ax.plot(centres, ys, style, marker="o", color=f"C{k}", label=f"{lab}, {cond}")
        ax.set_xlabel(f"{name} ({unit}, bin centres)")
        ax.set_ylabel("MPJPE, root-relative (mm)")
        ax.grid(alpha=0.3)
    axes[0].axvspan(-60, -45, color="0.9", zorder=0)  # the issue-13 steep band
    axes[1].legend(fontsize=7)
    fig.suptitle("Lifter error under robot and room cameras (CMU test subjects)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(
    res: dict, labels: list[str], cmd: str, info: str, views: int, plot_path: str | None = None
) -> str:
    conds = ("GT 2D", "fitted noise 2D")
    head = " | ".join(f"{lab}, {c}" for c in conds for lab in labels)
    lines = [
        "## Lifter per condition: robot and room cameras (CMU test subjects)",
        "",
        f"Command: `{cmd}`  ",
        info,
        "",
        f"{res['samples']} samples (every test frame x {views} cameras from "
        "`lifter_data.RoomRanges`; definitions in `dev/eval_conditions.py`). Cells: MPJPE / "
        "P-MPJPE mm, root-relative, all 17 joints (joints out of the image included). Lifters: "
        + ", ".join(f"`{lab}`" for lab in labels)
        + "."
        + (f" Plot of the pitch and distance tables: `{plot_path}`." if plot_path else ""),
    ]
    for lab in labels:
        t = targets(res, lab)
        lines.append(
            f"\nIssue 13 targets, `{lab}`, GT 2D, MPJPE: camera 45-60 deg down / level "
            f"(-5..5 deg) **{t['down_45_60_over_level']:.3f}x** (target <= 1.3); 15-20 m "
            f"**{t['mpjpe_15_20m_mm']:.0f} mm** (target <= 80)."
        )
    all_mask = np.ones(res["samples"], dtype=bool)
    tables = {"all": [("all samples", all_mask)], **res["rows"]}
    for name, rows in tables.items():
        lines += [
            "",
            f"### {name}",
            "",
            f"| {name} | samples | {head} |",
            "|---|---:|" + "---:|" * (len(conds) * len(labels)),
        ]
        for label, m in rows:
            if not m.any():
                continue
            cells = []
            for c in conds:
                for lab in labels:
                    e, p = res["err"][(lab, c)]
                    cells.append(f"{e[m].mean():.0f} / {p[m].mean():.0f}")
            lines.append(f"| {label} | {int(m.sum())} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"### Lifter alone vs the pipeline after it ({labels[0]}, {res['placed_samples']} of the "
        "samples)",
        "",
        "| 2D | root-relative MPJPE mm | root-relative P-MPJPE mm | placed MPJPE mm (camera "
        "frame) | median root depth error % | placed % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c, r in res["placed"].items():
        lines.append(
            f"| {c} | {r['root-relative MPJPE']:.0f} | {r['root-relative P-MPJPE']:.0f} | "
            f"{r['placed MPJPE']:.0f} | {r['root depth error %']:.1f} | {r['placed']:.0f} |"
        )
    return "\n".join(lines) + "\n"
