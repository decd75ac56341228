"""The 2D stage: frame -> every person's 33 BlazePose landmarks, with MediaPipe-style ROI tracking.

Per frame: the ROIs of tracked people (from last frame's auxiliary landmarks) are cropped and run
through the landmark model in one batch. The detector runs only when nobody is tracked, when a
track was lost on the previous frame, or every `detect_every_n` frames to find newcomers; its
detections that overlap a tracked person are dropped. With `tracking` off it runs every frame.
People found only in zoomed detector tiles are added last and only when they are not part of a
person already kept (tracked, or found in the whole frame): see roi_tracking.part_of.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.decode import DECODER_METHODS
from pose3d_ros.core.detect import PoseDetector
from pose3d_ros.core.errors import ConfigError
from pose3d_ros.core.keypoints2d import LandmarkEstimator
from pose3d_ros.core.preprocess import validate_frame
from pose3d_ros.core.roi_tracking import (AuxSmoother, Track, keypoint_box, part_of, roi_from_aux, roi_iou,
                                          roi_is_valid, suppress_duplicates, tile_regions)
from pose3d_ros.core.types import Pose2D

LOG = logging.getLogger(__name__)

DETECTOR_FILE = "pose_detection.onnx"
LANDMARK_FILE = "pose_landmark_full.onnx"


@dataclass(frozen=True)
class Pose2DConfig:
    """Validated settings of the 2D stage (probabilities in [0, 1]).

    min_detection_score: detector score threshold. nms_iou: weighted-NMS IoU threshold.
    min_presence: landmark-model person presence needed to report / keep tracking a person.
    min_new_presence: presence needed to START a person from a detection (hysteresis): zoomed tiles
    make the detector fire on parts of a body (an arm, a pole), which the landmark model scores
    0.2..0.6 while real people score >= 0.99 on the COCO photos.
    max_people: at most this many people per frame (best detections first).
    tracking: crop the next frame from this frame's landmarks (False: detect every frame).
    detect_every_n: with tracking, also run the detector every N frames to find newcomers (0: only
    when nobody is tracked or a track was lost).
    detect_tiles: grid sizes of extra detector passes: for each G in it (2..4) the detector also runs
    on a G x G grid of overlapping zoomed tiles, in the same batch as the letterboxed whole frame
    (finds small people). Tile detections never change whole-frame ones and only add people that are
    not part of a person already kept (roi_tracking.part_of). () = whole frame only; an int G is
    read as (G,), and 0 or 1 as ().
    decoder: "regression" | "refine" | "softargmax" (core/decode.py). refine_kernel: odd window side
    in heatmap cells; 9 is what mediapipe 0.10.21's mp.solutions.pose actually runs (its graph asks
    for 7, but the option does not reach the calculator, which uses its proto default 9): with 9 our
    landmarks are within 0.1 px mean of MediaPipe's on the parity photos, with 7 up to 2 px. heatmap_min_confidence: min peak sigmoid to use a heatmap. softargmax_beta: softmax
    sharpness over the heatmap logits.
    duplicate_iou: IoU above which two ROIs / keypoint boxes are taken as the same person.
    tiles_per_scan: with tracking, a detection frame runs the whole frame plus only the next
    `tiles_per_scan` tiles in rotation (0 = all tiles every time), except the first frame after start
    or reset(), which runs them all; without tracking all tiles run on every frame. 2 (default): a
    scan is 3 detector images (~17 ms at 1 thread), all 13 tiles are covered every 7 scans (70
    frames with detect_every_n 10); 4 cost ~1.2x MediaPipe's frame time on average on one person.
    settle_steps: extra landmark passes for NEW detections on a detection frame, each re-cropped from
    the previous pass's auxiliary landmarks (0 = MediaPipe's behaviour).
    smooth_aux: with tracking, place the next frame's crop from one-euro-filtered auxiliary landmarks
    (roi_tracking.AuxSmoother: MediaPipe's settings, which mp.solutions.pose always applies); False:
    from the raw ones. The returned landmarks are never smoothed here.
    """

    min_detection_score: float = 0.5
    nms_iou: float = 0.3
    min_presence: float = 0.5
    min_new_presence: float = 0.8
    max_people: int = 8
    tracking: bool = True
    detect_every_n: int = 10
    detect_tiles: tuple[int, ...] = (2, 3)
    decoder: str = "softargmax"
    refine_kernel: int = 9
    heatmap_min_confidence: float = 0.5
    softargmax_beta: float = 2.0
    duplicate_iou: float = 0.5
    tiles_per_scan: int = 2
    settle_steps: int = 0
    smooth_aux: bool = True

    def __post_init__(self) -> None:
        for name in ("min_detection_score", "nms_iou", "min_presence", "min_new_presence", "heatmap_min_confidence",
                     "duplicate_iou"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
                raise ConfigError(f"Pose2DConfig.{name} must be a number in [0, 1], got {v!r}")
        for name, lo, hi in (("max_people", 1, 64), ("detect_every_n", 0, 100000), ("refine_kernel", 1, 63),
                             ("settle_steps", 0, 3), ("tiles_per_scan", 0, 64)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ConfigError(f"Pose2DConfig.{name} must be an integer in [{lo}, {hi}], got {v!r}")
        tiles = self.detect_tiles
        if isinstance(tiles, int) and not isinstance(tiles, bool):  # a single grid size; 0 or 1 = none
            tiles = (tiles,) if tiles >= 2 else ()
        if isinstance(tiles, list):
            tiles = tuple(tiles)
        object.__setattr__(self, "detect_tiles", tiles)
        if not isinstance(tiles, tuple) or not all(isinstance(g, int) and not isinstance(g, bool) and 2 <= g <= 4
                                                   for g in tiles):
            raise ConfigError(f"Pose2DConfig.detect_tiles must be a tuple of grid sizes in [2, 4], got {tiles!r}")
        if self.refine_kernel % 2 == 0:
            raise ConfigError(f"Pose2DConfig.refine_kernel must be odd, got {self.refine_kernel}")
        for name in ("tracking", "smooth_aux"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"Pose2DConfig.{name} must be a bool, got {getattr(self, name)!r}")
        if self.decoder not in DECODER_METHODS:
            raise ConfigError(f"Pose2DConfig.decoder must be one of {DECODER_METHODS}, got {self.decoder!r}")
        if not isinstance(self.softargmax_beta, (int, float)) or not 0.0 < float(self.softargmax_beta) <= 100.0:
            raise ConfigError(f"Pose2DConfig.softargmax_beta must be in (0, 100], got {self.softargmax_beta!r}")


class Pose2DEstimator:
    """Frame (H, W, 3) uint8 RGB -> list of Pose2D, one per person, with ROI tracking between calls.

    Not thread-safe (it holds the tracks). `detector_calls` / `landmark_calls` count model runs.
    """

    def __init__(self, detector_backend: InferenceBackend, landmark_backend: InferenceBackend,
                 config: Pose2DConfig | None = None):
        self.config = config or Pose2DConfig()
        c = self.config
        self._detector = PoseDetector(detector_backend, c.min_detection_score, c.nms_iou)
        self._landmarks = LandmarkEstimator(landmark_backend, c.decoder, c.refine_kernel,
                                            c.heatmap_min_confidence, c.softargmax_beta)
        self._backends = (detector_backend, landmark_backend)
        self._tracks: list[Track] = []
        self._aux = AuxSmoother()
        self._next_id = 0
        self._frames_since_detect = 0
        self._lost = False
        self._tile_cursor = 0
        self._full_scan_pending = True
        self.last_track_ids: list[int] = []

    @classmethod
    def from_engines(cls, engines_dir: str | Path, backend_kind: str = "onnxruntime", threads: int = 1,
                     config: Pose2DConfig | None = None) -> "Pose2DEstimator":
        """Load engines_dir/pose_detection.onnx and pose_landmark_full.onnx with create_backend()."""
        from pose3d_ros.backends.base import create_backend

        d = Path(engines_dir)
        det = create_backend(d / DETECTOR_FILE, backend_kind, threads)
        try:
            lm = create_backend(d / LANDMARK_FILE, backend_kind, threads)
        except Exception:
            det.close()
            raise
        return cls(det, lm, config)

    @property
    def detector_calls(self) -> int:
        return self._detector.calls

    @property
    def landmark_calls(self) -> int:
        return self._landmarks.calls

    def reset(self) -> None:
        """Forget every track (next frame runs the detector)."""
        self._tracks = []
        self._aux.reset()
        self._frames_since_detect = 0
        self._lost = False
        self._tile_cursor = 0
        self._full_scan_pending = True
        self.last_track_ids = []

    def close(self) -> None:
        for b in self._backends:
            b.close()

    def process(self, frame_rgb: np.ndarray) -> list[Pose2D]:
        """People in this frame (presence >= min_presence), each with its landmarks in image px.

        Raises InputError for a frame that is not (H, W, 3) uint8 with sides >= 32 px; ModelError
        when a backend fails (tracks are then reset).
        """
        validate_frame(frame_rgb)
        c = self.config
        tracks = self._tracks if c.tracking else []
        rois = [t.next_roi for t in tracks]
        ids = [t.track_id for t in tracks]
        tile_faces: dict[int, np.ndarray] = {}  # index into rois -> face-box centre of a tile-only detection
        if self._should_detect(tracks):
            for det in self._detect(frame_rgb):
                if len(rois) >= c.max_people:
                    break
                if not roi_is_valid(det.roi) or (rois and np.any(roi_iou(det.roi, rois) > c.duplicate_iou)):
                    continue
                if det.from_tile:
                    face = det.face_box_px.reshape(2, 2).mean(axis=0)
                    if any(_inside(face, t.keypoint_box_px) for t in tracks):
                        continue  # on a tracked body (part_of's first test): skip its landmark run
                    tile_faces[len(rois)] = face
                rois.append(det.roi)
                ids.append(self._new_id())
            self._frames_since_detect = 0
        else:
            self._frames_since_detect += 1
        try:
            poses = self._landmarks.estimate(frame_rgb, rois)
            poses = self._settle_new(frame_rgb, poses, first_new=len(tracks))
        except Exception:
            self.reset()
            raise
        present = [i for i, p in enumerate(poses)
                   if p.score >= (c.min_presence if i < len(tracks) else max(c.min_presence, c.min_new_presence))]
        # tracked people first, so a re-detection never takes over a track's id; tile-only people last
        order = sorted(range(len(present)), key=lambda j: (present[j] >= len(tracks), present[j] in tile_faces,
                                                            -poses[present[j]].score))
        unique = set(suppress_duplicates([poses[i] for i in present], c.duplicate_iou, order))
        kept_order: list[int] = []
        for j in (j for j in order if j in unique):
            i = present[j]
            if i in tile_faces and any(part_of(poses[i], tile_faces[i], poses[k]) for k in kept_order):
                continue
            kept_order.append(i)
        keep = sorted(kept_order)
        smooth = c.tracking and c.smooth_aux
        next_rois = {i: roi_from_aux(self._aux.smooth(ids[i], poses[i].aux_px) if smooth else poses[i].aux_px)
                     for i in keep}
        self._aux.keep_only(ids[i] for i in keep)
        self._tracks = [Track(ids[i], next_rois[i], keypoint_box(poses[i])) for i in keep
                        if roi_is_valid(next_rois[i])]
        self._lost = len(self._tracks) < len(keep) or any(i not in keep for i in range(len(tracks)))
        self.last_track_ids = [ids[i] for i in keep]
        return [poses[i] for i in keep]

    def _settle_new(self, frame_rgb: np.ndarray, poses: list[Pose2D], first_new: int) -> list[Pose2D]:
        """Re-crop each newly detected person from its own auxiliary landmarks, `settle_steps` times.

        A detector ROI from a zoomed tile can be cut short (a tile that saw only the upper body gives a
        small ROI); one landmark pass predicts the whole body's ROI, the next pass then sees all of it.
        This is one tracking step taken within the frame.
        """
        new = [i for i in range(first_new, len(poses)) if poses[i].score >= self.config.min_new_presence]
        for _ in range(self.config.settle_steps):
            if not new:
                break
            again = self._landmarks.estimate(frame_rgb, [roi_from_aux(poses[i].aux_px) for i in new])
            poses = list(poses)
            for i, p in zip(new, again):
                poses[i] = p
        return poses

    def _should_detect(self, tracks: list[Track]) -> bool:
        c = self.config
        if not c.tracking or not tracks or self._lost:
            return True
        return c.detect_every_n > 0 and self._frames_since_detect + 1 >= c.detect_every_n

    def _detect(self, frame_rgb: np.ndarray):
        """Detector on the whole frame plus tiles: all of them without tracking (stateless), else the
        next `tiles_per_scan` in rotation so no frame pays for the whole set (except the first frame
        after start or reset(), which scans everything)."""
        h, w = frame_rgb.shape[:2]
        tiles = [r for grid in self.config.detect_tiles for r in tile_regions(w, h, grid)]
        k = self.config.tiles_per_scan
        full = self._full_scan_pending
        self._full_scan_pending = False
        if self.config.tracking and not full and 0 < k < len(tiles):
            start = self._tile_cursor % len(tiles)
            chosen = (tiles + tiles)[start:start + k]
            self._tile_cursor = start + k
            tiles = chosen
        return self._detector.detect(frame_rgb, [None] + tiles)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _inside(point_px: np.ndarray, box_px: np.ndarray | None) -> bool:
    """True when the (2,) point lies inside the (4,) xmin, ymin, xmax, ymax box (False for None)."""
    return box_px is not None and bool(box_px[0] <= point_px[0] <= box_px[2] and box_px[1] <= point_px[1] <= box_px[3])
