"""The posture / gesture evaluation set from the CMU mocap (dev/lifter_data.py's loader).

Frame labels: the rules of pose3d_ros/core/behaviour applied to the ground-truth world skeleton
with the true gravity direction (the mocap's +Y) and every joint trusted, without hysteresis
(`oracle_labels`). So the labels define the classes exactly as the shipped rules do; what the
evaluation measures is how much of that survives the real path (a camera whose pose is unknown,
2D noise, the lifter, smoothing, hysteresis), not whether the rules match a human annotator.
Clip descriptions are used to check the labels (`description_classes`: which clips name a class)
and to choose the clips a class may come from; the report counts how many labelled frames of a
class come from clips whose description names it (frames from other clips are real but
unconfirmed by the description).

No clip shows waving, laying, hands on face or crossed arms on purpose ("wash self" and "folding
arms" come closest), so WAVING is synthesised (`add_wave`): in standing clips one arm of the real
motion is replaced by a raised arm whose forearm swings sideways at 1.5-3 Hz; those frames are
labelled WAVING, every other frame keeps its oracle label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.behaviour.gesture import classify_static
from pose3d_ros.core.behaviour.posture import classify_posture
from pose3d_ros.core.body_frame import body_pose
from pose3d_ros.core.skeleton import H36M_JOINTS

WORLD_UP = np.array([0.0, 1.0, 0.0])  # the mocap's +Y
_J = {n: i for i, n in enumerate(H36M_JOINTS)}
# description words that name a class (lower case regular expressions), keyed by class_key
# (Posture and Gesture members with equal values are equal as dict keys)
DESCRIPTION_WORDS = {
    "Posture.STANDING": r"walk|run|jog|stand|dance|swordplay|punch|dribble|kick|march|limp|stride",
    "Posture.SITTING": r"\bsit",
    "Posture.CROUCHING": r"squat|crouch",
    "Posture.LAYING": r"\blay|\blie|lower self to ground",
    "Gesture.BOTH_HANDS_RAISED": r"arms held high|reach up|jumping jacks|hang|pull up",
    "Gesture.LEFT_HAND_RAISED": r"lift arm|expressive arms",
    "Gesture.RIGHT_HAND_RAISED": r"lift arm|expressive arms",
    "Gesture.HANDS_ON_FACE": r"wash self",
    "Gesture.ARMS_CROSSED": r"folding arms",
}


def description_classes(description: str) -> set[str]:
    """The classes a CMU clip description names (DESCRIPTION_WORDS), as 'Posture.SITTING' etc.
    (Posture and Gesture values overlap as integers, so their names are compared)."""
    d = description.lower()
    return {key for key, pattern in DESCRIPTION_WORDS.items() if re.search(pattern, d)}


def class_key(label) -> str:
    """'Posture.SITTING', 'Gesture.WAVING', ...: a label's unambiguous name."""
    return f"{type(label).__name__}.{label.name}"


