"""Pose augmentation for lifter training: new bodies and poses from the recorded CMU ones.

numpy only; every function takes (B, 17, 3) H36M-17 world poses (metres), and the two pose
changers also (B, T, 17, 3) windows with one draw per window (dev.train_temporal).
  - `scale_bones`: other body proportions (bone groups lengthened, joint angles kept);
  - `recombine_parts`: torso lean, arms or legs taken from another pose (crossover);
  - `perturb_joint_angles`: limbs, upper spine and head turned about their parent (mutation).
Used by dev.train_lifter (`TrainMix`) before the virtual camera is drawn (dev.lifter_data).
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.skeleton import H36M_PARENTS

# bone (named by its child joint) -> proportion group; left and right share a group
_BONE_GROUP = np.array([-1, 0, 1, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 8, 9])
_N_BONE_GROUPS = (
    10  # hip width, thigh, shin, lower / upper spine, neck, head, shoulder, arm, forearm
)


def scale_bones(
    world_m: np.ndarray, rng: np.random.Generator, sigma: float, max_rel: float = 0.15
) -> np.ndarray:
    """(B, 17, 3) poses -> the same poses with other body proportions: each bone group (thigh,
    forearm, ...; left and right alike) of each sample lengthened by a factor N(1, sigma)
    clipped to 1 +- max_rel, along the kinematic tree (pelvis fixed, joint angles kept)."""
    b = world_m.shape[0]
    k = np.clip(1.0 + sigma * rng.normal(size=(b, _N_BONE_GROUPS)), 1 - max_rel, 1 + max_rel)
    out = world_m.copy()
    for j in range(1, world_m.shape[1]):  # parents come before their children
        par = H36M_PARENTS[j]
        bone = world_m[:, j] - world_m[:, par]
        out[:, j] = out[:, par] + bone * k[:, _BONE_GROUP[j], None]
    return out


# Body-part recombination (crossover of parts between two poses, as in the evolutionary
# augmentation of Li et al., CVPR 2020): a part's bone directions are expressed in a local body
# frame of the donor and re-expressed in the same frame of the recipient, with the recipient's
# bone lengths. Frame = (left joint, right joint, base joint, up joint): x from right to left,
# y the base -> up direction made orthogonal to x, z = x cross y.
_PELVIS_FRAME = (4, 1, 0, 7)  # hips; pelvis -> spine
_THORAX_FRAME = (11, 14, 8, 9)  # shoulders; thorax -> neck
RECOMBINE_PARTS = {  # part -> (frame, joints moved, parents first)
    "upper_body": (_PELVIS_FRAME, (7, 8, 9, 10, 11, 12, 13, 14, 15, 16)),
    "l_arm": (_THORAX_FRAME, (12, 13)),
    "r_arm": (_THORAX_FRAME, (15, 16)),
    "l_leg": (_PELVIS_FRAME, (5, 6)),
    "r_leg": (_PELVIS_FRAME, (2, 3)),
}


def body_frames(world_m: np.ndarray, frame: tuple) -> np.ndarray:
    """(B, 17, 3) poses -> (B, 3, 3) rotations whose columns are the local frame's axes."""
    left, right, base, up = frame
    x = world_m[:, left] - world_m[:, right]
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = world_m[:, up] - world_m[:, base]
    y -= (y * x).sum(-1, keepdims=True) * x
    y /= np.linalg.norm(y, axis=-1, keepdims=True)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def recombine_parts(
    world_m: np.ndarray, rng: np.random.Generator, fraction: float, part_p: float = 0.5
) -> np.ndarray:
    """(B, 17, 3) poses or (B, T, 17, 3) windows (one donor and choice per window) -> poses
    of which `fraction` take each part of RECOMBINE_PARTS (with probability part_p) from
    another pose of the batch: new combinations of arms, legs and torso lean that the few
    motions of the training subjects lack. Bone lengths, the pelvis and the hips are kept."""
    b = world_m.shape[0]
    per = world_m[0, ..., 0, 0].size  # frames per sample: (B, T, 17, 3) windows keep one choice
    flat = world_m.reshape(-1, 17, 3)
    donor = world_m[rng.permutation(b)].reshape(-1, 17, 3)
    chosen = rng.random(b) < fraction
    out = flat.copy()
    for frame, joints in RECOMBINE_PARTS.values():
        swap = np.repeat(chosen & (rng.random(b) < part_p), per)
        if not swap.any():
            continue
        r_rec, r_don = body_frames(out[swap], frame), body_frames(donor[swap], frame)
        rec, don = out[swap], donor[swap]
        new = rec.copy()
        for j in joints:
            par = H36M_PARENTS[j]
            d_bone = don[:, j] - don[:, par]
            local = np.einsum("bji,bj->bi", r_don, d_bone)
            direction = np.einsum("bij,bj->bi", r_rec, local)
            direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
            length = np.linalg.norm(rec[:, j] - rec[:, par], axis=-1, keepdims=True)
            new[:, j] = new[:, par] + direction * length
        out[swap] = new
    return out.reshape(world_m.shape)


# bones (named by their child joint) whose angle perturb_joint_angles changes: thighs, shins,
# upper spine (lean), head, upper arms, forearms
PERTURBED_BONES = (2, 3, 5, 6, 8, 10, 12, 13, 15, 16)


def _subtree(j: int) -> list[int]:
    """Joint j and every joint below it in the H36M-17 tree."""
    out = [j]
    for k in range(j + 1, len(H36M_PARENTS)):  # parents come before their children
        if H36M_PARENTS[k] in out:
            out.append(k)
    return out


def skew(v: np.ndarray) -> np.ndarray:
    """(B, 3) -> (B, 3, 3) cross-product matrices: _skew(v) @ u == cross(v, u)."""
    k = np.zeros(v.shape[:1] + (3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -v[:, 2], v[:, 1], -v[:, 0]
    return k - k.transpose(0, 2, 1)


def _axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(B, 3) unit axes, (B,) radians -> (B, 3, 3) rotations (Rodrigues)."""
    k = skew(axis)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * k @ k


def perturb_joint_angles(
    world_m: np.ndarray, rng: np.random.Generator, fraction: float, sigma_deg: float
) -> np.ndarray:
    """(B, 17, 3) poses or (B, T, 17, 3) windows (one turn per window) -> poses of which
    `fraction` have each bone of PERTURBED_BONES turned
    about its parent joint (with everything below it) by N(0, sigma_deg) about a random axis:
    joint angles near the recorded ones that the training subjects never held. Bone lengths
    and the pelvis are kept."""
    b = world_m.shape[0]
    per = world_m[0, ..., 0, 0].size  # frames per sample: (B, T, 17, 3) windows keep one turn
    chosen = np.flatnonzero(rng.random(b) < fraction)
    out = world_m.reshape(-1, 17, 3).copy()
    if len(chosen) == 0:
        return out.reshape(world_m.shape)
    rows = (chosen[:, None] * per + np.arange(per)).ravel()
    sub = out[rows]
    for j in PERTURBED_BONES:
        axis = rng.normal(size=(len(chosen), 3))
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
        rot = _axis_angle(axis, np.radians(sigma_deg) * rng.normal(size=len(chosen)))
        rot = np.repeat(rot, per, axis=0)
        pivot = sub[:, H36M_PARENTS[j], None]
        moved = _subtree(j)
        sub[:, moved] = pivot + np.einsum("bij,bkj->bki", rot, sub[:, moved] - pivot)
    out[rows] = sub
    return out.reshape(world_m.shape)
