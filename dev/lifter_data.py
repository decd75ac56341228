"""CMU mocap -> (2D px, conf, camera, 3D camera-frame) samples for training and
evaluating the lifter.

numpy only (shared by the torch training script, the evaluation and the NN baseline library).

World data: ../shared/data/cmu_mocap (metres, +Y up), mapped to H36M-17 with `cmu_to_h36m`.
A virtual pinhole camera per sample (all ranges in `CameraRanges`):
  - the person is re-centred horizontally on the pelvis and turned by a random yaw
    (equivalently the camera walks around the person), optionally mirrored (x -> -x, L <-> R);
  - camera at horizontal distance d and height h, looking at the pelvis, then rolled;
  - focal f and an image size from a list; d is raised where needed so the person fits;
  - the pelvis is put at a random image position (off-centre included): the camera rotates
    so the pelvis ray passes through that pixel, which changes the perspective as a real
    off-centre person's does.
Noise model (`NoiseModel`): per-sample Gaussian jitter proportional to the person's 2D height,
larger on the synthesised neck/head, occasional large outliers (lower confidence), and joint
or whole-limb dropout (confidence 0) -- what a detector like BlazePose gets wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dev.pose_augment import skew
from pose3d_ros.core.skeleton import H36M_LEFT, H36M_RIGHT, cmu_to_h36m

IMAGE_SIZES_PX = np.array(
    [[640, 480], [848, 480], [1024, 768], [1280, 720], [1280, 960], [1920, 1080]]
)
_SWAP = np.arange(17)
_SWAP[list(H36M_LEFT)] = H36M_RIGHT
_SWAP[list(H36M_RIGHT)] = H36M_LEFT


def shared_dir() -> Path:
    """../shared beside the repository root, or $POSE3D_SHARED."""
    default = Path(__file__).resolve().parents[1] / ".." / "shared"
    return Path(os.environ.get("POSE3D_SHARED", default)).resolve()


def cmu_path() -> Path:
    return shared_dir() / "data" / "cmu_mocap" / "cmu_mocap_joints30.npz"


@dataclass(frozen=True)
class MocapSplit:
    """World poses of one split. poses_m: (F, 17, 3) H36M-17, metres, +Y up.

    subject: (F,) CMU subject per frame; clip: (F,) clip index into clip_names/descriptions.
    """

    poses_m: np.ndarray
    subject: np.ndarray
    clip: np.ndarray
    clip_names: tuple
    descriptions: tuple


def load_split(split: str, path: Path | None = None) -> MocapSplit:
    """Load the subject-wise split ('train' | 'val' | 'test') of the CMU data as H36M-17."""
    import csv

    path = path or cmu_path()
    d = np.load(path)
    off, names, positions = d["clip_offsets"], [str(n) for n in d["clip_name"]], d["positions"]
    desc = {}
    csv_path = path.parent / "clips.csv"
    if csv_path.is_file():
        with open(csv_path, newline="") as f:
            for row in csv.DictReader(f):
                desc[row["clip"]] = row.get("description", "")
    clips = np.flatnonzero(d["split"] == split)
    subjects = d["subject"]
    pos = np.concatenate([positions[off[k] : off[k + 1]] for k in clips])
    subj = np.concatenate([np.full(off[k + 1] - off[k], subjects[k]) for k in clips])
    clip = np.concatenate([np.full(off[k + 1] - off[k], i) for i, k in enumerate(clips)])
    return MocapSplit(
        cmu_to_h36m(pos).astype(np.float64),
        subj,
        clip,
        tuple(names[k] for k in clips),
        tuple(desc.get(names[k], "") for k in clips),
    )


def subject_weights(subject: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Per-frame sampling probabilities so a subject's share is ~ frames**power
    (0.5: sqrt-balanced)."""
    ids, inv, counts = np.unique(subject, return_inverse=True, return_counts=True)
    w = counts.astype(np.float64) ** (power - 1.0)
    p = w[inv]
    return p / p.sum()


@dataclass(frozen=True)
class CameraRanges:
    """Ranges the per-sample virtual camera is drawn from (sample_views); units in the names."""

    distance_m: tuple = (1.5, 8.0)
    height_m: tuple = (0.3, 3.0)
    focal_px: tuple = (400.0, 1500.0)
    roll_sigma_rad: float = np.deg2rad(4.0)
    roll_max_rad: float = np.deg2rad(15.0)
    fit_fraction: float = (
        0.9  # the person's ~1.9 m must take at most this fraction of the image height
    )


