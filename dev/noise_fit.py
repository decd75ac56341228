"""python -m dev.noise_fit: fit the lifter's 2D noise model to the real errors of our 2D stage.

Runs the 2D stage (static: detector on every image, default decoder) on the labelled COCO
photos in <shared>/data/real_images (coco and coco_mini), pairs each annotated person (>= 5
labelled keypoints) with a prediction at OKS >= 0.5 (dev.metrics2d greedy matching), maps both
to H36M-17 and measures, per joint, the 2D error as a fraction of the person's size (the longer
side of the annotated box, as dev.eval2d reports it):

- `sigma_rel[j]`: per-axis RMS of the inlier errors of joint j (inlier: error below
  `OUTLIER_REL` of the person's size), less the human annotators' own noise (COCO's per-keypoint
  sigma x sqrt(area), averaged over the people; floor 0.3 x the raw value, `sigma_rel_raw`);
- `conf_bins` / `conf_factor[k]`: how the error grows as the 2D stage's confidence drops (RMS of
  error / sigma_rel[j] per confidence bin, all joints pooled);
- `outlier_prob[k]` (per confidence bin) and `outlier_sigma_rel`: the heavy tail;
- `person_log_sigma`: spread of the per-person error level (errors are correlated in a person);
- `conf_quantiles[j]`: the confidence the 2D stage gives joint j when it is annotated (visible or
  occluded), as 21 quantiles; `conf_person_rho`: correlation of confidences within a person
  (Gaussian copula); `offframe_conf_quantiles`: confidence of predicted joints that lie outside
  the image (truncation: what the 2D stage reports for a joint it cannot see).

COCO has no head top or mouth: `head` (BlazePose's face-extrapolated point) takes the neck's
statistics x `HEAD_FACTOR` (an assumption, stated in the JSON). Writes dev/noise2d_fit.json,
read by dev.lifter_data.FittedNoise (training and the noisy evaluation).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from pose3d_ros.core.skeleton import BLAZEPOSE_TO_COCO17, blazepose_conf_to_h36m, blazepose_to_h36m

DEFAULT_OUT = Path(__file__).resolve().parent / "noise2d_fit.json"
OUTLIER_REL = 0.15  # error above this fraction of the person's size counts as an outlier
CONF_BINS = (0.0, 0.2, 0.5, 0.8, 0.95, 1.0001)
HEAD_FACTOR = 1.5
N_QUANTILES = 21
# H36M joint -> COCO-17 source keypoints (mean of them); head has none in COCO
COCO_SOURCES = (
    (11, 12),
    (12,),
    (14,),
    (16,),
    (11,),
    (13,),
    (15,),
    (5, 6, 11, 12),
    (5, 6),
    (3, 4),
    (),
    (5,),
    (7,),
    (9,),
    (6,),
    (8,),
    (10,),
)
HEAD = 10
NECK = 9


def coco_to_h36m(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(G, 17, 3) COCO x, y, v -> (G, 17, 2) H36M px, (G, 17) bool labelled (all sources > 0)."""
    g = kp.shape[0]
    xy = np.zeros((g, 17, 2))
    lab = np.zeros((g, 17), dtype=bool)
    for j, src in enumerate(COCO_SOURCES):
        if not src:
            continue
        s = list(src)
        xy[:, j] = kp[:, s, :2].mean(axis=1)
        lab[:, j] = (kp[:, s, 2] > 0).all(axis=1)
    return xy, lab


