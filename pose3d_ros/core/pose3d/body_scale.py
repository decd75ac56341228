"""How big a lifted person is: a body-height prior, and the floor's measurement of the size.

One camera sees a person's shape, not their size: a skeleton k times bigger placed k times further
reprojects identically. The lifter (and BlazePose's world output) answer with the size of the bodies
they were trained on. Placement (core/pose3d/placement.py) rescales that skeleton about the camera
centre (all joints and the root translation times s, which keeps the reprojection) by:

- the prior: s_prior = body_height_m / stature of the lifted skeleton (`stature_m`);
- the floor, when known: s_floor puts the lowest foot at `foot_height_m` above the floor
  (the ankle joint's height when standing; CMU test subjects: median 0.086 m);
- both combined in log space, each weighted by its inverse variance: the prior's relative spread
  `size_sigma` (people differ), the floor's relative error sigma_floor
  = sqrt(foot_height_sigma_m^2 + (ray_sigma_rad * distance)^2) / (camera height - foot height):
  a floor seen at a grazing angle (a low camera, a far person) measures little.

Stature from a skeleton: STATURE_PER_CHAIN x (mean leg length hip-knee-ankle + the trunk chain
pelvis-spine-thorax-neck-head). 1.03 is the median over the 24 CMU subjects of (95th percentile of
the head-top height in frames with both ankles below 0.13 m) / (median chain length), spread 0.012;
`.venv/bin/python -m dev.eval_placement --calibrate` prints it.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.pose3d.floor import FloorPlane

STATURE_PER_CHAIN = 1.03
LEGS = ((1, 2), (2, 3), (4, 5), (5, 6))  # hip-knee, knee-ankle, both sides (H36M-17)
TRUNK = ((0, 7), (7, 8), (8, 9), (9, 10))  # pelvis-spine-thorax-neck-head
ANKLES = (3, 6)


def chain_length_m(joints_m: np.ndarray) -> np.ndarray:
    """(..., 17, 3) m -> (...) m: mean leg length + trunk chain length (pose-independent)."""
    j = np.asarray(joints_m, dtype=np.float64)

    def bone(a: int, b: int) -> np.ndarray:
        return np.linalg.norm(j[..., a, :] - j[..., b, :], axis=-1)

    legs = 0.5 * sum(bone(a, b) for a, b in LEGS)
    return legs + sum(bone(a, b) for a, b in TRUNK)


def stature_m(joints_m: np.ndarray) -> np.ndarray:
    """(..., 17, 3) m -> (...) m estimated standing height, floor to top of the head."""
    return STATURE_PER_CHAIN * chain_length_m(joints_m)


def prior_scale(joints_m: np.ndarray, body_height_m: float) -> np.ndarray:
    """(N, 17, 3) m -> (N,) factor that gives each skeleton the stature body_height_m
    (1 where body_height_m is 0, i.e. keep the model's size, or the skeleton is degenerate)."""
    st = stature_m(joints_m)
    if body_height_m <= 0.0:
        return np.ones(st.shape)
    ok = np.isfinite(st) & (st > 0.1)
    return np.where(ok, body_height_m / np.where(ok, st, 1.0), 1.0)


def floor_scale(
    placed_m: np.ndarray,
    foot_ok: np.ndarray,
    floor: FloorPlane,
    foot_height_m: float,
    foot_height_sigma_m: float,
    ray_sigma_rad: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Scale about the camera centre that puts each person's lowest ankle at foot_height_m above
    the floor, and its relative error (both NaN where the floor says nothing: foot not below
    the camera, or the camera not above the foot).

    placed_m: (N, 17, 3) m optical frame, placed at the current size; foot_ok: (N, 17) bool, the
    ankle was seen in 2D (an unseen one, guessed by the lifter, counts with 3x the height error).
    """
    p = np.asarray(placed_m, dtype=np.float64)
    ankles = p[:, ANKLES]  # (N, 2, 3)
    h0 = ankles @ floor.up_cam  # heights relative to the camera, negative below it
    low = np.argmin(h0, axis=1)
    rows = np.arange(p.shape[0])
    h_foot = h0[rows, low]
    drop_m = floor.camera_height_m - foot_height_m  # camera above the foot's height
    usable = (h_foot < -1e-3) & (drop_m > 0.05)
    lam = np.where(usable, -drop_m / np.where(usable, h_foot, -1.0), np.nan)
    seen = np.asarray(foot_ok)[:, ANKLES][rows, low]
    sigma_h = foot_height_sigma_m * np.where(seen, 1.0, 3.0)
    dist_m = lam * np.linalg.norm(ankles[rows, low], axis=-1)
    sigma = np.sqrt(sigma_h**2 + (ray_sigma_rad * dist_m) ** 2) / max(drop_m, 1e-6)
    return lam, np.where(usable, sigma, np.nan)


def fuse_scales(floor_s: np.ndarray, floor_sigma: np.ndarray, size_sigma: float) -> np.ndarray:
    """(N,) floor scale + its relative error, against the prior (scale 1, relative spread
    size_sigma) -> (N,) inverse-variance weighted in log space; 1 where the floor is NaN."""
    ok = np.isfinite(floor_s) & np.isfinite(floor_sigma) & (np.nan_to_num(floor_s) > 0)
    w_f = np.where(ok, 1.0 / np.maximum(np.nan_to_num(floor_sigma, nan=1.0), 1e-6) ** 2, 0.0)
    w_p = 1.0 / size_sigma**2
    log_s = np.where(ok, np.log(np.where(ok, floor_s, 1.0)), 0.0) * w_f / (w_f + w_p)
    return np.exp(log_s)
