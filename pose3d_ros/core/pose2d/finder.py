"""Finding people: the BlazePose detector on the whole frame plus zoomed tiles, one ROI per person.

Constants are MediaPipe 0.10.21's pose_detection graph (../shared/notes/blazepose.md). The
detector finds a FACE box plus 4 keypoints: 0 mid-hip, 1 a point whose distance from 0 gives the
full-body size and rotation, 2 mid-shoulder, 3 the upper-body point. Every detection left after
NMS gets its own landmark ROI (not only the best one, as MediaPipe does).

Order of work in `PersonFinder.find`: letterbox each region to 224 px -> one batched run ->
decode against the SSD anchors -> weighted NMS, whole frame and tiles apart -> tile detections
that repeat a whole-frame one are dropped -> Detection (face box, keypoints, ROI) in image px.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.geometry import alignment_roi, box_iou, crop_to_image, square_around
from pose3d_ros.core.image import warp_roi
from pose3d_ros.core.pose2d.tensors import tensor_names
from pose3d_ros.core.types import Roi
from pose3d_ros.errors import ModelError

DETECTOR_INPUT_PX = 224
ANCHOR_STRIDES = (8, 16, 32, 32, 32)
NUM_KEYPOINTS = 4
SCORE_CLIP = 100.0
TILE_OVERLAP = 0.25  # fraction of a tile shared with its neighbour
REDETECT_SCALE = 1.5  # a lost person's re-detection region: its square ROI grown by this factor


@dataclass(frozen=True)
class Detection:
    """One person found by the detector, in image px.

    score: probability in [0, 1]; face_box_px: (4,) xmin, ymin, xmax, ymax; keypoints_px: (4, 2);
    roi: the landmark crop for this person; from_tile: found only in a zoomed detector tile (no
    whole-frame detection of the same face).
    """

    score: float
    face_box_px: np.ndarray
    keypoints_px: np.ndarray
    roi: Roi
    from_tile: bool = False

    @property
    def face_center_px(self) -> np.ndarray:
        """(2,) centre of the face box."""
        return self.face_box_px.reshape(2, 2).mean(axis=0)


@dataclass(frozen=True)
class RawDetections:
    """Detector candidates: boxes (M, 4) face box xmin, ymin, xmax, ymax; keypoints (M, 4, 2) x, y;
    scores (M,) in [0, 1]. Normalised detector-input coordinates, or image px after mapping back."""

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    @classmethod
    def concatenate(cls, parts: list["RawDetections"]) -> "RawDetections":
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("boxes", "keypoints", "scores")
            )
        )


def ssd_anchors(
    input_px: int = DETECTOR_INPUT_PX, strides: tuple[int, ...] = ANCHOR_STRIDES
) -> np.ndarray:
    """(A, 2) anchor centres, normalised 0..1 (x, y), ordered layer, y, x, anchor;
    A = 2254 for 224 px.

    With one aspect ratio and fixed_anchor_size each layer has 2 anchors per cell (the ratio-1
    anchor and the interpolated-scale one); layers with equal strides are merged into one feature
    map, so the three stride-32 layers give 6 anchors per 7x7 cell. Anchor sizes are fixed at 1
    (not needed).
    """
    centres = []
    layer = 0
    while layer < len(strides):
        n_same = 0
        while layer + n_same < len(strides) and strides[layer + n_same] == strides[layer]:
            n_same += 1
        fm = int(np.ceil(input_px / strides[layer]))
        ys, xs = np.meshgrid((np.arange(fm) + 0.5) / fm, (np.arange(fm) + 0.5) / fm, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=-1)
        centres.append(np.repeat(cell, 2 * n_same, axis=0))
        layer += n_same
    return np.concatenate(centres, axis=0)


def tile_regions(
    width_px: int, height_px: int, grid: int, overlap: float = TILE_OVERLAP
) -> list[Roi]:
    """Square detector regions: a grid x grid cover of the frame with `overlap` (fraction of a
    tile), each tile a square of side max(tile w, tile h) so small people appear larger to
    the detector."""
    if grid <= 1:
        return []
    tw = width_px / (grid - (grid - 1) * overlap)
    th = height_px / (grid - (grid - 1) * overlap)
    return [
        square_around(c * tw * (1.0 - overlap), r * th * (1.0 - overlap), tw, th)
        for r in range(grid)
        for c in range(grid)
    ]


def letterbox(frame_rgb: np.ndarray, region: Roi | None = None) -> tuple[np.ndarray, Roi]:
    """Detector input: (224, 224, 3) float32 in [-1, 1] and the square region it shows.

    Without `region` the whole frame is letterboxed (centred, zero border before scaling, so the
    border reads -1). With a region (a zoomed tile) the pixels around it come from the image.
    """
    box = region or square_around(0.0, 0.0, frame_rgb.shape[1], frame_rgb.shape[0])
    crop = warp_roi(frame_rgb, box, DETECTOR_INPUT_PX, replicate_border=False)
    return crop.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0), box


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    min_score: float,
    input_px: int = DETECTOR_INPUT_PX,
) -> RawDetections:
    """Decode one image's (A, 12) regressions and (A, 1) score logits; keep scores >= min_score.

    The 12 values are x, y, w, h of the box centre/size (MediaPipe's "reverse output order"), then
    4 keypoints (x, y), all in detector-input px relative to the anchor centre.
    """
    raw_boxes = np.asarray(raw_boxes, dtype=np.float64).reshape(-1, 4 + 2 * NUM_KEYPOINTS)
    logits = np.asarray(raw_scores, dtype=np.float64).reshape(-1)
    if raw_boxes.shape[0] != anchors.shape[0] or logits.shape[0] != anchors.shape[0]:
        raise ModelError(
            f"detector output has {raw_boxes.shape[0]} boxes / {logits.shape[0]} scores, "
            f"expected {anchors.shape[0]} anchors"
        )
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -SCORE_CLIP, SCORE_CLIP)))
    keep = np.flatnonzero(scores >= min_score)
    r = raw_boxes[keep] / float(input_px)
    a = anchors[keep]
    cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
    w, h = r[:, 2], r[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
    kps = r[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + a[:, None, :]
    return RawDetections(boxes=boxes, keypoints=kps, scores=scores[keep])


def weighted_nms(dets: RawDetections, iou_threshold: float) -> RawDetections:
    """MediaPipe's weighted NMS: the best remaining candidate absorbs every candidate with IoU >
    `iou_threshold` (itself included); box and keypoints become their score-weighted mean, the score
    stays the best one's. Output sorted by score, best first."""
    order = np.argsort(-dets.scores, kind="stable")
    boxes, kps, scores = dets.boxes[order], dets.keypoints[order], dets.scores[order]
    out_b, out_k, out_s = [], [], []
    remaining = np.arange(len(scores))
    while remaining.size:
        top = remaining[0]
        members = remaining[box_iou(boxes[top], boxes[remaining])[0] > iou_threshold]
        if members.size == 0:  # degenerate (empty) top box: keep it alone
            members = remaining[:1]
        w = scores[members]
        out_b.append((boxes[members] * w[:, None]).sum(0) / w.sum())
        out_k.append((kps[members] * w[:, None, None]).sum(0) / w.sum())
        out_s.append(scores[top])
        remaining = np.setdiff1d(remaining, members, assume_unique=True)
        remaining = remaining[np.argsort(-scores[remaining], kind="stable")]
    if not out_s:
        return RawDetections(np.zeros((0, 4)), np.zeros((0, NUM_KEYPOINTS, 2)), np.zeros((0,)))
    return RawDetections(np.array(out_b), np.array(out_k), np.array(out_s))


def regions_around(rois: list[Roi], scale: float = REDETECT_SCALE) -> list[Roi]:
    """Axis-aligned square detector regions centred on `rois`, each `scale` x its side (px): where
    to look again for a person whose tracked crop came back empty."""
    return [
        Roi(
            center_px=np.asarray(r.center_px, np.float64),
            size_px=r.size_px * scale,
            rotation_rad=0.0,
        )
        for r in rois
    ]


class PersonFinder:
    """Runs the detector on the whole frame, or on it and several square tiles in one batch.

    `min_score` and `nms_iou` come from the caller's validated Pose2DConfig. find() may be called
    from two threads (the frame's and the newcomer scan's, pose2d/scan.py): backend runs take turns
    unless the backend declares `concurrent_runs`.
    """

    def __init__(self, backend: InferenceBackend, min_score: float, nms_iou: float):
        self._backend = backend
        names = tensor_names("pose_detection", backend.input_shapes, backend.output_shapes)
        self._input, self._boxes, self._scores = names["image"], names["boxes"], names["scores"]
        self._anchors = ssd_anchors()
        self._min_score = float(min_score)
        self._nms_iou = float(nms_iou)
        self._turns = nullcontext() if backend.concurrent_runs else threading.Lock()
        self.concurrent_runs = bool(backend.concurrent_runs)  # may run on two threads at once
        self.calls = 0  # number of frames the detector ran on (for tracking statistics)

    def find(
        self, frame_rgb: np.ndarray, tiles: list[Roi] = (), whole_frame: bool = True
    ) -> list[Detection]:
        """Detections in image px from the letterboxed whole frame plus `tiles`, all in one batch.

        Whole-frame candidates are merged by weighted NMS on their own, exactly as MediaPipe does,
        so tiles never move a whole-frame detection. Tile candidates are merged among themselves,
        and a merged tile detection is added (from_tile=True) only when its face box does not
        overlap (IoU > nms_iou) a whole-frame detection's. Order: whole-frame detections best first,
        then tile detections best first. whole_frame=False looks in `tiles` only (a re-detection
        around lost people); everything found is then from_tile.
        """
        regions = ([None] if whole_frame else []) + list(tiles)
        if not regions:
            return []
        tensors, boxes = zip(*(letterbox(frame_rgb, r) for r in regions))
        with self._turns:
            out = self._backend.run_batched(self._input, np.stack(tensors))
            self.calls += 1
        whole, tiled = [], []
        for i, box in enumerate(boxes):
            d = decode_detections(
                out[self._boxes][i], out[self._scores][i], self._anchors, self._min_score
            )
            if d.scores.size:  # rotation 0: face boxes stay axis-aligned in the image
                corners = crop_to_image(d.boxes.reshape(-1, 2, 2), box).reshape(-1, 4)
                (whole if regions[i] is None else tiled).append(
                    RawDetections(corners, crop_to_image(d.keypoints, box), d.scores)
                )
        found = self._merge(whole, False, [])
        return found + self._merge(tiled, True, found)

    def _merge(
        self, parts: list[RawDetections], from_tile: bool, found: list[Detection]
    ) -> list[Detection]:
        """Weighted NMS over `parts`; with from_tile, drop those whose face repeats
        one in `found`."""
        if not parts:
            return []
        merged = weighted_nms(RawDetections.concatenate(parts), self._nms_iou)
        known = np.stack([d.face_box_px for d in found]) if found else np.zeros((0, 4))
        return [
            Detection(
                score=float(s),
                face_box_px=b,
                keypoints_px=k,
                roi=alignment_roi(k[0], k[1]),
                from_tile=from_tile,
            )
            for b, k, s in zip(merged.boxes, merged.keypoints, merged.scores)
            if not np.any(box_iou(b, known)[0] > self._nms_iou)
        ]


class TileCycle:
    """Which zoomed tiles a detection frame scans: the G x G grids for each G in `grids`, all of
    them on the first scan after start or restart(), or when `per_scan` is 0 or covers them all;
    otherwise the next `per_scan` tiles in rotation, so no frame pays for the whole set."""

    def __init__(self, grids: tuple[int, ...], per_scan: int):
        self._grids = grids
        self._per_scan = per_scan
        self._cursor = 0
        self._full_pending = True

    def restart(self) -> None:
        self._cursor = 0
        self._full_pending = True

    def next(self, width_px: int, height_px: int, rotate: bool) -> list[Roi]:
        """The tiles of this scan; rotate=False scans them all
        (and keeps the rotation where it was)."""
        tiles = [r for grid in self._grids for r in tile_regions(width_px, height_px, grid)]
        full, self._full_pending = self._full_pending, False
        k = self._per_scan
        if not rotate or full or not 0 < k < len(tiles):
            return tiles
        start = self._cursor % len(tiles)
        self._cursor = start + k
        return (tiles + tiles)[start : start + k]
