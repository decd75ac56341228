"""Skeleton tables as data: joint names, parents, and the mappings between skeletons.

The lifter's skeleton is Human3.6M-17 order. Its 2D joints are defined the same way from
BlazePose-33 (at run time) and from CMU mocap (at training time), so the lifter sees the
same kind of 2D input in both cases. Joints that neither source measures directly are
synthesised, identically in both places:

- pelvis: midpoint of the two hips (CMU's root sits above it, so it is not used).
- spine: midpoint of pelvis and thorax.
- thorax: midpoint of the two shoulders.
- neck: BlazePose midpoint of the ears; CMU `head` (upperneck, top of the neck / base of
  the skull, which sits at about ear height).
- head: top of the head. CMU `head_top`; BlazePose: ear midpoint pushed up along the
  face's eye-minus-mouth direction by twice that distance (a synthesised estimate, so the
  lifter is trained with extra noise on it and the node reports it with lower confidence).
"""

from __future__ import annotations

import numpy as np

H36M_JOINTS = (
    "pelvis",
    "r_hip",
    "r_knee",
    "r_ankle",
    "l_hip",
    "l_knee",
    "l_ankle",
    "spine",
    "thorax",
    "neck",
    "head",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
)
H36M_PARENTS = np.array([-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15])
H36M_LEFT = (4, 5, 6, 11, 12, 13)
H36M_RIGHT = (1, 2, 3, 14, 15, 16)
PELVIS = 0
# Joints synthesised from others rather than measured by BlazePose (lower confidence).
H36M_SYNTHESISED = (0, 7, 8, 9, 10)

BLAZEPOSE_JOINTS = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
BLAZEPOSE_EDGES = (
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (25, 27),
    (27, 29),
    (29, 31),
    (27, 31),
    (24, 26),
    (26, 28),
    (28, 30),
    (30, 32),
    (28, 32),
    (0, 2),
    (0, 5),
    (2, 7),
    (5, 8),
    (9, 10),
    (15, 17),
    (15, 19),
    (15, 21),
    (16, 18),
    (16, 20),
    (16, 22),
)

# CMU mocap (../shared/data/cmu_mocap, 24 joints) indices used to build H36M-17.
CMU_JOINTS = (
    "pelvis",
    "l_hip",
    "l_knee",
    "l_ankle",
    "l_foot",
    "l_toe",
    "r_hip",
    "r_knee",
    "r_ankle",
    "r_foot",
    "r_toe",
    "spine",
    "chest",
    "neck",
    "head",
    "head_top",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "l_hand",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "r_hand",
)

# COCO-18 (OpenPose order) as used by hri_msgs/Skeleton2D.
COCO18_JOINTS = (
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
)
# COCO-17 (the COCO keypoint annotation order) from BlazePose-33.
BLAZEPOSE_TO_COCO17 = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])

# REP-155 / ROS4HRI frame names for the H36M joints ("<name>_<id>").
H36M_TO_ROS4HRI = (
    "waist",
    "r_hip",
    "r_knee",
    "r_ankle",
    "l_hip",
    "l_knee",
    "l_ankle",
    "torso",
    "thorax",
    "neck",
    "head",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
)


def _mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 0.5 * (a + b)


def blazepose_to_h36m(kp: np.ndarray) -> np.ndarray:
    """(..., 33, D) BlazePose landmarks -> (..., 17, D) H36M joints (D = 2 or 3; any unit)."""
    pelvis = _mid(kp[..., 23, :], kp[..., 24, :])
    thorax = _mid(kp[..., 11, :], kp[..., 12, :])
    neck = _mid(kp[..., 7, :], kp[..., 8, :])
    eyes = _mid(kp[..., 2, :], kp[..., 5, :])
    mouth = _mid(kp[..., 9, :], kp[..., 10, :])
    head = neck + 2.0 * (eyes - mouth)
    j = [
        pelvis,
        kp[..., 24, :],
        kp[..., 26, :],
        kp[..., 28, :],
        kp[..., 23, :],
        kp[..., 25, :],
        kp[..., 27, :],
        _mid(pelvis, thorax),
        thorax,
        neck,
        head,
        kp[..., 11, :],
        kp[..., 13, :],
        kp[..., 15, :],
        kp[..., 12, :],
        kp[..., 14, :],
        kp[..., 16, :],
    ]
    return np.stack(j, axis=-2)


def blazepose_conf_to_h36m(conf: np.ndarray) -> np.ndarray:
    """(..., 33) per-landmark probabilities -> (..., 17): a synthesised joint takes the min of
    its sources."""
    c = conf
    hips = np.minimum(c[..., 23], c[..., 24])
    shoulders = np.minimum(c[..., 11], c[..., 12])
    ears = np.minimum(c[..., 7], c[..., 8])
    face = np.minimum.reduce([ears, c[..., 2], c[..., 5], c[..., 9], c[..., 10]])
    j = [
        hips,
        c[..., 24],
        c[..., 26],
        c[..., 28],
        c[..., 23],
        c[..., 25],
        c[..., 27],
        np.minimum(hips, shoulders),
        shoulders,
        ears,
        face,
        c[..., 11],
        c[..., 13],
        c[..., 15],
        c[..., 12],
        c[..., 14],
        c[..., 16],
    ]
    return np.stack(j, axis=-1)


def cmu_to_h36m(p: np.ndarray) -> np.ndarray:
    """(..., 24, D) CMU mocap joints -> (..., 17, D) H36M joints,
    synthesised as documented above."""
    pelvis = _mid(p[..., 1, :], p[..., 6, :])
    thorax = _mid(p[..., 16, :], p[..., 20, :])
    j = [
        pelvis,
        p[..., 6, :],
        p[..., 7, :],
        p[..., 8, :],
        p[..., 1, :],
        p[..., 2, :],
        p[..., 3, :],
        _mid(pelvis, thorax),
        thorax,
        p[..., 14, :],
        p[..., 15, :],
        p[..., 16, :],
        p[..., 17, :],
        p[..., 18, :],
        p[..., 20, :],
        p[..., 21, :],
        p[..., 22, :],
    ]
    return np.stack(j, axis=-2)


def blazepose_to_coco18(kp: np.ndarray) -> np.ndarray:
    """(..., 33, D) BlazePose -> (..., 18, D) COCO-18 / OpenPose order (neck = mid-shoulders)."""
    neck = _mid(kp[..., 11, :], kp[..., 12, :])
    idx = [0, None, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 2, 5, 7, 8]
    return np.stack([neck if i is None else kp[..., i, :] for i in idx], axis=-2)