def collect(images, preds) -> dict:
    """Matched people -> arrays of per-joint errors, confidences, labels and off-frame confidences.

    images: dev.eval2d.CocoImage list; preds: dev.eval2d.Predictions of the same images.
    """
    from dev.metrics2d import greedy_match, oks_matrix

    err, conf, lab, person_ids, offframe, annot = [], [], [], [], [], []
    pid = 0
    for img, kp33, vis33 in zip(images, preds.kp33, preds.vis33):
        if len(kp33) == 0:
            continue
        h_px, w_px = img.rgb.shape[:2]
        kp17 = kp33[:, BLAZEPOSE_TO_COCO17]
        scores = vis33[:, BLAZEPOSE_TO_COCO17].mean(axis=1)
        match = greedy_match(
            oks_matrix(kp17, img.kp, img.bbox, img.area_px2), scores, 0.5, img.ignore
        )
        j_pred = blazepose_to_h36m(kp33)
        c_pred = blazepose_conf_to_h36m(vis33)
        gt_xy, gt_lab = coco_to_h36m(img.kp)
        for p, g in enumerate(match):
            if g < 0 or not img.counted[g]:
                continue
            size_px = float(img.bbox[g, 2:].max())
            err.append((j_pred[p] - gt_xy[g]) / size_px)
            annot.append(np.sqrt(img.area_px2[g]) / size_px)
            conf.append(c_pred[p])
            lab.append(gt_lab[g])
            person_ids.append(pid)
            pid += 1
            out = (
                (j_pred[p, :, 0] < 0)
                | (j_pred[p, :, 0] >= w_px)
                | (j_pred[p, :, 1] < 0)
                | (j_pred[p, :, 1] >= h_px)
            )
            offframe.extend(c_pred[p][out & ~gt_lab[g]].tolist())
    return {
        "err": np.array(err).reshape(-1, 17, 2),
        "conf": np.array(conf).reshape(-1, 17),
        "lab": np.array(lab).reshape(-1, 17),
        "offframe_conf": np.array(offframe),
        "sqrt_area_rel": np.array(annot),
    }


def fit(data: dict) -> dict:
    """The noise parameters (module docstring) from collect()'s arrays."""
    from statistics import NormalDist

    from dev.metrics2d import COCO_SIGMAS

    ppf = np.vectorize(NormalDist().inv_cdf)
    err, conf, lab = data["err"], data["conf"], data["lab"]
    n_people = err.shape[0]
    dist = np.linalg.norm(err, axis=-1)  # (P, 17) fraction of the person's size
    inl = lab & (dist < OUTLIER_REL)
    sigma = np.zeros(17)
    for j in range(17):
        if j == HEAD:
            continue
        e = err[inl[:, j], j]
        sigma[j] = np.sqrt(np.mean(e**2)) if len(e) else np.nan
    # human annotation noise (COCO's per-keypoint sigma: RMS radial error / sqrt(area)) is in
    # the measured error; remove it per axis (variance sigma^2 s^2 / 2), floor 0.3 x raw
    annot_var = np.zeros(17)
    for j, src in enumerate(COCO_SOURCES):
        if src:
            k = np.mean(COCO_SIGMAS[list(src)]) ** 2 / len(src)
            annot_var[j] = k * np.mean(data["sqrt_area_rel"] ** 2) / 2.0
    raw = sigma.copy()
    sigma = np.sqrt(np.maximum(sigma**2 - annot_var, (0.3 * sigma) ** 2))
    raw[HEAD] = raw[NECK] * HEAD_FACTOR
    sigma[HEAD] = sigma[NECK] * HEAD_FACTOR
    bins = np.digitize(conf, CONF_BINS) - 1
    factor, out_prob, counts = [], [], []
    z = dist / np.sqrt(2.0) / raw[None, :]  # per-axis error in units of the joint's raw sigma
    for k in range(len(CONF_BINS) - 1):
        m = lab & (bins == k)
        mi = m & inl
        counts.append(int(m.sum()))
        factor.append(float(np.sqrt(np.mean(z[mi] ** 2))) if mi.sum() >= 10 else float("nan"))
        out_prob.append(float((m & ~inl).sum() / max(m.sum(), 1)))
    factor = np.array(factor)
    pooled = np.sqrt(np.mean(z[lab & inl] ** 2))
    factor = factor / pooled  # relative: the pooled RMS over all confidences is sigma_rel
    # bins with too few joints take the nearest bin's value
    good = np.flatnonzero(np.isfinite(factor))
    for k in np.flatnonzero(~np.isfinite(factor)):
        factor[k] = factor[good[np.argmin(np.abs(good - k))]]
    outl = lab & ~inl
    outlier_sigma = float(np.sqrt(np.mean(err[outl] ** 2))) if outl.any() else 0.2
    # per-person error level: log RMS of z over the person's inlier joints
    lvl = [
        np.log(np.sqrt(np.mean(z[p][inl[p]] ** 2))) for p in range(n_people) if inl[p].sum() >= 5
    ]
    person_log_sigma = float(np.std(lvl)) if lvl else 0.0
    qs = np.linspace(0.0, 1.0, N_QUANTILES)
    conf_q = []
    for j in range(17):
        src = NECK if j == HEAD else j
        c = conf[lab[:, src], j]
        conf_q.append(np.quantile(c, qs).round(4).tolist())
    # copula correlation: normal scores of each joint's confidence rank, per-person mean variance
    scores = np.full(conf.shape, np.nan)
    for j in range(17):
        src = NECK if j == HEAD else j
        m = lab[:, src]
        r = np.argsort(np.argsort(conf[m, j]))
        scores[m, j] = ppf((r + 0.5) / m.sum())
    n_j = np.sum(np.isfinite(scores), axis=1)
    keep = n_j >= 8
    means = np.nanmean(scores[keep], axis=1)
    j_mean = float(np.mean(n_j[keep]))
    rho2 = (np.var(means) - 1.0 / j_mean) / (1.0 - 1.0 / j_mean)
    off = data["offframe_conf"]
    off_q = np.quantile(off, qs).round(4).tolist() if len(off) >= 5 else [0.0] * N_QUANTILES
    return {
        "sigma_rel": sigma.round(5).tolist(),
        "sigma_rel_raw": raw.round(5).tolist(),
        "annotation_sigma_rel": np.sqrt(annot_var).round(5).tolist(),
        "conf_bins": list(CONF_BINS),
        "conf_factor": factor.round(3).tolist(),
        "outlier_prob": np.round(out_prob, 4).tolist(),
        "outlier_rel": OUTLIER_REL,
        "outlier_sigma_rel": round(outlier_sigma, 4),
        "person_log_sigma": round(person_log_sigma, 3),
        "conf_quantiles": conf_q,
        "conf_person_rho": round(float(np.sqrt(np.clip(rho2, 0.0, 0.99))), 3),
        "offframe_conf_quantiles": off_q,
        "counts": {
            "people": int(n_people),
            "labelled_joints": int(lab.sum()),
            "outliers": int(outl.sum()),
            "per_conf_bin": counts,
            "offframe_joints": int(len(off)),
            "offframe_above_0.2": int((off >= 0.2).sum()),
        },
    }


