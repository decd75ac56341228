"""The 2D stage, frame -> people with 33 BlazePose landmarks each; it only orchestrates.

Per frame, top-down:
1. scene.py: a frame that does not continue the last one (a scene cut) ends every track;
2. the tracked people's crops (roi_tracker.py) are this frame's first candidates; with nobody
   tracked (start, after a cut, everyone lost, tracking off) the finder (finder.py) scans this
   frame at once; otherwise the people a finished newcomer scan found (scan.py, on a worker
   thread) join as candidates, skipping those on a tracked body;
3. the landmark model (landmarks.py) runs once on all candidate crops;
4. a tracked crop whose pose is gone (low presence) or is not last frame's body
   (people.continues) loses its track, and the finder looks again at once, in this frame, around
   the lost crops (plus the whole frame); what it finds gets its own landmark run;
5. new people must be confirmed by a second look (people.confirmed) and be plausible;
   people.py keeps one result per person (duplicates, tile ghosts);
6. the kept people's next crops become the tracks; a newcomer scan of this frame starts when due.
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.geometry import alignment_roi, point_in_box, roi_is_valid
from pose3d_ros.core.image import validate_frame
from pose3d_ros.core.pose2d.config import MOVENET_LANDMARK_MODELS, Pose2DConfig
from pose3d_ros.core.pose2d.finder import Detection, PersonFinder, TileCycle, regions_around
from pose3d_ros.core.pose2d.landmarks import LandmarkModel
from pose3d_ros.core.pose2d.movenet_single import MovenetSingleModel
from pose3d_ros.core.pose2d.people import (
    Candidate,
    body_size_px,
    confirmed,
    continues,
    plausible,
    select_people,
    visible_box,
)
from pose3d_ros.core.pose2d.roi_tracker import RoiTracker
from pose3d_ros.core.pose2d.scan import NewcomerScan
from pose3d_ros.core.pose2d.scene import SceneCutDetector
from pose3d_ros.core.types import Pose2D, Roi

HIP_MATCH = 0.2  # a detection is a tracked person's when its hip lies this close (x body size)


class Pose2DEstimator:
    """Frame (H, W, 3) uint8 RGB -> list of Pose2D, one per person, with ROI tracking between calls.

    Each Pose2D's track_key stays the same while its person's crop is carried from frame to frame.
    `scene_cut` says whether the last frame was a cut (the tracks ended there). Call process() from
    one thread; with `async_scan` a worker thread runs the newcomer scan, stopped by close().
    `detector_calls` / `landmark_calls` count model runs.
    """

    def __init__(
        self,
        detector_backend: InferenceBackend,
        landmark_backend: InferenceBackend,
        config: Pose2DConfig | None = None,
        finder=None,
    ):
        # finder: a ready person finder with PersonFinder's find()/calls/close() (assembly opens
        # MoveNet's, pose2d/movenet.py, for person_finder "movenet"); None: the BlazePose detector
        self._custom_finder = finder
        self._backends = (detector_backend, landmark_backend)  # detector None with a finder
        self._scan: NewcomerScan | None = None
        self.scene_cut = False
        self.set_config(config or Pose2DConfig())

    @property
    def config(self) -> Pose2DConfig:
        return self._config

    def set_config(self, config: Pose2DConfig) -> None:
        """Use new settings over the same models; tracks are forgotten."""
        det, lm = self._backends
        c = self._config = config
        if self._scan is not None:
            self._scan.close()
        self._finder = self._custom_finder or PersonFinder(det, c.min_detection_score, c.nms_iou)
        params = inspect.signature(self._finder.find).parameters
        self._finds_in_regions = "whole_frame" in params  # PersonFinder.find(..., whole_frame)
        self._landmarks = (
            MovenetSingleModel(lm)
            if c.landmark_model in MOVENET_LANDMARK_MODELS
            else LandmarkModel(
                lm, c.decoder, c.refine_kernel, c.heatmap_min_confidence, c.softargmax_beta
            )
        )
        self._tiles = TileCycle(c.detect_tiles, c.tiles_per_scan)
        self._tracker = RoiTracker(smooth_aux=c.tracking and c.smooth_aux)
        # the scan runs on a worker only over a finder whose model may run on two threads at once
        # (ONNX Runtime); TensorRT (its pycuda binding keeps the CUDA context per thread) and
        # finders that do not say scan inline, which on a GPU costs a few ms
        concurrent = bool(getattr(self._finder, "concurrent_runs", False))
        self._scan = NewcomerScan(
            self._find, asynchronous=c.tracking and c.async_scan and concurrent
        )
        # on the worker a scan goes one detector image at a time (whole frame, then each tile,
        # each started once the last one is taken), so a frame overlaps ~6 ms of it, not ~17
        self._piecewise = self._finds_in_regions and c.tracking and c.async_scan and concurrent
        self._scan_pieces: list[list[Roi | None]] = []
        self._cuts = SceneCutDetector(c.scene_cut_min_corr)
        self._frames_since_scan = 0

    @property
    def detector_calls(self) -> int:
        return self._finder.calls

    @property
    def landmark_calls(self) -> int:
        return self._landmarks.calls

    def reset(self) -> None:
        """Forget every track (the next frame runs the detector on every tile)."""
        self._forget_tracks()
        self._cuts.reset()

    def _forget_tracks(self) -> None:
        self._tracker.reset()
        self._tiles.restart()
        self._scan.cancel()
        self._scan_pieces = []
        self._frames_since_scan = 0

    def process(self, frame_rgb: np.ndarray) -> list[Pose2D]:
        """People in this frame (presence >= min_presence), each with its landmarks in image px.

        Raises InputError for a frame that is not (H, W, 3) uint8 with sides >= 32 px; ModelError
        when a backend fails (tracks are then reset).
        """
        validate_frame(frame_rgb)
        try:
            return self._process(frame_rgb)
        except Exception:
            self.reset()
            raise

    def _process(self, frame_rgb: np.ndarray) -> list[Pose2D]:
        c = self._config
        self.scene_cut = self._cuts.update(frame_rgb)
        if self.scene_cut:
            self._forget_tracks()
        cands = self._tracker.carried() if c.tracking else []
        if cands:
            found = self._scan.take()
        else:  # nobody to follow: this frame is scanned now, like a static image
            self._scan.cancel()
            h, w = frame_rgb.shape[:2]
            found = self._finder.find(frame_rgb, self._tiles.next(w, h, rotate=c.tracking))
            self._frames_since_scan = 0
        cands += self._candidates(found or [], cands)
        poses = self._landmarks.estimate(frame_rgb, [k.roi for k in cands])
        holds = [k.tracked and self._holds(k, p) for k, p in zip(cands, poses)]
        cands, poses = self._redetect_lost(frame_rgb, cands, poses, holds)
        poses = self._settle_new(frame_rgb, cands, poses)
        people = self._people(frame_rgb, cands, poses, holds)
        self._tracker.update(cands, poses, people)
        self._start_scan(frame_rgb)
        return [dataclasses.replace(poses[i], track_key=cands[i].key) for i in people]

    def _candidates(self, found: list[Detection], known: list[Candidate]) -> list[Candidate]:
        """New candidates for the detections that are not a known person's body (_on_body), up
        to max_people in all."""
        c = self._config
        bodies = [k.previous for k in known if k.previous is not None]
        new: list[Candidate] = []
        for det in found:
            if len(known) + len(new) >= c.max_people:
                break
            if not roi_is_valid(det.roi) or any(_on_body(det, b) for b in bodies):
                continue
            face = det.face_center_px if det.from_tile else None
            new.append(
                Candidate(self._tracker.new_key(), det.roi, tracked=False, tile_face_px=face)
            )
        return new

    def _redetect_lost(
        self,
        frame_rgb: np.ndarray,
        cands: list[Candidate],
        poses: list[Pose2D],
        holds: list[bool],
    ) -> tuple[list[Candidate], list[Pose2D]]:
        """Tracked crops that lost their person (holds[i] False): look again now, around them
        (plus the whole frame for a finder without `whole_frame`), and run the landmark model on
        what is found (lost tracks are dropped later by _people)."""
        lost = [i for i, k in enumerate(cands) if k.tracked and not holds[i]]
        if not lost:
            return cands, poses
        held = [
            dataclasses.replace(k, previous=poses[i])
            for i, k in enumerate(cands)
            if k.tracked and i not in lost
        ]
        held += [k for k in cands if not k.tracked]
        # around the lost crops only, one detector image each (plus the whole frame for a finder
        # that cannot leave it out)
        found = self._find(frame_rgb, regions_around([cands[i].roi for i in lost]))
        new = self._candidates(found, held)
        if not new:
            return cands, poses
        return cands + new, poses + self._landmarks.estimate(frame_rgb, [k.roi for k in new])

    def _holds(self, cand: Candidate, pose: Pose2D) -> bool:
        """A tracked crop still holds its person: present, and the same body as last frame."""
        return pose.score >= self._config.min_presence and (
            cand.previous is None or continues(cand.previous, pose)
        )

    def _people(
        self,
        frame_rgb: np.ndarray,
        cands: list[Candidate],
        poses: list[Pose2D],
        holds: list[bool],
    ) -> list[int]:
        """Indices of the poses that are people: tracked ones that hold their person (holds,
        for the first len(holds) candidates), new ones confirmed and plausible, one per person
        (people.select_people)."""
        c = self._config
        h, w = frame_rgb.shape[:2]
        ok = [
            holds[i] if k.tracked else plausible(p, w, h)
            for i, (k, p) in enumerate(zip(cands, poses))
        ]
        if c.confirm_new:
            new = [
                i
                for i, k in enumerate(cands)
                if ok[i] and not k.tracked and poses[i].score >= c.min_new_presence
            ]
            rois = [alignment_roi(*poses[i].aux_px) for i in new]
            for i, roi in zip(new, rois):
                ok[i] = roi_is_valid(roi)  # no crop for a second look: not confirmed
            new = [i for i, roi in zip(new, rois) if roi_is_valid(roi)]
            again = self._landmarks.estimate(frame_rgb, [r for r in rois if roi_is_valid(r)])
            for i, p in zip(new, again):
                ok[i] = confirmed(poses[i], p, c.min_new_presence)
        keep = [i for i in range(len(cands)) if ok[i]]
        chosen = select_people(
            [cands[i] for i in keep],
            [poses[i] for i in keep],
            c.min_presence,
            c.min_new_presence,
            c.duplicate_iou,
        )
        return [keep[j] for j in chosen]

    def _start_scan(self, frame_rgb: np.ndarray) -> None:
        """With tracks to follow, scan for newcomers every detect_every_n frames: the whole frame
        plus the next tiles, on this frame (inline: all at once), or piece by piece on this and
        the following frames (on the worker)."""
        c = self._config
        self._frames_since_scan += 1
        if not c.tracking or not self._tracker.tracks or c.detect_every_n <= 0:
            self._scan_pieces = []
            return
        if self._scan.busy:
            return
        if not self._scan_pieces and self._frames_since_scan >= c.detect_every_n:
            h, w = frame_rgb.shape[:2]
            tiles = self._tiles.next(w, h, rotate=True)
            pieces = [[None]] + [[t] for t in tiles] if self._piecewise else [[None, *tiles]]
            self._scan_pieces = pieces
            self._frames_since_scan = 0
        if self._scan_pieces and self._scan.start(frame_rgb, self._scan_pieces[0]):
            self._scan_pieces.pop(0)

    def _find(self, frame_rgb: np.ndarray, regions: list[Roi | None]) -> list[Detection]:
        """The finder on `regions` (None = the whole frame; without None, only the regions when
        the finder can: a piece of a newcomer scan)."""
        tiles = [r for r in regions if r is not None]
        if None in regions or not self._finds_in_regions:
            return self._finder.find(frame_rgb, tiles)
        return self._finder.find(frame_rgb, tiles, whole_frame=False)

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
        """Stop the newcomer scan's worker, then release the models."""
        self._scan.close()
        if self._custom_finder is not None:
            self._custom_finder.close()
        for b in self._backends:
            if b is not None:
                b.close()


def _on_body(det: Detection, body: Pose2D) -> bool:
    """The detection is `body`'s person again: its mid-hip keypoint lies within HIP_MATCH body
    sizes of body's mid-hip (BlazePose landmarks 23, 24); or, found only in a zoomed tile, it is a
    piece of that body (its face centre lies in body's visible box, as people.part_of)."""
    if det.from_tile and point_in_box(det.face_center_px, visible_box(body)):
        return True
    hip_px = body.keypoints_px[[23, 24]].mean(axis=0)
    return float(np.linalg.norm(det.keypoints_px[0] - hip_px)) <= HIP_MATCH * body_size_px(body)
