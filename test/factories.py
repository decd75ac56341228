"""Shared test factories: repository paths, synthetic poses and people, frames, intrinsics, fakes.

Every test folder imports this module by name (`from factories import make_person`):
test/conftest.py puts test/ on sys.path. Test modules import helpers from here, never from each
other. Nothing here imports ROS at module level, so test/unit can use all of it without rclpy.

Shapes and units follow the package: BlazePose keypoints (33, 2) px, H36M joints (17, 2) px or
(17, 3) m in the camera's optical frame (x right, y down, z forward).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.pose2d.finder import ssd_anchors
from pose3d_ros.core.pose3d.lifting import N_FEATURES
from pose3d_ros.core.skeleton import H36M_JOINTS, blazepose_to_h36m
from pose3d_ros.core.types import CameraIntrinsics, Person, Pose2D, Roi

# ---------------------------------------------------------------- paths

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("POSE3D_SHARED", REPO_ROOT / ".." / "shared")).resolve()
COCO_DIR = SHARED_DIR / "data" / "real_images" / "coco"
SKIER_JPG = COCO_DIR / "000000000785.jpg"  # one upright person (COCO box x 281..500, y 45..392 px)

# ---------------------------------------------------------------- frames and intrinsics

VGA_INTRINSICS = CameraIntrinsics(500.0, 500.0, 319.5, 239.5, 640, 480)
STAMP_NS = 1_700_000_000_000_000_000  # an image stamp in 2023, ns since the epoch


def config_yaml_values() -> dict:
    """config/pose3d.yaml's node parameters as a flat {"name": value} dict (nested keys joined
    with "."), the values the node starts with."""
    import yaml

    def flat(d: dict, prefix: str = "") -> dict:
        out = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[prefix + k] = v
        return out

    raw = yaml.safe_load((REPO_ROOT / "config" / "pose3d.yaml").read_text())
    return flat(raw["/**"]["ros__parameters"])


def blank_frame_rgb(width_px: int = 640, height_px: int = 480) -> np.ndarray:
    """(height_px, width_px, 3) uint8 black RGB frame."""
    return np.zeros((height_px, width_px, 3), np.uint8)


def project_px(points_m: np.ndarray, focal_px, center_px) -> np.ndarray:
    """Pinhole projection of (..., 3) m optical-frame points to (..., 2) px.

    focal_px and center_px: scalars or (fx, fy) / (cx, cy).
    """
    return points_m[..., :2] / points_m[..., 2:3] * focal_px + center_px


# ---------------------------------------------------------------- skeletons and people


def canonical_skeleton_m() -> np.ndarray:
    """(17, 3) m H36M joints in a body frame: x forward, y left, z up, pelvis at the origin."""
    pos = {
        "pelvis": (0, 0, 0),
        "r_hip": (0, -0.1, 0),
        "r_knee": (0.02, -0.1, -0.45),
        "r_ankle": (0, -0.1, -0.9),
        "l_hip": (0, 0.1, 0),
        "l_knee": (0.02, 0.1, -0.45),
        "l_ankle": (0, 0.1, -0.9),
        "spine": (0, 0, 0.25),
        "thorax": (0, 0, 0.5),
        "neck": (0, 0, 0.6),
        "head": (0.03, 0, 0.75),
        "l_shoulder": (0, 0.18, 0.5),
        "l_elbow": (0, 0.2, 0.22),
        "l_wrist": (0.1, 0.2, 0.0),
        "r_shoulder": (0, -0.18, 0.5),
        "r_elbow": (0, -0.2, 0.22),
        "r_wrist": (0.1, -0.2, 0.0),
    }
    return np.array([pos[n] for n in H36M_JOINTS], dtype=np.float64)


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """(3, 3) random proper rotation matrix (det +1)."""
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.linalg.det(q))


def random_skeleton_m(seed: int = 0, root_m=(0.0, 0.0, 0.0)) -> np.ndarray:
    """(17, 3) m rough standing person in the optical frame (y down), root joint 0 at root_m."""
    rng = np.random.default_rng(seed)
    rel = np.column_stack(
        [rng.uniform(-0.3, 0.3, 17), rng.uniform(-0.8, 0.9, 17), rng.uniform(-0.2, 0.2, 17)]
    )
    rel[0] = 0.0
    return rel + np.asarray(root_m, dtype=np.float64)


def make_pose2d(offset_px: float = 0.0, score: float = 0.9) -> Pose2D:
    """A 2D stage result: 33 random keypoints in 100..300 px shifted by offset_px, fixed ROI."""
    rng = np.random.default_rng(int(offset_px) + 7)
    kp = rng.uniform(100, 300, size=(33, 2)) + offset_px
    return Pose2D(
        keypoints_px=kp,
        depth_rel=np.zeros(33),
        visibility=np.full(33, 0.8),
        presence=np.full(33, 0.9),
        score=score,
        roi=Roi(np.array([200.0, 200.0]), 200.0, 0.0),
        aux_px=np.zeros((2, 2)),
    )


def make_person(z_m: float = 3.0, track_id: str | None = None, offset_px: float = 0.0) -> Person:
    """A Person from make_pose2d(offset_px); 3D joints on a slanted line at depth z_m."""
    p2 = make_pose2d(offset_px)
    j2d = blazepose_to_h36m(p2.keypoints_px)
    j3d = np.column_stack(
        [np.linspace(-0.5, 0.5, 17), np.linspace(-0.9, 0.9, 17), np.full(17, z_m)]
    )
    return Person(j2d, np.full(17, 0.8), j3d, np.full(17, 0.8), p2, track_id)


# ---------------------------------------------------------------- fake model backends


class FakeDetector(InferenceBackend):
    """Pose detector finding people at fixed hip / scale points in the whole-frame pass.

    people_px: list of (hip (2,), scale point (2,)) in px of a 448x448 frame (letterbox = 2x
    scale). Tiles (batch entries after the first) find nothing. Records each run's batch size.
    """

    def __init__(self, people_px):
        self.people_px = people_px
        self.anchors = ssd_anchors()
        self.batches = []

    input_shapes = property(lambda self: {"input_1": (-1, 224, 224, 3)})
    output_shapes = property(lambda self: {"Identity": (-1, 2254, 12), "Identity_1": (-1, 2254, 1)})

    def run(self, feeds):
        """Boxes and logits with one confident anchor per person."""
        x = feeds["input_1"]
        self.batches.append(x.shape[0])
        boxes = np.zeros((x.shape[0], 2254, 12), np.float32)
        scores = np.full((x.shape[0], 2254, 1), -10.0, np.float32)
        for k, (hip, scale_pt) in enumerate(self.people_px):
            a = 100 + 400 * k  # one anchor per person
            hip_n, sc_n = np.asarray(hip) / 448.0, np.asarray(scale_pt) / 448.0
            boxes[0, a, 0:2] = (sc_n - self.anchors[a]) * 224  # face box centred at the scale point
            boxes[0, a, 2:4] = 20.0
            boxes[0, a, 4:6] = (hip_n - self.anchors[a]) * 224
            boxes[0, a, 6:8] = (sc_n - self.anchors[a]) * 224
            scores[0, a, 0] = 5.0
        return {"Identity": boxes, "Identity_1": scores}

    def close(self):
        """Nothing to release."""


class FakeLandmarks(InferenceBackend):
    """Landmark model: a fixed crop pattern; aux 33/34 reproduce the input ROI (a still person).

    presence: scalar or per-crop presence probability. Records each run's batch size.
    """

    def __init__(self, presence=0.99):
        self.presence = presence
        self.batches = []

    input_shapes = property(lambda self: {"input_1": (-1, 256, 256, 3)})
    output_shapes = property(
        lambda self: {
            "Identity": (-1, 195),
            "Identity_1": (-1, 1),
            "Identity_3": (-1, 64, 64, 39),
        }
    )

    def run(self, feeds):
        """39 landmarks on a diagonal of the crop, flat (unconfident) heatmaps."""
        n = feeds["input_1"].shape[0]
        self.batches.append(n)
        lm = np.zeros((n, 39, 5), np.float32)
        t = np.linspace(0.2, 0.8, 39)
        lm[:, :, 0] = 256 * t
        lm[:, :, 1] = 256 * t[::-1]
        lm[:, :, 3:] = 5.0
        lm[:, 33, :2] = [128.0, 128.0]
        lm[:, 34, :2] = [128.0, 128.0 - 128.0 / 1.25]
        presence = np.resize(np.asarray(self.presence, np.float32), n)
        return {
            "Identity": lm.reshape(n, 195),
            "Identity_1": presence.reshape(n, 1),
            "Identity_3": np.full((n, 64, 64, 39), -20.0, np.float32),
        }

    def close(self):
        """Nothing to release."""


class EchoLifterBackend:
    """Lifter backend returning the features' first 48 numbers as the 3D output (16 joints x 3)."""

    input_shapes = {"features": (-1, N_FEATURES)}
    output_shapes = {"joints3d_rel_m": (-1, 48)}

    def run(self, feeds):
        """Echo the first 48 features."""
        return {"joints3d_rel_m": feeds["features"][:, :48]}

    def close(self):
        """Nothing to release."""


