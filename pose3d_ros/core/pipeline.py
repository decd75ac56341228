"""The whole per-frame pipeline: RGB frame + intrinsics -> people with metric 3D joints.

Stages, in order (each timed for diagnostics):
1. pose2d:  BlazePose 2D stage (detector + ROI-tracked landmark model) -> Pose2D per person;
2. lift:    BlazePose-33 -> H36M-17 2D joints, all people lifted in one batch -> root-relative 3D;
3. place:   root translation (from the 2D/3D scale, or from an aligned depth image) -> absolute 3D.
People whose result is not finite, or whose root is not in front of the camera, are dropped
(and counted): the outputs never carry NaN or a skeleton at the camera origin.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from pose3d_ros.core.errors import ConfigError, InputError
from pose3d_ros.core.preprocess import validate_frame
from pose3d_ros.core.skeleton import PELVIS, blazepose_conf_to_h36m, blazepose_to_h36m
from pose3d_ros.core.types import CameraIntrinsics, Person, Pose2D

log = logging.getLogger(__name__)

STAGES = ("pose2d", "lift", "place")


class Pose2DStage(Protocol):
    def process(self, frame_rgb: np.ndarray) -> list[Pose2D]: ...

    def reset(self) -> None: ...


class LiftStage(Protocol):
    def lift(self, joints2d_px: np.ndarray, conf: np.ndarray, intrinsics: CameraIntrinsics) -> np.ndarray: ...


# (rel_m (N,17,3), joints2d_px (N,17,2), conf (N,17), intrinsics, depth_m (H,W) | None)
#   -> (abs_m (N,17,3) camera optical frame, NaN where a person cannot be placed; conf3d (N,17))
PlaceFn = Callable[[np.ndarray, np.ndarray, np.ndarray, CameraIntrinsics, "np.ndarray | None"],
                   "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class PipelineConfig:
    """min_depth_m: a placed root closer than this to the camera is treated as a failure.

    (How many people, and how sure, is the 2D stage's configuration: Pose2DConfig.)
    """

    min_depth_m: float = 0.2

    def __post_init__(self) -> None:
        if not (np.isfinite(self.min_depth_m) and self.min_depth_m > 0.0):
            raise ConfigError(f"min_depth_m must be > 0, got {self.min_depth_m}")


class Pose3DPipeline:
    """Runs the stages on one frame. Stateful only through the 2D stage's ROI tracking."""

    def __init__(self, pose2d: Pose2DStage, lifter: LiftStage, config: PipelineConfig | None = None,
                 place: PlaceFn | None = None):
        self._pose2d = pose2d
        self._lifter = lifter
        self._config = config or PipelineConfig()
        self._place = place if place is not None else _default_place
        self._timings_s = {s: 0.0 for s in STAGES}
        self._rejected = 0

    @property
    def config(self) -> PipelineConfig:
        return self._config

    def set_config(self, config: PipelineConfig) -> None:
        self._config = config

    @property
    def last_timings_s(self) -> dict[str, float]:
        """Seconds each stage took on the last processed frame."""
        return dict(self._timings_s)

    @property
    def rejected_count(self) -> int:
        """People dropped so far because their 3D result was not finite or behind the camera."""
        return self._rejected

    def reset(self) -> None:
        """Forget ROI tracking (e.g. after a stream restart)."""
        self._pose2d.reset()

    def process(self, frame_rgb: np.ndarray, intrinsics: CameraIntrinsics,
                depth_m: np.ndarray | None = None) -> list[Person]:
        """(H, W, 3) uint8 RGB frame -> people, joints3d_m absolute in the camera optical frame.

        depth_m: optional (H, W) float32 metres aligned to the frame (0 or NaN = no reading).
        Raises InputError for a malformed frame or intrinsics of another image size.
        """
        _check_frame(frame_rgb, intrinsics, depth_m)
        t0 = time.perf_counter()
        poses = self._pose2d.process(frame_rgb)
        t1 = time.perf_counter()
        if not poses:
            self._timings_s = {"pose2d": t1 - t0, "lift": 0.0, "place": 0.0}
            return []
        j2d = blazepose_to_h36m(np.stack([p.keypoints_px for p in poses]).astype(np.float64))
        conf = blazepose_conf_to_h36m(np.stack([p.visibility for p in poses]).astype(np.float64))
        rel_m = np.asarray(self._lifter.lift(j2d, conf, intrinsics), dtype=np.float64)
        t2 = time.perf_counter()
        abs_m, conf3d = self._place(rel_m, j2d, conf, intrinsics, depth_m)
        abs_m = np.asarray(abs_m, dtype=np.float64)
        t3 = time.perf_counter()
        self._timings_s = {"pose2d": t1 - t0, "lift": t2 - t1, "place": t3 - t2}
        people = []
        for i, pose in enumerate(poses):
            if not (np.all(np.isfinite(abs_m[i])) and np.all(np.isfinite(j2d[i]))
                    and abs_m[i, PELVIS, 2] >= self._config.min_depth_m):
                self._rejected += 1
                log.debug("dropped a person with a non-finite or behind-camera 3D result")
                continue
            people.append(Person(joints2d_px=j2d[i], joints2d_conf=conf[i], joints3d_m=abs_m[i],
                                 joints3d_conf=np.asarray(conf3d[i], dtype=np.float64), pose2d=pose))
        return people


def _check_frame(frame: np.ndarray, intr: CameraIntrinsics, depth_m: np.ndarray | None) -> None:
    validate_frame(frame)
    h, w = frame.shape[:2]
    if (w, h) != (intr.width_px, intr.height_px):
        raise InputError(f"intrinsics are for {intr.width_px}x{intr.height_px}, frame is {w}x{h}")
    if depth_m is not None and depth_m.shape != (h, w):
        raise InputError(f"depth image {depth_m.shape} is not aligned to the {w}x{h} frame")


def _default_place(rel_m, j2d_px, conf, intrinsics, depth_m):
    from pose3d_ros.core.placement import place_with_confidence

    placed = place_with_confidence(rel_m, j2d_px, conf, intrinsics, depth_m)
    return placed.joints3d_m, placed.conf3d