def run_2d(dirs: list[Path], engines: Path, threads: int):
    """(images, predictions) of the 2D stage over every labelled photo in dirs."""
    from dev.eval2d import Predictions, load_coco, run_ours
    from pose3d_ros.assembly import open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    images = [im for d in dirs for im in load_coco(d)]
    est = open_pose2d(engines, "onnxruntime", threads, Pose2DConfig(tracking=False))
    try:
        preds = Predictions()
        for im in images:
            p = run_ours(est, [im.rgb])
            preds.kp33 += p.kp33
            preds.vis33 += p.vis33
    finally:
        est.close()
    return images, preds


def main(argv: list[str] | None = None) -> int:
    from dev import oracle_client

    p = argparse.ArgumentParser(prog="python -m dev.noise_fit", description=__doc__.split("\n")[0])
    p.add_argument("--sets", default="coco,coco_mini", help="folders under real_images")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    start = time.perf_counter()
    root = oracle_client.shared_dir() / "data" / "real_images"
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    images, preds = run_2d(
        [root / s for s in sets], oracle_client.default_engines_dir(), args.threads
    )
    params = fit(collect(images, preds))
    given = sys.argv[1:] if argv is None else argv
    params = {
        "format": "pose3d_ros 2D noise fit v1",
        "command": ".venv/bin/python -m dev.noise_fit " + " ".join(shlex.quote(a) for a in given),
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "sets": sets,
        "images": len(images),
        "size_unit": "fraction of the longer side of the person's annotated box",
        "assumption": f"head (no COCO source) = neck sigma x {HEAD_FACTOR}, neck confidences",
        **params,
    }
    args.out.write_text(json.dumps(params, indent=1) + "\n")
    c = params["counts"]
    print(
        f"{c['people']} people, {c['labelled_joints']} labelled joints from {len(images)} images "
        f"in {time.perf_counter() - start:.0f} s; sigma_rel "
        f"{np.round(params['sigma_rel'], 4).tolist()}; conf_factor {params['conf_factor']}; "
        f"outlier_prob {params['outlier_prob']}; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
