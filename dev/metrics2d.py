"""2D keypoint metrics against COCO-style human annotations: OKS, PCK, greedy matching, AP.

Conventions (all in image px):
- GT keypoints (G, 17, 3) are COCO triplets x, y, v (v = 0 not labelled, 1 occluded, 2 visible);
  GT boxes (G, 4) are COCO x, y, w, h; `area_px2` (G,) is the COCO segment area.
- Predictions (P, 17, 2) are x, y in COCO-17 keypoint order, with one score per prediction.

Definitions (written from the COCO keypoint evaluation's published description):
- OKS(p, g) = mean over labelled keypoints i of exp(-d_i^2 / (2 * area * (2 sigma_i)^2)).
  A GT with no labelled keypoint is an "ignore" region: the distance is measured to the box
  grown by its own size on each side, over all 17 keypoints (a prediction inside it scores ~1).
- PCK@alpha: fraction of labelled keypoints within alpha * max(bbox w, bbox h) of the GT.
- Matching at a threshold t: predictions in descending score order each take the unmatched GT with
  the highest OKS >= t; non-ignored GTs are preferred, a prediction matched only to an ignored GT
  is dropped (neither TP nor FP).
- AP at t: 101-point interpolated precision over recall 0:0.01:1 (precision made non-increasing),
  pooled over all images; AP = mean over t in 0.50:0.05:0.95.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.errors import InputError

COCO_SIGMAS = np.array(
    [
        0.026,
        0.025,
        0.025,
        0.035,
        0.035,
        0.079,
        0.079,
        0.072,
        0.072,
        0.062,
        0.062,
        0.107,
        0.107,
        0.087,
        0.087,
        0.089,
        0.089,
    ]
)
OKS_THRESHOLDS = np.round(np.arange(0.50, 0.951, 0.05), 2)
UNMATCHED = -1
IGNORED = -2


def _check(pred_xy: np.ndarray, gt_kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred_xy, dtype=np.float64)
    gt = np.asarray(gt_kp, dtype=np.float64)
    if pred.ndim != 3 or pred.shape[1:] != (17, 2):
        raise InputError(f"predictions must be (P, 17, 2), got {pred.shape}")
    if gt.ndim != 3 or gt.shape[1:] != (17, 3):
        raise InputError(f"GT keypoints must be (G, 17, 3), got {gt.shape}")
    return pred, gt


def oks_matrix(
    pred_xy: np.ndarray,
    gt_kp: np.ndarray,
    gt_bbox: np.ndarray,
    gt_area_px2: np.ndarray,
    sigmas: np.ndarray = COCO_SIGMAS,
) -> np.ndarray:
    """(P, 17, 2) predictions x (G, 17, 3) GT -> (P, G) object keypoint similarity in [0, 1]."""
    pred, gt = _check(pred_xy, gt_kp)
    bbox = np.asarray(gt_bbox, dtype=np.float64).reshape(-1, 4)
    area = np.asarray(gt_area_px2, dtype=np.float64).reshape(-1)
    if bbox.shape[0] != gt.shape[0] or area.shape[0] != gt.shape[0]:
        raise InputError("gt_bbox and gt_area_px2 need one row per GT person")
    var = (2.0 * np.asarray(sigmas, dtype=np.float64)) ** 2  # (17,)
    out = np.zeros((pred.shape[0], gt.shape[0]))
    for g in range(gt.shape[0]):
        labelled = gt[g, :, 2] > 0
        if labelled.any():
            d2 = np.sum((pred - gt[g, None, :, :2]) ** 2, axis=-1)  # (P, 17)
        else:
            x, y, w, h = bbox[g]
            lo, hi = np.array([x - w, y - h]), np.array([x + 2 * w, y + 2 * h])
            outside = np.maximum(0.0, lo - pred) + np.maximum(0.0, pred - hi)  # (P, 17, 2)
            d2 = np.sum(outside**2, axis=-1)
            labelled = np.ones(17, dtype=bool)
        e = np.exp(-d2 / var / (area[g] + np.spacing(1)) / 2.0)
        out[:, g] = e[:, labelled].mean(axis=1)
    return out


def pck(
    pred_xy: np.ndarray, gt_kp: np.ndarray, gt_bbox: np.ndarray, alpha: float = 0.2
) -> np.ndarray:
    """(P, 17, 2) predictions paired row-by-row with (P, 17, 3) GT -> (P,) PCK@alpha of max(w, h).

    A person with no labelled keypoint gets NaN.
    """
    pred, gt = _check(pred_xy, gt_kp)
    bbox = np.asarray(gt_bbox, dtype=np.float64).reshape(-1, 4)
    if pred.shape[0] != gt.shape[0] or bbox.shape[0] != gt.shape[0]:
        raise InputError("pck needs the same number of predictions, GT people and boxes")
    thr_px = alpha * np.maximum(bbox[:, 2], bbox[:, 3])  # (P,)
    dist_px = np.linalg.norm(pred - gt[..., :2], axis=-1)  # (P, 17)
    labelled = gt[..., 2] > 0
    hits = (dist_px <= thr_px[:, None]) & labelled
    n = labelled.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, hits.sum(axis=1) / n, np.nan)


def greedy_match(
    oks: np.ndarray, scores: np.ndarray, threshold: float, gt_ignore: np.ndarray
) -> np.ndarray:
    """(P, G) OKS, (P,) scores, (G,) bool -> (P,) GT index per prediction, UNMATCHED or IGNORED."""
    oks = np.asarray(oks, dtype=np.float64)
    ignore = np.asarray(gt_ignore, dtype=bool).reshape(-1)
    n_pred, n_gt = oks.shape
    result = np.full(n_pred, UNMATCHED, dtype=np.int64)
    taken = np.zeros(n_gt, dtype=bool)
    for p in np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable"):
        best, best_oks = UNMATCHED, threshold
        for pool in (~ignore, ignore):  # real people first, ignore regions only as a fallback
            for g in np.flatnonzero(pool & ~taken):
                if oks[p, g] >= best_oks:
                    best, best_oks = g, oks[p, g]
            if best != UNMATCHED:
                break
        if best != UNMATCHED:
            taken[best] = True
            result[p] = IGNORED if ignore[best] else best
    return result


def average_precision(
    images: list[tuple[np.ndarray, np.ndarray, np.ndarray]], thresholds: np.ndarray = OKS_THRESHOLDS
) -> dict[float, float]:
    """COCO-style AP per OKS threshold, pooled over images.

    images: one (oks (P, G), scores (P,), gt_ignore (G,)) triple per image.
    Returns {threshold: AP}; AP is NaN when no image has a non-ignored GT person.
    """
    n_pos = sum(int((~np.asarray(ig, dtype=bool)).sum()) for _, _, ig in images)
    recall_grid = np.linspace(0.0, 1.0, 101)
    aps = {}
    for t in thresholds:
        all_scores, all_tp = [], []
        for oks, scores, ignore in images:
            match = greedy_match(oks, scores, float(t), ignore)
            keep = match != IGNORED
            all_scores.append(np.asarray(scores, dtype=np.float64)[keep])
            all_tp.append(match[keep] >= 0)
        if n_pos == 0:
            aps[float(t)] = float("nan")
            continue
        scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
        tp = np.concatenate(all_tp) if all_tp else np.zeros(0, dtype=bool)
        if scores.size == 0:
            aps[float(t)] = 0.0
            continue
        order = np.argsort(-scores, kind="stable")
        tp_cum = np.cumsum(tp[order])
        fp_cum = np.cumsum(~tp[order])
        recall = tp_cum / n_pos
        precision = tp_cum / np.maximum(tp_cum + fp_cum, 1)
        precision = np.maximum.accumulate(precision[::-1])[::-1]
        idx = np.searchsorted(recall, recall_grid, side="left")
        sampled = np.where(
            idx < precision.size, precision[np.minimum(idx, precision.size - 1)], 0.0
        )
        aps[float(t)] = float(sampled.mean())
    return aps
