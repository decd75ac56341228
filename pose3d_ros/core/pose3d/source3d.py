"""Where the root-relative 3D comes from: the lifter, BlazePose's own 3D (direct), or both fused.

- "lifter": core/pose3d/lifting.py's network from the 2D joints (the default; the one measured on
  CMU).
- "direct": the landmark model's `world` output (Pose2D.world_m: 33 landmarks, metres, hip-centred,
  already turned into the image's axes by the ROI rotation, z away from the camera; checked by
  `python -m dev.compare_sources` on 67 coco_mini people: per-person correlation of world x, y
  with the image offsets from the hip midpoint and of world z with the landmarks' relative depth,
  median 0.98 / 1.00 / 1.00). The network
  sees a crop looking at the person, so its axes are those of a camera turned towards them; the
  smallest rotation taking the optical axis onto the pelvis ray turns them into the optical frame
  (the same convention the lifter's training views use; an assumption, not measured here).
  Mapped to H36M-17 with skeleton.blazepose_to_h36m and re-centred on our pelvis (the hip midpoint).
- "fused": per joint, the confidence-weighted mean of the lifter's joint (weight: 2D confidence)
  and the direct joint (weight: landmark presence), after the direct skeleton is turned (about the
  pelvis, weighted Kabsch, no reflection) and scaled to the lifter's, so the result has the
  lifter's orientation and size; placement then gives it its translation and size.
People without world landmarks (a model converted without that output) fall back to the lifter.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from pose3d_ros.core.pose3d.body_scale import chain_length_m
from pose3d_ros.core.skeleton import PELVIS, blazepose_conf_to_h36m, blazepose_to_h36m
from pose3d_ros.core.types import CameraIntrinsics, Pose2D
from pose3d_ros.errors import ConfigError

SOURCES = ("lifter", "direct", "fused")


def check_source(source: str) -> None:
    """ConfigError unless source is one of SOURCES."""
    if source not in SOURCES:
        raise ConfigError(f"3D source must be one of {SOURCES}, got {source!r}")


def ray_rotation(ray_xy_norm: np.ndarray) -> np.ndarray:
    """(N, 2) normalised image coordinates -> (N, 3, 3) the smallest rotations taking the optical
    axis (0, 0, 1) onto each ray (x, y, 1) / |.|."""
    xy = np.asarray(ray_xy_norm, dtype=np.float64)
    ray = np.concatenate([xy, np.ones(xy.shape[:1] + (1,))], axis=-1)
    ray /= np.linalg.norm(ray, axis=-1, keepdims=True)
    v = np.stack([-ray[:, 1], ray[:, 0], np.zeros(len(ray))], axis=-1)  # z x ray
    c = ray[:, 2]
    vx = np.zeros(xy.shape[:1] + (3, 3))
    vx[:, 0, 2], vx[:, 1, 2] = v[:, 1], -v[:, 0]
    vx[:, 2, 0], vx[:, 2, 1] = -v[:, 1], v[:, 0]
    return np.eye(3) + vx + vx @ vx / (1.0 + c)[:, None, None]


def direct_rel_m(world_m: np.ndarray, pelvis_xy_norm: np.ndarray) -> np.ndarray:
    """(N, 33, 3) world landmarks (image axes) + (N, 2) pelvis ray -> (N, 17, 3) m H36M-17,
    pelvis at the origin, camera optical frame."""
    h36m = blazepose_to_h36m(np.asarray(world_m, dtype=np.float64))
    rel = h36m - h36m[:, PELVIS : PELVIS + 1]
    return rel @ ray_rotation(pelvis_xy_norm).transpose(0, 2, 1)


def fuse(lifted_m, direct_m, w_lifter, w_direct) -> np.ndarray:
    """(N, 17, 3) m + (N, 17, 3) m, weights (N, 17) -> (N, 17, 3) m fused as the module
    docstring says (pelvis at the origin)."""
    a = np.asarray(lifted_m, dtype=np.float64)
    b = np.asarray(direct_m, dtype=np.float64)
    wl = np.clip(np.asarray(w_lifter, dtype=np.float64), 0.0, 1.0) + 1e-3
    wd = np.clip(np.asarray(w_direct, dtype=np.float64), 0.0, 1.0) + 1e-3
    w = np.minimum(wl, wd)
    u, _, vt = np.linalg.svd(np.einsum("nj,nji,njk->nik", w, a, b))  # cross-covariance a b^T
    d = np.sign(np.linalg.det(u @ vt))
    u[:, :, 2] *= d[:, None]
    rot = u @ vt  # b @ rot^T best matches a
    size = chain_length_m(a) / np.maximum(chain_length_m(b), 1e-6)
    b_aligned = (b @ rot.transpose(0, 2, 1)) * size[:, None, None]
    return (wl[..., None] * a + wd[..., None] * b_aligned) / (wl + wd)[..., None]


def relative_3d(
    source: str,
    poses: list[Pose2D],
    joints2d_px: np.ndarray,
    conf: np.ndarray,
    intrinsics: CameraIntrinsics,
    lift: Callable[[np.ndarray, np.ndarray, CameraIntrinsics], np.ndarray],
) -> np.ndarray:
    """(N, 17, 3) m root-relative optical frame from `source` for N poses with their H36M-17 2D
    joints (N, 17, 2) px and confidences (N, 17); lift is the lifter's lift()."""
    check_source(source)
    n = len(poses)
    has_world = np.array([p.world_m is not None for p in poses], dtype=bool)
    lifted = None
    if source != "direct" or not has_world.all():
        lifted = np.asarray(lift(joints2d_px, conf, intrinsics), dtype=np.float64)
    if source == "lifter" or not has_world.any():
        return lifted
    idx = np.flatnonzero(has_world)
    pelvis_px = np.asarray(joints2d_px, dtype=np.float64)[idx, PELVIS]
    ray = (pelvis_px - [intrinsics.cx_px, intrinsics.cy_px]) / [intrinsics.fx_px, intrinsics.fy_px]
    direct = direct_rel_m(np.stack([poses[i].world_m for i in idx]), ray)
    out = np.zeros((n, 17, 3)) if lifted is None else lifted.copy()
    if source == "direct":
        out[idx] = direct
    else:
        presence = blazepose_conf_to_h36m(np.stack([poses[i].presence for i in idx]))
        out[idx] = fuse(lifted[idx], direct, np.asarray(conf)[idx], presence)
    return out
