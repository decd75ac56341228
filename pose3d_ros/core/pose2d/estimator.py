"""The 2D stage, frame -> people with 33 BlazePose landmarks each; it only orchestrates.

Per frame, top-down:
1. the tracked people's crops (roi_tracker.py) are this frame's first candidates;
2. when a detection is due (nobody tracked, a track lost on the last frame, every
   `detect_every_n` frames, or always with tracking off) the finder (finder.py) adds new people,
   skipping those a tracked crop already covers and tile-only detections whose face lies on a
   tracked body;
3. the landmark model (landmarks.py) runs once on all candidate crops;
4. people.py keeps one result per person (presence, duplicates, tile ghosts);
5. the kept people's next crops become the tracks.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.geometry import alignment_roi, point_in_box, roi_iou, roi_is_valid
from pose3d_ros.core.image import validate_frame
from pose3d_ros.core.pose2d.config import Pose2DConfig
from pose3d_ros.core.pose2d.finder import PersonFinder, TileCycle
from pose3d_ros.core.pose2d.landmarks import LandmarkModel
from pose3d_ros.core.pose2d.people import Candidate, select_people
from pose3d_ros.core.pose2d.roi_tracker import RoiTracker
from pose3d_ros.core.types import Pose2D


class Pose2DEstimator:
    """Frame (H, W, 3) uint8 RGB -> list of Pose2D, one per person, with ROI tracking between calls.

    Each Pose2D's track_key stays the same while its person's crop is carried from frame to frame.
    Not thread-safe (it holds the tracks). `detector_calls` / `landmark_calls` count model runs.
    """

    def __init__(
        self,
        detector_backend: InferenceBackend,
        landmark_backend: InferenceBackend,
        config: Pose2DConfig | None = None,
    ):
        self._backends = (detector_backend, landmark_backend)
        self._frames_since_detect = 0
        self.set_config(config or Pose2DConfig())

    @property
    def config(self) -> Pose2DConfig:
        return self._config

    def set_config(self, config: Pose2DConfig) -> None:
        """Use new settings over the same models; tracks are forgotten."""
        det, lm = self._backends
        c = self._config = config
        self._finder = PersonFinder(det, c.min_detection_score, c.nms_iou)
        self._landmarks = LandmarkModel(
            lm, c.decoder, c.refine_kernel, c.heatmap_min_confidence, c.softargmax_beta
        )
        self._tiles = TileCycle(c.detect_tiles, c.tiles_per_scan)
        self._tracker = RoiTracker(smooth_aux=c.tracking and c.smooth_aux)
        self._frames_since_detect = 0

    @property
    def detector_calls(self) -> int:
        return self._finder.calls

    @property
    def landmark_calls(self) -> int:
        return self._landmarks.calls

    def reset(self) -> None:
        """Forget every track (the next frame runs the detector on every tile)."""
        self._tracker.reset()
        self._tiles.restart()
        self._frames_since_detect = 0

    def process(self, frame_rgb: np.ndarray) -> list[Pose2D]:
        """People in this frame (presence >= min_presence), each with its landmarks in image px.

        Raises InputError for a frame that is not (H, W, 3) uint8 with sides >= 32 px; ModelError
        when a backend fails (tracks are then reset).
        """
        validate_frame(frame_rgb)
        c = self._config
        cands = self._tracker.carried() if c.tracking else []
        if self._detection_due(cands):
            cands += self._new_people(frame_rgb, cands)
            self._frames_since_detect = 0
        else:
            self._frames_since_detect += 1
        try:
            poses = self._landmarks.estimate(frame_rgb, [k.roi for k in cands])
            poses = self._settle_new(frame_rgb, cands, poses)
        except Exception:
            self.reset()
            raise
        kept = select_people(cands, poses, c.min_presence, c.min_new_presence, c.duplicate_iou)
        self._tracker.update(cands, poses, kept)
        return [dataclasses.replace(poses[i], track_key=cands[i].key) for i in kept]

    def _detection_due(self, tracked: list[Candidate]) -> bool:
        c = self._config
        if not c.tracking or not tracked or self._tracker.lost:
            return True
        return c.detect_every_n > 0 and self._frames_since_detect + 1 >= c.detect_every_n

    def _new_people(self, frame_rgb: np.ndarray, tracked: list[Candidate]) -> list[Candidate]:
        """Candidates for the people the finder sees that no tracked crop covers
        (up to max_people)."""
        c = self._config
        h, w = frame_rgb.shape[:2]
        boxes = [t.box_px for t in self._tracker.tracks] if c.tracking else []
        rois = [t.roi for t in tracked]
        new: list[Candidate] = []
        for det in self._finder.find(frame_rgb, self._tiles.next(w, h, rotate=c.tracking)):
            if len(rois) >= c.max_people:
                break
            if not roi_is_valid(det.roi) or (
                rois and np.any(roi_iou(det.roi, rois) > c.duplicate_iou)
            ):
                continue
            face = det.face_center_px if det.from_tile else None
            if face is not None and any(point_in_box(face, b) for b in boxes):
                continue  # on a tracked body (people.part_of's first test): skip its landmark run
            rois.append(det.roi)
            new.append(
                Candidate(self._tracker.new_key(), det.roi, tracked=False, tile_face_px=face)
            )
        return new

    def _settle_new(
        self, frame_rgb: np.ndarray, cands: list[Candidate], poses: list[Pose2D]
    ) -> list[Pose2D]:
        """Re-crop each newly detected person from its own auxiliary landmarks,
        `settle_steps` times.

        A detector ROI from a zoomed tile can be cut short (a tile that saw only the upper body
        gives a small ROI); one landmark pass predicts the whole body's ROI, the next pass then sees
        all of it. This is one tracking step taken within the frame.
        """
        new = [
            i
            for i, k in enumerate(cands)
            if not k.tracked and poses[i].score >= self._config.min_new_presence
        ]
        for _ in range(self._config.settle_steps):
            if not new:
                break
            again = self._landmarks.estimate(
                frame_rgb, [alignment_roi(*poses[i].aux_px) for i in new]
            )
            poses = list(poses)
            for i, p in zip(new, again):
                poses[i] = p
        return poses

    def close(self) -> None:
        for b in self._backends:
            b.close()
