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
    v = np.cross(a, b)
    c = (a * b).sum(-1)
    vx = np.zeros(a.shape[:1] + (3, 3))
    vx[:, 0, 1], vx[:, 0, 2], vx[:, 1, 0] = -v[:, 2], v[:, 1], v[:, 2]
    vx[:, 1, 2], vx[:, 2, 0], vx[:, 2, 1] = -v[:, 0], -v[:, 1], v[:, 0]
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
    d = rng.uniform(np.maximum(ranges.distance_m[0], d_fit), ranges.distance_m[1])
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