@dataclass(frozen=True)
class NoiseModel:
    """Settings of the 2D noise apply_noise adds: jitter, outliers, joint and limb dropout."""

    clean_fraction: float = 0.25  # samples with exact 2D and confidence 1
    sigma_rel: tuple = (0.003, 0.025)  # Gaussian sigma as a fraction of the 2D person height
    head_factor: float = 2.0  # extra jitter on the synthesised neck/head
    outlier_prob: float = 0.02
    outlier_sigma_rel: float = 0.12
    dropout_sample_prob: float = 0.3  # samples that get per-joint dropout
    dropout_joint_prob: float = 0.12
    limb_drop_prob: float = 0.08  # whole legs or one arm missing (truncation, occlusion)


def _rot_y(yaw: np.ndarray) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    z, o = np.zeros_like(yaw), np.ones_like(yaw)
    return np.stack(
        [np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2
    )


def _rot_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(B, 3, 3) smallest rotations taking unit vectors a (B, 3) onto b (B, 3)
    (never opposite here)."""
    vx = skew(np.cross(a, b))
    c = (a * b).sum(-1)
    return np.eye(3) + vx + vx @ vx / (1.0 + c)[:, None, None]


def sample_views(
    world_m: np.ndarray,
    rng: np.random.Generator,
    ranges: CameraRanges = CameraRanges(),
    mirror: bool = True,
):
    """World poses (B, 17, 3) -> camera-frame 3D (B, 17, 3) m, 2D (B, 17, 2) px, focal (B, 2),
    center (B, 2).

    Optical frame: x right, y down, z forward. Also returns the image sizes (B, 2) px.
    """
    b = world_m.shape[0]
    p = world_m - world_m[:, :1, :] * np.array([1.0, 0.0, 1.0])  # pelvis above the world origin
    if mirror:
        flip = rng.random(b) < 0.5
        p = np.where(flip[:, None, None], p[:, _SWAP] * np.array([-1.0, 1.0, 1.0]), p)
    p = p @ _rot_y(rng.uniform(-np.pi, np.pi, b)).transpose(0, 2, 1)
    size = IMAGE_SIZES_PX[rng.integers(0, len(IMAGE_SIZES_PX), b)].astype(np.float64)
    f = rng.uniform(*ranges.focal_px, b)
    d_fit = f * 1.9 / (ranges.fit_fraction * size[:, 1])
    d_lo = np.maximum(ranges.distance_m[0], d_fit)
    d = rng.uniform(d_lo, np.maximum(d_lo, ranges.distance_m[1]))  # long lens: no inverted range
    d = np.maximum(
        d, np.minimum(d_fit, 12.0)
    )  # a long lens may need more than 8 m to fit the person
    h = rng.uniform(*ranges.height_m, b)
    cam = np.stack([np.zeros(b), h, d], -1)
    target = p[:, 0, :]
    fwd = target - cam
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    x_ax = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    x_ax /= np.linalg.norm(x_ax, axis=-1, keepdims=True)
    y_ax = np.cross(fwd, x_ax)
    r_look = np.stack([x_ax, y_ax, fwd], axis=-2)
    roll = np.clip(
        rng.normal(0.0, ranges.roll_sigma_rad, b), -ranges.roll_max_rad, ranges.roll_max_rad
    )
    cr, sr, z, o = np.cos(roll), np.sin(roll), np.zeros(b), np.ones(b)
    r_roll = np.stack(
        [np.stack([cr, -sr, z], -1), np.stack([sr, cr, z], -1), np.stack([z, z, o], -1)], -2
    )
    center = size / 2.0 + rng.uniform(-0.02, 0.02, (b, 2)) * size
    half_body_px = 0.5 * 1.9 * f / d  # keep the pelvis where the body roughly fits in the image
    margin = np.stack(
        [
            np.minimum(0.3 * 1.9 * f / d, 0.45 * size[:, 0]),
            np.minimum(half_body_px, 0.45 * size[:, 1]),
        ],
        -1,
    )
    pix = rng.uniform(margin, size - margin)
    ray = np.concatenate([(pix - center) / f[:, None], np.ones((b, 1))], -1)
    ray /= np.linalg.norm(ray, axis=-1, keepdims=True)
    r_off = _rot_between(np.tile([0.0, 0.0, 1.0], (b, 1)), ray)
    rot = r_off @ r_roll @ r_look
    cam3d = (p - cam[:, None, :]) @ rot.transpose(0, 2, 1)
    focal = np.stack([f, f], -1)
    uv = cam3d[..., :2] / cam3d[..., 2:3] * focal[:, None, :] + center[:, None, :]
    return cam3d, uv, focal, center, size


def apply_noise(uv_px: np.ndarray, rng: np.random.Generator, noise: NoiseModel = NoiseModel()):
    """Clean 2D (B, 17, 2) px -> (noisy 2D (B, 17, 2) px, confidence (B, 17)).
    Inputs are not modified."""
    b = uv_px.shape[0]
    height = np.ptp(uv_px[..., 1], axis=1) + 1e-6
    sigma = rng.uniform(*noise.sigma_rel, b) * height
    clean = rng.random(b) < noise.clean_fraction
    sigma[clean] = 0.0
    factor = np.ones(17)
    factor[[9, 10]] = noise.head_factor
    out = uv_px + rng.normal(size=uv_px.shape) * (sigma[:, None] * factor)[..., None]
    conf = rng.uniform(0.6, 1.0, (b, 17))
    outl = (rng.random((b, 17)) < noise.outlier_prob) & ~clean[:, None]
    out = (
        out
        + outl[..., None]
        * rng.normal(size=uv_px.shape)
        * (noise.outlier_sigma_rel * height)[:, None, None]
    )
    conf = np.where(outl, rng.uniform(0.3, 0.8, (b, 17)), conf)
    drop = (rng.random((b, 17)) < noise.dropout_joint_prob) & (
        rng.random(b) < noise.dropout_sample_prob
    )[:, None]
    legs = rng.random(b) < noise.limb_drop_prob / 2
    arm = rng.random(b) < noise.limb_drop_prob / 2
    arm_joints = np.where(rng.random(b) < 0.5, 1, 0)
    drop[legs[:, None] & np.isin(np.arange(17), [2, 3, 5, 6])[None]] = True
    drop[arm & (arm_joints == 1), 12:14] = True
    drop[arm & (arm_joints == 0), 15:17] = True
    drop &= ~clean[:, None]
    drop[:, 0] = False
    conf = np.where(drop, 0.0, conf)
    conf[clean] = 1.0
    return out, conf


# ---- robot and room viewpoints (issue 13): wide ranges, truncation, fixed cameras for sequences


@dataclass(frozen=True)
class RoomRanges:
    """Virtual cameras of robots and rooms (sample_room_cameras); units in the names.

    distance_m: camera to pelvis, log-uniform. pitch_deg: elevation of the pelvis line of sight
    (negative: the camera looks down), uniform over the part of the range that the camera height
    allows at that distance. roll: N(0, roll_sigma) for most cameras, uniform up to roll_max for
    `tilted_fraction` of them. focal_px: log-uniform, then raised so the person is at least
    `min_person_px` tall, and (for the `truncated_fraction` not meant to be cut) lowered so it
    fits in `fit_fraction` of the image height where the lower bound allows. Truncated samples put
    the pelvis anywhere in the image, so limbs leave the frame.
    """

    distance_m: tuple = (0.5, 20.0)
    height_m: tuple = (0.3, 4.0)
    pitch_deg: tuple = (-60.0, 30.0)
    roll_sigma_deg: float = 4.0
    roll_max_deg: float = 30.0
    tilted_fraction: float = 0.3
    focal_px: tuple = (250.0, 3000.0)
    min_person_px: float = 60.0
    fit_fraction: float = 0.9
    truncated_fraction: float = 0.3


@dataclass(frozen=True)
class Cameras:
    """B pinhole cameras in the (re-centred) world: rot (B, 3, 3) world -> optical frame rows,
    pos_m (B, 3), focal_px (B, 2), center_px (B, 2), size_px (B, 2) w, h, and the drawn
    conditions: distance_m (B,), pitch_deg (B,) of the pelvis line of sight."""

    rot: np.ndarray
    pos_m: np.ndarray
    focal_px: np.ndarray
    center_px: np.ndarray
    size_px: np.ndarray
    distance_m: np.ndarray
    pitch_deg: np.ndarray

    def project(self, world_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, ..., J, 3) world m -> camera-frame (B, ..., J, 3) m and (B, ..., J, 2) px.

        Points at depth < 0.05 m get the pixel of depth 0.05 m (off-frame anyway)."""
        b = world_m.shape[0]
        extra = (1,) * (world_m.ndim - 2)
        rel = world_m - self.pos_m.reshape((b,) + extra + (3,))
        rt = self.rot.transpose(0, 2, 1).reshape((b,) + extra[:-1] + (3, 3))
        cam3d = rel @ rt
        z = np.maximum(cam3d[..., 2:3], 0.05)
        f = self.focal_px.reshape((b,) + extra + (2,))
        c = self.center_px.reshape((b,) + extra + (2,))
        return cam3d, cam3d[..., :2] / z * f + c

    def in_frame(self, cam3d: np.ndarray, uv_px: np.ndarray) -> np.ndarray:
        """(B, ..., J) bool: in front of the camera and inside the image."""
        b = uv_px.shape[0]
        size = self.size_px.reshape((b,) + (1,) * (uv_px.ndim - 2) + (2,))
        inside = (uv_px >= 0.0) & (uv_px < size)
        return inside.all(axis=-1) & (cam3d[..., 2] > 0.05)


def orient_world(world_m: np.ndarray, rng: np.random.Generator, mirror: bool = True) -> np.ndarray:
    """(B, ..., 17, 3) -> the same poses with the last frame's pelvis above the origin, turned by a
    random yaw and (mirror) mirrored with probability 0.5; one transform per sample."""
    b = world_m.shape[0]
    anchor = world_m.reshape(b, -1, 17, 3)[:, -1, 0] * np.array([1.0, 0.0, 1.0])
    shape = (b,) + (1,) * (world_m.ndim - 2) + (3,)
    p = world_m - anchor.reshape(shape)
    if mirror:
        flip = (rng.random(b) < 0.5).reshape((b,) + (1,) * (world_m.ndim - 1))
        p = np.where(flip, p[..., _SWAP, :] * np.array([-1.0, 1.0, 1.0]), p)
    r = _rot_y(rng.uniform(-np.pi, np.pi, b)).transpose(0, 2, 1)
    return p @ r.reshape((b,) + (1,) * (world_m.ndim - 3) + (3, 3))


def sample_room_cameras(
    pelvis_m: np.ndarray, rng: np.random.Generator, ranges: RoomRanges = RoomRanges()
) -> tuple[Cameras, np.ndarray]:
    """Cameras around pelvis positions (B, 3) (world, +Y up, horizontally near the origin).

    Returns the cameras and (B,) bool: samples meant to be truncated. Never inverts a range:
    every bound is ordered before it is drawn from (the old sampler's `high - low < 0`).
    """
    b = pelvis_m.shape[0]
    lo, hi = np.log(ranges.distance_m[0]), np.log(ranges.distance_m[1])
    d = np.exp(rng.uniform(lo, hi, b))
    y_p = pelvis_m[:, 1]
    # elevation of the line of sight from the camera to the pelvis: sin = (y_p - h) / d
    s_lo = np.clip((y_p - ranges.height_m[1]) / d, -1.0, 1.0)
    s_hi = np.clip((y_p - ranges.height_m[0]) / d, -1.0, 1.0)
    a_lo = np.maximum(np.arcsin(s_lo), np.deg2rad(ranges.pitch_deg[0]))
    a_hi = np.minimum(np.arcsin(s_hi), np.deg2rad(ranges.pitch_deg[1]))
    a_hi = np.maximum(a_hi, a_lo)  # infeasible (pelvis far outside the height band): a_lo
    pitch = rng.uniform(a_lo, a_hi)
    horiz = d * np.cos(pitch)
    cam_pos = np.stack([pelvis_m[:, 0], y_p - d * np.sin(pitch), pelvis_m[:, 2] + horiz], -1)
    size = IMAGE_SIZES_PX[rng.integers(0, len(IMAGE_SIZES_PX), b)].astype(np.float64)
    f = np.exp(rng.uniform(np.log(ranges.focal_px[0]), np.log(ranges.focal_px[1]), b))
    truncated = rng.random(b) < ranges.truncated_fraction
    f_fit = ranges.fit_fraction * size[:, 1] * d / 1.9
    f = np.where(truncated, f, np.minimum(f, np.maximum(f_fit, ranges.focal_px[0])))
    f = np.maximum(f, ranges.min_person_px * d / 1.9)
    roll = np.where(
        rng.random(b) < ranges.tilted_fraction,
        rng.uniform(-1.0, 1.0, b) * np.deg2rad(ranges.roll_max_deg),
        np.clip(rng.normal(0.0, np.deg2rad(ranges.roll_sigma_deg), b), -0.5, 0.5),
    )
    body_px = 1.9 * f / d
    margin = np.where(
        truncated[:, None],
        0.02 * size,
        np.stack(
            [
                np.minimum(0.3 * body_px, 0.45 * size[:, 0]),
                np.minimum(0.5 * body_px, 0.45 * size[:, 1]),
            ],
            -1,
        ),
    )
    rot, center = _aim(cam_pos, pelvis_m, roll, f, size, margin, rng)
    cams = Cameras(rot, cam_pos, np.stack([f, f], -1), center, size, d, np.rad2deg(pitch))
    return cams, truncated


def _aim(cam_pos, target, roll, f, size, margin, rng):
    """Rotations (B, 3, 3) of cameras at cam_pos looking at target (B, 3), rolled, then turned so
    the target lands on a random pixel at least margin (B, 2) px inside the image; and the
    principal points (B, 2) (within 2 % of the image centre)."""
    b = cam_pos.shape[0]
    fwd = target - cam_pos
    fwd = fwd / np.linalg.norm(fwd, axis=-1, keepdims=True)
    x_ax = np.cross(fwd, np.array([0.0, 1.0, 0.0]))
    x_ax /= np.maximum(np.linalg.norm(x_ax, axis=-1, keepdims=True), 1e-9)
    y_ax = np.cross(fwd, x_ax)
    r_look = np.stack([x_ax, y_ax, fwd], axis=-2)
    cr, sr, z, o = np.cos(roll), np.sin(roll), np.zeros(b), np.ones(b)
    r_roll = np.stack(
        [np.stack([cr, -sr, z], -1), np.stack([sr, cr, z], -1), np.stack([z, z, o], -1)], -2
    )
    center = size / 2.0 + rng.uniform(-0.02, 0.02, (b, 2)) * size
    pix = rng.uniform(margin, np.maximum(margin, size - margin))
    ray = np.concatenate([(pix - center) / f[:, None], np.ones((b, 1))], -1)
    ray /= np.linalg.norm(ray, axis=-1, keepdims=True)
    r_off = _rot_between(np.tile([0.0, 0.0, 1.0], (b, 1)), ray)
    return r_off @ r_roll @ r_look, center


def protocol_cameras(
    pelvis_m: np.ndarray, rng: np.random.Generator, ranges: CameraRanges = CameraRanges()
) -> Cameras:
    """One camera per pelvis position (B, 3) drawn as sample_views draws them (the evaluation
    protocol's distribution), for sequences that keep one camera over many frames."""
    b = pelvis_m.shape[0]
    size = IMAGE_SIZES_PX[rng.integers(0, len(IMAGE_SIZES_PX), b)].astype(np.float64)
    f = rng.uniform(*ranges.focal_px, b)
    d_fit = f * 1.9 / (ranges.fit_fraction * size[:, 1])
    d_lo = np.maximum(ranges.distance_m[0], d_fit)
    d = rng.uniform(d_lo, np.maximum(d_lo, ranges.distance_m[1]))
    d = np.maximum(d, np.minimum(d_fit, 12.0))
    h = rng.uniform(*ranges.height_m, b)
    cam_pos = pelvis_m * np.array([1.0, 0.0, 1.0]) + np.stack([np.zeros(b), h, d], -1)
    roll = np.clip(
        rng.normal(0.0, ranges.roll_sigma_rad, b), -ranges.roll_max_rad, ranges.roll_max_rad
    )
    margin = np.stack(
        [
            np.minimum(0.3 * 1.9 * f / d, 0.45 * size[:, 0]),
            np.minimum(0.95 * f / d, 0.45 * size[:, 1]),
        ],
        -1,
    )
    rot, center = _aim(cam_pos, pelvis_m, roll, f, size, margin, rng)
    dist = np.linalg.norm(pelvis_m - cam_pos, axis=-1)
    pitch = np.rad2deg(np.arcsin((pelvis_m[:, 1] - cam_pos[:, 1]) / dist))
    return Cameras(rot, cam_pos, np.stack([f, f], -1), center, size, dist, pitch)


def sample_room_views(
    world_m: np.ndarray,
    rng: np.random.Generator,
    ranges: RoomRanges = RoomRanges(),
    mirror: bool = True,
):
    """World poses (B, 17, 3) -> (cam3d (B, 17, 3) m, uv (B, 17, 2) px, in_frame (B, 17),
    Cameras): one robot/room camera per sample (RoomRanges), truncation included."""
    p = orient_world(world_m, rng, mirror)
    cams, _ = sample_room_cameras(p[:, 0], rng, ranges)
    cam3d, uv = cams.project(p)
    return cam3d, uv, cams.in_frame(cam3d, uv), cams


# ---- 2D noise fitted to the real 2D stage (dev/noise_fit.py -> dev/noise2d_fit.json)


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7)."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _interp_rows(u: np.ndarray, table: np.ndarray) -> np.ndarray:
    """u (..., J) in [0, 1] -> per joint j the linear interpolation of table[j] (J, Q) at
    u * (Q - 1) (table rows: quantiles at evenly spaced probabilities)."""
    q = table.shape[1]
    x = np.clip(u, 0.0, 1.0) * (q - 1)
    i0 = np.minimum(x.astype(np.int64), q - 2)
    frac = x - i0
    j = np.arange(table.shape[0])
    lo = table[j, i0]
    return lo + frac * (table[j, i0 + 1] - lo)