def oracle_labels(world_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 3) ground-truth world joints, m, +Y up -> (posture (T,), gesture (T,)) int labels:
    the static rules with the true up direction and every joint trusted (no WAVING: add_wave)."""
    conf = np.ones(17)
    posture = [int(classify_posture(p, conf, WORLD_UP)) for p in world_m]
    gesture = [int(classify_static(body_pose(p).joints_body_m, conf)) for p in world_m]
    return np.array(posture), np.array(gesture)


@dataclass(frozen=True)
class Wave:
    """A synthetic wave: arm 'l' or 'r', frequency Hz, forearm swing amplitude deg, start and end
    frame (end exclusive)."""

    side: str
    freq_hz: float
    amplitude_deg: float
    start: int
    end: int


def add_wave(world_m: np.ndarray, wave: Wave, fps: float) -> np.ndarray:
    """Copy of (T, 17, 3) world joints, m, with frames start..end-1 of one arm replaced by a wave:
    the upper arm out and up at 45 deg in the body frame, the forearm up, swinging sideways by
    +-amplitude_deg at freq_hz (about the body's forward axis). Bone lengths are the subject's."""
    out = np.array(world_m, dtype=np.float64)
    s = wave.side
    sh, el, wr = _J[f"{s}_shoulder"], _J[f"{s}_elbow"], _J[f"{s}_wrist"]
    out_sign = 1.0 if s == "l" else -1.0  # body y points to the person's left
    for k in range(wave.start, wave.end):
        p = out[k]
        rot = body_pose(p).rotation  # body axes as columns, in the world frame
        upper_m = np.linalg.norm(p[el] - p[sh])
        fore_m = np.linalg.norm(p[wr] - p[el])
        upper_dir = rot @ (np.array([0.15, out_sign, 1.0]) / np.linalg.norm([0.15, 1.0, 1.0]))
        theta = np.deg2rad(wave.amplitude_deg) * np.sin(
            2 * np.pi * wave.freq_hz * (k - wave.start) / fps
        )
        fore_dir = rot @ np.array([0.1, out_sign * np.sin(theta), np.cos(theta)])
        p[el] = p[sh] + upper_m * upper_dir
        p[wr] = p[el] + fore_m * fore_dir / np.linalg.norm(fore_dir)
    return out


def plan_waves(n_frames: int, rng: np.random.Generator, fps: float) -> list[Wave]:
    """Waves for a clip of n_frames: one 2-4 s wave per started 6 s, random arm, 1.5-3 Hz,
    20-35 deg, starting at least 1 s in and leaving gaps between waves."""
    waves, k = [], int(fps)
    while k + 2 * fps < n_frames:
        length = int(rng.uniform(2.0, 4.0) * fps)
        end = min(k + length, n_frames)
        waves.append(
            Wave(
                side="l" if rng.random() < 0.5 else "r",
                freq_hz=float(rng.uniform(1.5, 3.0)),
                amplitude_deg=float(rng.uniform(20.0, 35.0)),
                start=k,
                end=end,
            )
        )
        k = end + int(rng.uniform(2.0, 4.0) * fps)
    return waves


@dataclass(frozen=True)
class ClipCamera:
    """A fixed camera for a whole clip (a robot's camera does not follow the person in pitch).
    yaw_rad: the person's turn about the vertical; height_m, distance_m: camera above the floor
    and horizontally from the person; aim_height_m: the height it looks at (level when equal to
    height_m); roll_rad; focal_px; size_px: (width, height)."""

    yaw_rad: float
    height_m: float
    distance_m: float
    aim_height_m: float
    roll_rad: float
    focal_px: float
    size_px: tuple[int, int] = (1280, 720)


def sample_camera(world_m: np.ndarray, rng: np.random.Generator) -> ClipCamera:
    """A robot-like camera for a clip (T, 17, 3): 0.8-1.6 m high, 2-6 m away, aimed at the
    clip's median pelvis height, roll N(0, 3 deg) clipped to 10 deg, focal 500-1000 px."""
    roll = float(np.clip(rng.normal(0.0, np.deg2rad(3.0)), -np.deg2rad(10.0), np.deg2rad(10.0)))
    return ClipCamera(
        yaw_rad=float(rng.uniform(-np.pi, np.pi)),
        height_m=float(rng.uniform(0.8, 1.6)),
        distance_m=float(rng.uniform(2.0, 6.0)),
        aim_height_m=float(np.median(world_m[:, 0, 1])),
        roll_rad=roll,
        focal_px=float(rng.uniform(500.0, 1000.0)),
    )


def project(world_m: np.ndarray, cam: ClipCamera):
    """(T, 17, 3) world joints, m, +Y up -> camera optical frame 3D (T, 17, 3) m, 2D (T, 17, 2)
    px, focal (T, 2) px, centre (T, 2) px. Each frame is re-centred horizontally on its pelvis
    (the person stays in view, as on a treadmill); heights are kept, so crouching moves the
    person down in the image."""
    t = len(world_m)
    c, s = np.cos(cam.yaw_rad), np.sin(cam.yaw_rad)
    yaw = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    p = (world_m - world_m[:, :1, :] * np.array([1.0, 0.0, 1.0])) @ yaw.T
    eye = np.array([0.0, cam.height_m, cam.distance_m])
    fwd = np.array([0.0, cam.aim_height_m, 0.0]) - eye
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, WORLD_UP)
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    cr, sr = np.cos(cam.roll_rad), np.sin(cam.roll_rad)
    rot = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]]) @ np.stack([right, down, fwd])
    cam3d = (p - eye) @ rot.T
    focal = np.full((t, 2), cam.focal_px)
    center = np.tile(np.array(cam.size_px, dtype=np.float64) / 2.0, (t, 1))
    uv = cam3d[..., :2] / cam3d[..., 2:3] * focal[:, None, :] + center[:, None, :]
    return cam3d, uv, focal, center