ECHO_LIFTER_META = {
    "joints": list(H36M_JOINTS),
    "input_name": "features",
    "output_name": "joints3d_rel_m",
    "conf_min": 0.2,
}

# ---------------------------------------------------------------- fake pipeline stages


class Stub2D:
    """2D stage returning the same poses every frame; counts frames and resets."""

    def __init__(self, poses):
        self.poses, self.resets, self.frames = poses, 0, 0

    def process(self, frame_rgb):
        """The scripted poses (a copy of the list)."""
        self.frames += 1
        return list(self.poses)

    def reset(self):
        """Count the reset."""
        self.resets += 1

    def set_config(self, config):
        """A new config resets, as the real stage does."""
        self.reset()


class StubLifter:
    """Root-relative pose = 2D joints / 1000 with z 0 (each person's result is distinguishable)."""

    def __init__(self):
        self.batches = []

    def lift(self, j2d, conf, intrinsics):
        """(N, 17, 2) px -> (N, 17, 3) m, root at the origin; records the batch size."""
        self.batches.append(j2d.shape[0])
        rel = np.concatenate([j2d / 1000.0, np.zeros(j2d.shape[:2] + (1,))], axis=-1)
        return rel - rel[:, :1]


def place_at(z_m: float):
    """A placement function that puts every person's root at depth z_m with confidence 0.7."""

    def place(rel_m, j2d, conf, intr, depth_m, config):
        return rel_m + np.array([0.0, 0.0, z_m]), np.full(rel_m.shape[:2], 0.7)

    return place


# ---------------------------------------------------------------- fake ROS pieces


class FakeRosLogger:
    """An rclpy logger stand-in: every level method appends (level, text) to self.lines."""

    def __init__(self):
        self.lines = []

    def __getattr__(self, level):
        return lambda text: self.lines.append((level, text))


class FakeClock:
    """A monotonic clock the test moves by hand: calling it returns t_s (s)."""

    def __init__(self, t_s: float = 100.0):
        self.t_s = t_s

    def __call__(self) -> float:
        return self.t_s


class FakeNode:
    """Just enough of rclpy.Node for publishers: records (topic, msg) of every publish, a clock
    and a FakeRosLogger (self.logger). rclpy is imported only by get_clock().
    """

    def __init__(self):
        self.published = []
        self.logger = FakeRosLogger()

    def create_publisher(self, msg_type, topic, qos):
        """A publisher appending (topic, msg) to self.published."""
        published = self.published

        class Publisher:
            def publish(self, msg):
                published.append((topic, msg))

        return Publisher()

    def get_clock(self):
        """rclpy's system clock."""
        from rclpy.clock import Clock, ClockType

        return Clock(clock_type=ClockType.SYSTEM_TIME)

    def get_logger(self):
        """The FakeRosLogger."""
        return self.logger
