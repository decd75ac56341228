"""Landmark 2D decoders for the BlazePose landmark model: regression, heatmap refinement,
soft-argmax.

All three work in normalised crop coordinates (0..1 across the 256 px crop) and return
(N, K, 2) x, y; the model's own regression output is the starting point of the other two.

The (N, 64, 64, K) heatmaps are LOGITS of a per-pixel sigmoid (MediaPipe's refinement applies a
sigmoid to them), not a distribution: measured on real photos, background cells sit far below 0
(median about -13, down to -85) and a clear landmark peaks at about +1..+4.

Heatmap cell (row i, column j) sits at crop coordinate (j / 64, i / 64): the top-left corner of its
4x4 px block, not its centre. That is MediaPipe's refinement convention, and measured against
human COCO annotations it is also the one the model was trained with (using cell centres instead
shifts every landmark by 2 crop px and costs accuracy).

- "refine" (MediaPipe's RefineLandmarksFromHeatmapCalculator): sigmoid the map in a kernel x kernel
  window around the regressed cell; when the window's maximum is >= min_confidence, the landmark
  becomes the sigmoid-weighted mean of the window's cell coordinates. mediapipe 0.10.21's Python
  solution runs it with kernel 9 (measured: our landmarks then match its output to < 0.1 px mean).
- "softargmax" (integral regression, Sun et al. ECCV'18): softmax(beta * logits) over the whole
  64 x 64 map, expectation of the cell coordinates. The model was trained with a sigmoid, not with
  this loss, so the sharpness beta is a free choice: beta 2 was the most accurate on the COCO photos
  (beta 1 is too flat: background mass pulls landmarks towards the map centre). Landmarks whose peak
  sigmoid is below min_confidence keep the regression.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.errors import ConfigError

DECODER_METHODS = ("regression", "refine", "softargmax")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def soft_argmax(heatmaps: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Integral regression over (N, H, W, K) logit maps.

    Returns (N, K, 2) expected x, y normalised to 0..1 (cell j at j / W), and (N, K) the peak
    probability max(sigmoid(logit)) as a confidence.
    """
    hm = np.asarray(heatmaps, dtype=np.float32)  # float32: 3x faster, error << 1e-4 of a cell
    n, h, w, k = hm.shape
    peak = hm.max(axis=(1, 2), keepdims=True)
    p = np.exp(np.float32(beta) * (hm - peak))
    total = p.sum(axis=(1, 2))
    x = np.einsum("nhwk,w->nk", p, np.arange(w, dtype=np.float32)) / (total * w)
    y = np.einsum("nhwk,h->nk", p, np.arange(h, dtype=np.float32)) / (total * h)
    conf = _sigmoid(peak[:, 0, 0, :].astype(np.float64))
    return np.stack([x, y], axis=-1).astype(np.float64), conf


def refine_from_heatmap(
    landmarks_norm: np.ndarray, heatmaps: np.ndarray, kernel_size: int, min_confidence: float
) -> np.ndarray:
    """MediaPipe's heatmap refinement of (N, K, 2) normalised landmarks with
    (N, H, W, K) logit maps.

    Landmarks whose cell falls outside the map, or whose window's max sigmoid is below
    `min_confidence`, are returned unchanged. Input is not modified.
    """
    lm = np.asarray(landmarks_norm, dtype=np.float64)
    hm = np.asarray(heatmaps, dtype=np.float64)
    n, h, w, k = hm.shape
    out = lm.copy()
    off = (kernel_size - 1) // 2
    col = np.trunc(lm[..., 0] * w).astype(np.int64)  # C++ float -> int conversion truncates
    row = np.trunc(lm[..., 1] * h).astype(np.int64)
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h) & np.isfinite(lm).all(-1)
    dr = np.arange(-off, off + 1)
    for b, j in zip(*np.nonzero(inside)):
        rows = row[b, j] + dr
        cols = col[b, j] + dr
        rows = rows[(rows >= 0) & (rows < h)]
        cols = cols[(cols >= 0) & (cols < w)]
        conf = _sigmoid(hm[b][np.ix_(rows, cols, [j])][..., 0])
        total = conf.sum()
        if conf.max() >= min_confidence and total > 0:
            out[b, j, 0] = (conf.sum(axis=0) @ cols) / w / total
            out[b, j, 1] = (conf.sum(axis=1) @ rows) / h / total
    return out


def decode_xy(
    regressed_norm: np.ndarray,
    heatmaps: np.ndarray | None,
    method: str,
    kernel_size: int,
    min_confidence: float,
    beta: float,
) -> np.ndarray:
    """(N, K, 2) normalised landmark x, y by `method` (one of DECODER_METHODS); the settings come
    from Pose2DConfig, the one place their defaults live.

    softargmax keeps the regression for landmarks whose heatmap peak sigmoid is below
    min_confidence.
    """
    if method not in DECODER_METHODS:
        raise ConfigError(f"unknown decoder method {method!r}; expected one of {DECODER_METHODS}")
    reg = np.asarray(regressed_norm, dtype=np.float64)
    if method == "regression" or heatmaps is None:
        return reg.copy()
    if method == "refine":
        return refine_from_heatmap(reg, heatmaps, kernel_size, min_confidence)
    xy, conf = soft_argmax(heatmaps, beta)
    return np.where((conf >= min_confidence)[..., None], xy, reg)
