"""The whole per-frame pipeline: RGB frame + intrinsics + stamp
-> tracked people with metric 3D joints.

Stages, in order (each timed):
1. pose2d:  the 2D stage (core/pose2d) -> Pose2D per person, with ROI tracking;
2. lift:    BlazePose-33 -> H36M-17 2D joints, all people lifted in one batch -> root-relative 3D
            (or the landmark model's own 3D, or both fused: `source3d`, core/pose3d/source3d.py);
3. place:   size and root translation (body-height prior, floor, reprojection, or an aligned
            depth image) -> absolute 3D;
4. track:   letter ids that follow the 2D stage's tracks (core/tracks/tracking.py);
5. smooth:  One-Euro filtering of each track's 3D joints (core/tracks/smoothing.py).
People whose result is not finite, or whose root is nearer than `placement.min_depth_m`, are
dropped (and counted): the outputs never carry NaN or a skeleton at the camera origin.

The pipeline owns time: stamps are integer ns; tracking and smoothing see seconds since the first
frame (epoch seconds as float lose ~0.2 us). Tracks that see no frames end through expire().
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from pose3d_ros.core.filters import OneEuroConfig
from pose3d_ros.core.image import validate_frame
from pose3d_ros.core.pose2d import Pose2DConfig
from pose3d_ros.core.pose3d.floor import FloorPlane
from pose3d_ros.core.pose3d.lifting import TemporalLifter
from pose3d_ros.core.pose3d.placement import PlacementConfig, place_with_confidence
from pose3d_ros.core.pose3d.source3d import check_source, relative_3d
from pose3d_ros.core.skeleton import PELVIS, blazepose_conf_to_h36m, blazepose_to_h36m
from pose3d_ros.core.tracks.smoothing import PoseSmoother
from pose3d_ros.core.tracks.tracking import Tracker, TrackerConfig
from pose3d_ros.core.types import CameraIntrinsics, Person, Pose2D
from pose3d_ros.errors import InputError

STAGES = ("pose2d", "lift", "place", "track")
NS_PER_S = 1_000_000_000


class Pose2DStage(Protocol):
    """What the pipeline needs from the 2D stage (core/pose2d's Pose2DEstimator). A stage may
    also say `scene_cut` (bool): its last frame was another picture, so every id ends there."""

    def process(self, frame_rgb: np.ndarray) -> list[Pose2D]: ...

    def reset(self) -> None: ...

    def set_config(self, config: Pose2DConfig) -> None: ...


class LiftStage(Protocol):
    """What the pipeline needs from the lifter (core/pose3d/lifting.py's Lifter): root-relative
    3D."""

    def lift(
        self, joints2d_px: np.ndarray, conf: np.ndarray, intrinsics: CameraIntrinsics
    ) -> np.ndarray: ...


# (rel_m (N,17,3), joints2d_px (N,17,2), conf (N,17), intrinsics, depth_m (H,W) | None,
#  PlacementConfig)
#   -> (abs_m (N,17,3) camera optical frame, NaN where a person cannot be placed; conf3d (N,17))
PlaceFn = Callable[..., "tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class PipelineConfig:
    """Every stage's settings: pose2d (the 2D stage), placement (its min_depth_m is the nearest a
    placed person may be), tracker (ids), smoothing (One-Euro on the 3D joints), source3d (where
    the root-relative 3D comes from: core/source3d.SOURCES)."""

    pose2d: Pose2DConfig = field(default_factory=Pose2DConfig)
    placement: PlacementConfig = field(default_factory=PlacementConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    smoothing: OneEuroConfig = field(default_factory=OneEuroConfig)
    source3d: str = "lifter"

    def __post_init__(self) -> None:
        check_source(self.source3d)


@dataclass(frozen=True)
class FrameResult:
    """One frame's output: people (tracked, smoothed), ids whose track just ended, ids alive now,
    the seconds each stage took, and why each person found in 2D but dropped was dropped."""

    people: list[Person]
    ended_ids: tuple[str, ...]
    active_ids: tuple[str, ...]
    timings_s: dict[str, float]
    rejected: tuple[str, ...] = ()


def default_place(rel_m, j2d_px, conf, intrinsics, depth_m, config: PlacementConfig):
    placed = place_with_confidence(rel_m, j2d_px, conf, intrinsics, depth_m, config)
    return placed.joints3d_m, placed.conf3d


class Pose3DPipeline:
    """Runs the stages on one frame at a time. Not thread-safe: one caller thread."""

    def __init__(
        self,
        pose2d: Pose2DStage,
        lifter: LiftStage,
        config: PipelineConfig | None = None,
        place: PlaceFn = default_place,
        tracker: Tracker | None = None,
    ):
        self._pose2d = pose2d
        self._lifter = lifter
        self._config = config or PipelineConfig()
        self._place = place
        self._tracker = tracker or Tracker(self._config.tracker)
        self._tracker.set_config(self._config.tracker)
        self._smoother = PoseSmoother(self._config.smoothing)
        self._epoch_ns: int | None = None
        self._last_stamp_ns: int | None = None
        self._rejected = 0

    @property
    def config(self) -> PipelineConfig:
        return self._config

    def set_config(self, config: PipelineConfig) -> None:
        """New settings between frames; a changed 2D config restarts ROI tracking, ids are kept."""
        if config.pose2d != self._config.pose2d:
            self._pose2d.set_config(config.pose2d)
        self._tracker.set_config(config.tracker)
        self._smoother.set_config(config.smoothing)
        self._config = config

    @property
    def rejected_count(self) -> int:
        """People dropped so far because their 3D result was not finite or too near the camera."""
        return self._rejected

    @property
    def active_ids(self) -> tuple[str, ...]:
        return self._tracker.active_ids

    def reset(self) -> None:
        """Forget ROI tracking (e.g. after a stream restart); ids end by timeout as usual."""
        self._pose2d.reset()
        if isinstance(self._lifter, TemporalLifter):  # 2D track keys start again
            self._lifter.reset()

    def process(
        self,
        frame_rgb: np.ndarray,
        intrinsics: CameraIntrinsics,
        stamp_ns: int,
        depth_m: np.ndarray | None = None,
        floor: FloorPlane | None = None,
    ) -> FrameResult:
        """(H, W, 3) uint8 RGB frame taken at stamp_ns -> people, joints3d_m absolute in the camera
        optical frame.

        depth_m: optional (H, W) float32 metres aligned to the frame (0 or NaN = no reading).
        floor: the floor seen from this frame's camera (e.g. from TF); wins over the placement
        config's camera_height_m / pitch / roll for this frame.
        Raises InputError for a malformed frame or intrinsics of another image size.
        """
        _check_frame(frame_rgb, intrinsics, depth_m)
        t0 = time.perf_counter()
        poses = self._pose2d.process(frame_rgb)
        t1 = time.perf_counter()
        placement = self._config.placement
        if floor is not None:
            placement = dataclasses.replace(placement, floor=floor)
        people, rejected, lift_timings = self._lift_and_place(poses, intrinsics, depth_m, placement)
        t2 = time.perf_counter()
        stamp_s = self._seconds(stamp_ns)
        scene_cut = bool(getattr(self._pose2d, "scene_cut", False))
        people, ended = self._tracker.assign(people, stamp_s, scene_cut)
        self._smoother.forget(ended)
        people = self._smoother.smooth(people, stamp_s)
        t3 = time.perf_counter()
        self._last_stamp_ns = stamp_ns
        timings = {"pose2d": t1 - t0, **lift_timings, "track": t3 - t2}
        return FrameResult(people, ended, self._tracker.active_ids, timings, rejected)

    def expire(self, now_ns: int) -> tuple[str, ...]:
        """With no frames coming, end the tracks unseen for the tracker's timeout at time now_ns."""
        if not self._tracker.active_ids:
            return ()
        _, ended = self._tracker.assign([], self._seconds(now_ns))
        self._smoother.forget(ended)
        return ended

    def _lift_and_place(
        self,
        poses: list[Pose2D],
        intrinsics: CameraIntrinsics,
        depth_m: np.ndarray | None,
        placement: PlacementConfig,
    ) -> tuple[list[Person], tuple[str, ...], dict[str, float]]:
        """Lift and place every pose; (people kept, why the others were dropped, seconds taken by
        "lift" and "place")."""
        if not poses:
            return [], (), {"lift": 0.0, "place": 0.0}
        t0 = time.perf_counter()
        j2d = blazepose_to_h36m(np.stack([p.keypoints_px for p in poses]).astype(np.float64))
        conf = blazepose_conf_to_h36m(np.stack([p.visibility for p in poses]).astype(np.float64))
        lift = self._lifter.lift
        if isinstance(self._lifter, TemporalLifter):  # per-track windows by the 2D track key
            lift = functools.partial(lift, track_keys=[p.track_key for p in poses])
        rel_m = relative_3d(self._config.source3d, poses, j2d, conf, intrinsics, lift)
        t1 = time.perf_counter()
        abs_m, conf3d = self._place(rel_m, j2d, conf, intrinsics, depth_m, placement)
        abs_m = np.asarray(abs_m, dtype=np.float64)
        timings = {"lift": t1 - t0, "place": time.perf_counter() - t1}
        people, rejected = [], []
        min_depth_m = self._config.placement.min_depth_m
        for i, pose in enumerate(poses):
            if not (np.all(np.isfinite(abs_m[i])) and np.all(np.isfinite(j2d[i]))):
                rejected.append(
                    "no finite 3D placement (a joint nearer than min_depth_m "
                    f"{min_depth_m:g} m, behind the camera, or a degenerate skeleton)"
                )
            elif abs_m[i, PELVIS, 2] < min_depth_m:
                rejected.append(
                    f"placed at {abs_m[i, PELVIS, 2]:.2f} m, nearer than "
                    f"min_depth_m {min_depth_m:g} m"
                )
            else:
                people.append(
                    Person(
                        joints2d_px=j2d[i],
                        joints2d_conf=conf[i],
                        joints3d_m=abs_m[i],
                        joints3d_conf=np.asarray(conf3d[i], dtype=np.float64),
                        pose2d=pose,
                    )
                )
        self._rejected += len(rejected)
        return people, tuple(rejected), timings

    def _seconds(self, stamp_ns: int) -> float:
        """Stamp as seconds since the first frame."""
        if self._epoch_ns is None:
            self._epoch_ns = stamp_ns
        return (stamp_ns - self._epoch_ns) / NS_PER_S


def _check_frame(frame: np.ndarray, intr: CameraIntrinsics, depth_m: np.ndarray | None) -> None:
    validate_frame(frame)
    h, w = frame.shape[:2]
    if (w, h) != (intr.width_px, intr.height_px):
        raise InputError(f"intrinsics are for {intr.width_px}x{intr.height_px}, frame is {w}x{h}")
    problem = intr.implausibility()
    if problem is not None:
        raise InputError(f"implausible intrinsics: {problem}")
    if depth_m is not None and depth_m.shape != (h, w):
        raise InputError(f"depth image {depth_m.shape} is not aligned to the {w}x{h} frame")
