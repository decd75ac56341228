"""3D pose error metrics (numpy), named after the protocols in the literature.

All take `pred` and `gt` of shape (N, J, 3) in the same unit and frame (metres here) and
return per-sample-per-joint errors (N, J) where noted, or a scalar. Averages over joints
include every joint given (with root-relative poses the root's error is 0, as in the
Human3.6M protocol #1 with 17 joints).
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.errors import InputError

PCK_THRESHOLD_M = 0.150
AUC_THRESHOLDS_M = np.linspace(0.0, 0.150, 31)  # 0, 5, ..., 150 mm


def _check(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, g = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    if p.shape != g.shape or p.ndim != 3 or p.shape[-1] != 3 or p.shape[0] == 0:
        raise InputError(
            f"pred and gt must both be (N, J, 3) with N > 0, got {p.shape} and {g.shape}"
        )
    return p, g


def joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J) Euclidean distance per joint, no alignment."""
    p, g = _check(pred, gt)
    return np.linalg.norm(p - g, axis=-1)


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean per-joint position error, no alignment (protocol #1)."""
    return float(joint_errors(pred, gt).mean())


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J, 3) pred after the best similarity transform (rotation, scale, translation) onto gt.

    Umeyama/Kabsch via SVD; the reflection fix flips the last singular vector when
    det(R) < 0 so the result is a proper rotation, never a mirror image.
    """
    p, g = _check(pred, gt)
    mu_p, mu_g = p.mean(axis=1, keepdims=True), g.mean(axis=1, keepdims=True)
    p0, g0 = p - mu_p, g - mu_g
    cov = np.einsum("nji,njk->nik", p0, g0)  # (N, 3, 3) = P^T G
    u, s, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    d[d == 0] = 1.0
    fix = np.ones_like(s)
    fix[:, -1] = d
    rot = (u * fix[:, None, :]) @ vt  # maps p0 rows onto g0 rows: p0 @ rot ~ g0
    var_p = (p0**2).sum(axis=(1, 2))
    scale = (s * fix).sum(axis=1) / np.maximum(var_p, 1e-12)
    return scale[:, None, None] * (p0 @ rot) + mu_g


def p_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """MPJPE after Procrustes alignment with scale and the reflection fix (protocol #2)."""
    return mpjpe(procrustes_align(pred, gt), gt)


def scale_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N, J, 3) pred times the least-squares scale onto gt (about the origin, i.e. the root)."""
    p, g = _check(pred, gt)
    num = (p * g).sum(axis=(1, 2))
    den = np.maximum((p * p).sum(axis=(1, 2)), 1e-12)
    return p * (num / den)[:, None, None]


def n_mpjpe(pred: np.ndarray, gt: np.ndarray) -> float:
    """MPJPE after scale-only alignment (Rhodin et al. CVPR'18): ignores the person's size error."""
    return mpjpe(scale_align(pred, gt), gt)


def pck3d(pred: np.ndarray, gt: np.ndarray, threshold_m: float = PCK_THRESHOLD_M) -> float:
    """Fraction of joints within threshold_m of the ground truth, no alignment (0..1)."""
    return float((joint_errors(pred, gt) <= threshold_m).mean())


def auc(pred: np.ndarray, gt: np.ndarray, thresholds_m: np.ndarray = AUC_THRESHOLDS_M) -> float:
    """Area under the PCK3D curve over thresholds_m, normalised to 0..1
    (mean PCK over the thresholds)."""
    err = joint_errors(pred, gt)
    return float(np.mean([(err <= t).mean() for t in np.asarray(thresholds_m, dtype=np.float64)]))
