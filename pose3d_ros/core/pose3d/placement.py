"""Metric placement: root-relative lifted 3D + 2D keypoints (+ optional depth)
-> absolute camera-frame 3D.

(a) No depth: the root translation T = (Tx, Ty, Tz) that makes K (rel_j + T) reproject onto
    the 2D joints. With normalised image coordinates x_j = (u_j - cx) / fx, y_j = (v_j - cy) / fy
    and rel_j = (X_j, Y_j, Z_j), the pinhole equations x_j = (X_j + Tx) / (Z_j + Tz) (same for y)
    are linear in T:
        Tx - x_j Tz = x_j Z_j - X_j,        Ty - y_j Tz = y_j Z_j - Y_j.
    Stacking 2 rows per joint gives A T = b (2J x 3); we solve the confidence-weighted normal
    equations (A^T W A) T = A^T W b. Each row's residual is the reprojection error (normalised
    units) times the joint's depth, so a second pass reweights by 1 / (Z_j + Tz)^2, which makes
    it the geometric reprojection error to first order.
    SCALE ASSUMPTION: a single camera cannot tell a small near person from a big far one. The
    lifter predicts a metric skeleton of the size learned from the adult CMU subjects (statures
    ~1.5-1.8 m), and Tz follows from it: a person k times that size is placed at Tz_true / k
    (a 1.2 m child, k ~ 0.7, comes out ~1.4x too far). Directions (x/z, y/z) are unaffected.
(b) Aligned depth image (float32 metres, H x W; 0 or NaN = hole): each confident joint takes
    the median of the valid pixels in a small window around it (holes, NaN and out-of-range
    readings are never used), plus a surface offset (the depth camera sees the skin, the joint
    is inside). Each such joint proposes a root depth d_j - Z_j; the median of the proposals,
    recomputed over the inliers within `inlier_tol_m`, is Tz when at least `min_joints` agree;
    Tx, Ty then follow from (a)'s equations with Tz fixed. Otherwise (a) is used.
Per-joint 3D confidence: the 2D confidence, times exp(-r^2 / 2 sigma^2) of the joint's depth
disagreement r when it has a depth reading, times 0.5 when a depth image was given but the
joint has no reading (or placement fell back to (a)).
A person whose placement puts any joint closer than `min_depth_m` (or behind the camera) gets
NaN joints and valid = False: the pipeline drops it, so no joint is ever put at the origin.

Size (core/pose3d/body_scale.py), before (a) and (b): the root-relative skeleton is first rescaled
to the body-height prior (`body_height_m`; 0 keeps the model's size), then, when the floor is known
(`floor`, or `camera_height_m` > 0 with `camera_pitch_deg` / `camera_roll_deg`;
core/pose3d/floor.py), by the scale that puts the lowest ankle on the floor, weighted against the
prior by their errors. Scaling about the camera centre keeps the reprojection, so (a) is unchanged
by it and the floor decides the distance. With a depth image, (b) still decides the root depth.

Reprojection consistency, last: each joint moves towards the point of its own 2D ray at its
depth by `reprojection_weight` x its 2D confidence (joints below `conf_min` stay), so the placed
skeleton reprojects onto the 2D keypoints it came from (weight 1: exactly) while its depths stay
the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.pose3d.body_scale import floor_scale, fuse_scales, prior_scale
from pose3d_ros.core.pose3d.floor import FloorPlane, floor_from_angles
from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import ConfigError, InputError


@dataclass(frozen=True)
class PlacementConfig:
    """Settings of the metric placement described in the module docstring."""

    window_radius_px: int = 2  # depth window is (2r+1) x (2r+1) pixels
    min_valid_px: int = 3  # valid depth pixels a joint needs in its window
    min_joints: int = 3  # joints with agreeing depth needed to use the depth image
    inlier_tol_m: float = 0.25
    conf_min: float = 0.3  # joints below this 2D confidence do not read depth
    surface_offset_m: float = 0.03
    agreement_sigma_m: float = 0.10
    min_depth_m: float = (
        0.2  # nearest a placed joint (and a usable depth reading) may be; node: min_root_depth_m
    )
    max_depth_m: float = 20.0
    # size and floor (core/pose3d/body_scale.py, core/pose3d/floor.py)
    body_height_m: float = 1.70  # standing height assumed for everyone; 0: the model's own size
    size_sigma: float = 0.07  # relative spread of real sizes around body_height_m
    camera_height_m: float = 0.0  # camera above the floor; 0: floor unknown
    camera_pitch_deg: float = 0.0  # optical axis below the horizontal, down positive
    camera_roll_deg: float = 0.0  # about the optical axis, clockwise from behind positive
    floor: FloorPlane | None = None  # a floor from elsewhere (TF); wins over the three above
    foot_height_m: float = 0.085  # ankle joint above the floor when standing
    foot_height_sigma_m: float = 0.04
    ray_sigma_rad: float = 0.005  # angular error of a 2D foot (about 3 px at f = 600 px)
    reprojection_weight: float = 0.5  # pull joints onto their 2D rays, x 2D confidence; 0: off

    def __post_init__(self) -> None:
        if self.window_radius_px < 0 or self.min_valid_px < 1 or self.min_joints < 1:
            raise ConfigError(f"bad depth window settings: {self}")
        if not 0.0 < self.min_depth_m < self.max_depth_m:
            raise ConfigError(
                f"need 0 < min_depth_m < max_depth_m, got {self.min_depth_m}, {self.max_depth_m}"
            )
        if not (self.body_height_m == 0.0 or 0.5 <= self.body_height_m <= 2.5):
            raise ConfigError(
                f"body_height_m must be 0 (model size) or 0.5..2.5 m, got {self.body_height_m}"
            )
        if not 0.0 <= self.camera_height_m <= 100.0:
            raise ConfigError(f"camera_height_m must be 0..100 m, got {self.camera_height_m}")
        if not -90.0 <= self.camera_pitch_deg <= 90.0:
            raise ConfigError(f"camera_pitch_deg must be -90..90, got {self.camera_pitch_deg}")
        if not -180.0 <= self.camera_roll_deg <= 180.0:
            raise ConfigError(f"camera_roll_deg must be -180..180, got {self.camera_roll_deg}")
        if not 0.0 <= self.reprojection_weight <= 1.0:
            raise ConfigError(f"reprojection_weight must be 0..1, got {self.reprojection_weight}")
        if not (self.size_sigma > 0 and self.foot_height_sigma_m > 0 and self.ray_sigma_rad > 0):
            raise ConfigError(f"size and floor error settings must be > 0: {self}")

    def floor_plane(self) -> FloorPlane | None:
        """The floor placement uses: `floor` when set, else the camera parameters, else None."""
        if self.floor is not None:
            return self.floor
        if self.camera_height_m > 0.0:
            return floor_from_angles(
                self.camera_height_m, self.camera_pitch_deg, self.camera_roll_deg
            )
        return None


@dataclass(frozen=True)
class Placement:
    """joints3d_m (N, J, 3) m camera optical frame (NaN where not valid); conf3d (N, J) in [0, 1];
    used_depth (N,) bool: root depth came from the depth image; valid (N,) bool;
    scale (N,): the size applied to the model's skeleton (prior x floor);
    used_floor (N,) bool: the floor took part in the size."""

    joints3d_m: np.ndarray
    conf3d: np.ndarray
    used_depth: np.ndarray
    valid: np.ndarray
    scale: np.ndarray | None = None
    used_floor: np.ndarray | None = None


def _normalised(j2d_px: np.ndarray, intr: CameraIntrinsics) -> np.ndarray:
    return (j2d_px - np.array([intr.cx_px, intr.cy_px])) / np.array([intr.fx_px, intr.fy_px])


def solve_translation(
    rel_m: np.ndarray, j2d_px: np.ndarray, conf: np.ndarray, intrinsics: CameraIntrinsics
) -> np.ndarray:
    """(N, J, 3) m root-relative + (N, J, 2) px + (N, J) weights
    -> (N, 3) m root translation (method a)."""
    xy = _normalised(j2d_px, intrinsics)
    w = np.clip(conf, 0.0, None).astype(np.float64)
    w = np.where(w.sum(axis=1, keepdims=True) > 1e-6, w, 1.0)
    w = w + 1e-6 * w.max(axis=1, keepdims=True)  # every joint counts a little: never rank 2
    n, jn = xy.shape[:2]
    a = np.zeros((n, jn, 2, 3))
    a[:, :, 0, 0] = 1.0
    a[:, :, 1, 1] = 1.0
    a[:, :, :, 2] = -xy
    b = xy * rel_m[..., 2:3] - rel_m[..., :2]
    t = np.zeros((n, 3))
    wi = w
    for _ in range(2):
        ata = np.einsum("njri,nj,njrk->nik", a, wi, a)
        atb = np.einsum("njri,nj,njr->ni", a, wi, b)
        ata += np.eye(3) * (1e-12 + 1e-12 * np.trace(ata, axis1=1, axis2=2))[:, None, None]
        try:
            t = np.linalg.solve(ata, atb[..., None])[..., 0]
        except np.linalg.LinAlgError:  # degenerate 2D (all joints on one ray): least norm
            t = (np.linalg.pinv(ata) @ atb[..., None])[..., 0]
        depth = np.maximum(rel_m[..., 2] + t[:, None, 2], 1e-3)
        wi = w / depth**2
    return t


def joint_depths(
    j2d_px: np.ndarray, conf: np.ndarray, depth_m: np.ndarray, config: PlacementConfig
) -> np.ndarray:
    """(N, J) median depth (m) of the valid pixels around each joint;
    NaN where too few or not confident."""
    h, w = depth_m.shape
    r = config.window_radius_px
    off = np.arange(-r, r + 1)
    uv = np.rint(j2d_px).astype(np.int64)
    us = uv[..., 0, None, None] + off[None, :]  # (N, J, 1, K)
    vs = uv[..., 1, None, None] + off[:, None]  # (N, J, K, 1)
    inside = (us >= 0) & (us < w) & (vs >= 0) & (vs < h)
    vals = depth_m[np.clip(vs, 0, h - 1), np.clip(us, 0, w - 1)].astype(np.float64)
    with np.errstate(invalid="ignore"):
        ok = (
            inside & np.isfinite(vals) & (vals >= config.min_depth_m) & (vals <= config.max_depth_m)
        )
    vals = np.where(ok, vals, np.inf).reshape(vals.shape[:2] + (-1,))
    count = ok.reshape(vals.shape).sum(axis=-1)
    vals.sort(axis=-1)
    lo = np.take_along_axis(vals, np.maximum((count - 1) // 2, 0)[..., None], -1)[..., 0]
    hi = np.take_along_axis(vals, np.maximum(count // 2, 0)[..., None], -1)[..., 0]
    good = (count >= config.min_valid_px) & (np.asarray(conf) >= config.conf_min)
    with np.errstate(invalid="ignore"):
        return np.where(good, 0.5 * (lo + hi), np.nan)


def _root_depth_from_joints(d_j: np.ndarray, rel_z: np.ndarray, config: PlacementConfig):
    """Robust root depth for one person from per-joint depth readings, or None."""
    prop = d_j + config.surface_offset_m - rel_z
    prop = prop[np.isfinite(prop)]
    if prop.size < config.min_joints:
        return None
    med = np.median(prop)
    inl = prop[np.abs(prop - med) <= config.inlier_tol_m]
    if inl.size < config.min_joints:
        return None
    return float(np.median(inl))


def place_with_confidence(
    rel_m: np.ndarray,
    j2d_px: np.ndarray,
    conf: np.ndarray,
    intrinsics: CameraIntrinsics,
    depth_m: np.ndarray | None = None,
    config: PlacementConfig | None = None,
) -> Placement:
    """Place N lifted people (see the module docstring for the method and its assumptions).

    rel_m: (N, J, 3) m root-relative camera optical frame; j2d_px: (N, J, 2); conf: (N, J);
    depth_m: optional (H, W) m aligned to the image the 2D joints are in.
    """
    cfg = config or PlacementConfig()
    rel = np.asarray(rel_m, dtype=np.float64)
    j2d = np.asarray(j2d_px, dtype=np.float64)
    c = np.clip(np.asarray(conf, dtype=np.float64), 0.0, 1.0)
    if (
        rel.ndim != 3
        or rel.shape[-1] != 3
        or j2d.shape != rel.shape[:2] + (2,)
        or c.shape != rel.shape[:2]
    ):
        raise InputError(
            "expected rel (N, J, 3), 2D (N, J, 2), conf (N, J); got "
            f"{rel.shape}, {j2d.shape}, {c.shape}"
        )
    if depth_m is not None and np.ndim(depth_m) != 2:
        raise InputError(f"depth image must be (H, W), got {np.shape(depth_m)}")
    rel, t, scale, used_floor = _sized(rel, j2d, c, intrinsics, cfg)
    conf3d = c.copy()
    used = np.zeros(rel.shape[0], dtype=bool)
    if depth_m is not None:
        d = joint_depths(j2d, c, np.asarray(depth_m), cfg)
        xy = _normalised(j2d, intrinsics)
        for i in range(rel.shape[0]):
            tz = _root_depth_from_joints(d[i], rel[i, :, 2], cfg)
            if tz is None:
                conf3d[i] *= 0.5
                continue
            w = c[i] if c[i].sum() > 1e-6 else np.ones_like(c[i])
            txy = (w[:, None] * (xy[i] * (rel[i, :, 2:3] + tz) - rel[i, :, :2])).sum(0) / w.sum()
            t[i] = [txy[0], txy[1], tz]
            used[i] = True
            resid = d[i] + cfg.surface_offset_m - (rel[i, :, 2] + tz)
            agree = np.where(
                np.isfinite(resid),
                np.exp(-0.5 * (np.nan_to_num(resid) / cfg.agreement_sigma_m) ** 2),
                0.5,
            )
            conf3d[i] = c[i] * agree
    out = rel + t[:, None, :]
    if cfg.reprojection_weight > 0.0:
        out = onto_rays(
            out, j2d, np.where(c >= cfg.conf_min, c, 0.0) * cfg.reprojection_weight, intrinsics
        )
    valid = np.all(np.isfinite(out), axis=(1, 2)) & (out[..., 2].min(axis=1) >= cfg.min_depth_m)
    out[~valid] = np.nan
    conf3d[~valid] = 0.0
    return Placement(out, conf3d, used, valid, scale, used_floor)


def _sized(rel, j2d, conf, intrinsics, cfg: PlacementConfig):
    """Rescale (N, J, 3) rel by the body-height prior and the floor; (rel scaled, translation
    (N, 3) by reprojection for it, scale (N,), floor used (N,) bool)."""
    scale = prior_scale(rel, cfg.body_height_m) if rel.shape[1] == 17 else np.ones(rel.shape[0])
    rel = rel * scale[:, None, None]
    t = solve_translation(rel, j2d, conf, intrinsics)
    floor = cfg.floor_plane()
    used_floor = np.zeros(rel.shape[0], dtype=bool)
    if floor is not None and rel.shape[1] == 17 and rel.shape[0] > 0:
        lam, sigma = floor_scale(
            rel + t[:, None, :],
            conf >= cfg.conf_min,
            floor,
            cfg.foot_height_m,
            cfg.foot_height_sigma_m,
            cfg.ray_sigma_rad,
        )
        used_floor = np.isfinite(lam) & np.all(np.isfinite(t), axis=1)
        s_floor = fuse_scales(lam, sigma, cfg.size_sigma)
        rel, t, scale = rel * s_floor[:, None, None], t * s_floor[:, None], scale * s_floor
    return rel, t, scale, used_floor


def onto_rays(
    joints_m: np.ndarray, j2d_px: np.ndarray, weight: np.ndarray, intrinsics: CameraIntrinsics
) -> np.ndarray:
    """Move each (N, J, 3) m joint towards the point of its 2D ray at the same depth by weight
    (N, J) in [0, 1] (1: it reprojects exactly onto j2d_px); depths are kept. New array."""
    xy = _normalised(np.asarray(j2d_px, dtype=np.float64), intrinsics)
    z = joints_m[..., 2:3]
    on_ray = xy * z
    w = np.clip(np.asarray(weight, dtype=np.float64), 0.0, 1.0)[..., None]
    moved = joints_m[..., :2] + w * (on_ray - joints_m[..., :2])
    return np.concatenate([moved, z], axis=-1)


def place(
    rel_m: np.ndarray,
    j2d_px: np.ndarray,
    conf: np.ndarray,
    intrinsics: CameraIntrinsics,
    depth_m: np.ndarray | None = None,
    config: PlacementConfig | None = None,
) -> np.ndarray:
    """(N, J, 3) m absolute camera-frame joints (NaN for people that could not be placed)."""
    return place_with_confidence(rel_m, j2d_px, conf, intrinsics, depth_m, config).joints3d_m