@dataclass(frozen=True)
class FittedNoise:
    """The 2D stage's error model fitted by dev.noise_fit (see that module for the fields).

    scale: multiplies the fitted Gaussian sigma (1 = as measured); clean_fraction: samples with
    exact 2D (confidence 1 in frame, 0 off frame)."""

    params: dict
    scale: float = 1.0
    clean_fraction: float = 0.0

    @staticmethod
    def load(path: Path | None = None, **kw) -> FittedNoise:
        import json

        path = path or Path(__file__).resolve().parent / "noise2d_fit.json"
        return FittedNoise(json.loads(Path(path).read_text()), **kw)


def apply_fitted_noise(
    uv_px: np.ndarray,
    in_frame: np.ndarray,
    rng: np.random.Generator,
    noise: FittedNoise,
    scale: np.ndarray | float | None = None,
):
    """Clean 2D (B, ..., 17, 2) px + in_frame (B, ..., 17) -> (noisy 2D, confidence (B, ..., 17)).

    Per sample (all leading dims share it): the person's size (longer side of the joints' 2D
    box over the sample), the per-person error level and the confidence copula latent; per joint:
    confidence from the fitted quantiles (off-frame joints: the off-frame quantiles), Gaussian
    error sigma_rel[j] x conf_factor(conf) x size, outliers with outlier_prob(conf). scale
    overrides noise.scale (B,) or scalar. Clean samples: exact 2D, confidence in_frame."""
    fp = noise.params
    b = uv_px.shape[0]
    lead = uv_px.shape[:-2]
    bshape = (b,) + (1,) * (len(lead) - 1)
    flat = uv_px.reshape(b, -1, 2)
    size = np.maximum(np.ptp(flat, axis=1).max(axis=-1), 1.0).reshape(bshape + (1,))
    rho = fp["conf_person_rho"]
    zp = rng.normal(size=bshape + (1,))
    zj = rng.normal(size=lead + (17,))
    u = _norm_cdf(rho * zp + np.sqrt(1.0 - rho**2) * zj)
    cq = np.asarray(fp["conf_quantiles"])  # (17, Q)
    conf = _interp_rows(u, cq)
    oq = np.asarray(fp["offframe_conf_quantiles"])
    off = _interp_rows(rng.random(lead + (17,)), np.broadcast_to(oq, cq.shape))
    conf = np.where(in_frame, conf, off)
    k = np.clip(np.digitize(conf, fp["conf_bins"]) - 1, 0, len(fp["conf_factor"]) - 1)
    s = noise.scale if scale is None else np.asarray(scale, dtype=np.float64).reshape(bshape + (1,))
    ls = fp["person_log_sigma"]
    level = np.exp(ls * rng.normal(size=bshape + (1,)) - 0.5 * ls**2)
    sigma = np.asarray(fp["sigma_rel"]) * np.asarray(fp["conf_factor"])[k] * level * s * size
    out_sigma = fp["outlier_sigma_rel"] * size
    sigma = np.where(in_frame, sigma, out_sigma)
    outl = rng.random(lead + (17,)) < np.asarray(fp["outlier_prob"])[k]
    sigma = np.where(outl, np.sqrt(sigma**2 + out_sigma**2), sigma)
    noisy = uv_px + rng.normal(size=uv_px.shape) * sigma[..., None]
    clean = (rng.random(b) < noise.clean_fraction).reshape(bshape + (1,))
    noisy = np.where(clean[..., None], uv_px, noisy)
    conf = np.where(clean, in_frame.astype(np.float64), conf)
    return noisy, conf
