"""BlazePose person detector post-processing: SSD anchors, decoding, weighted NMS, landmark ROIs.

Constants are MediaPipe 0.10.21's pose_detection graph (../shared/notes/blazepose.md). The
detector finds a FACE box plus 4 keypoints: 0 mid-hip, 1 a point whose distance from 0 gives
the full-body size and rotation, 2 mid-shoulder, 3 the upper-body point. Every detection left
after NMS gets its own landmark ROI (not only the best one, as MediaPipe does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.errors import ModelError
from pose3d_ros.core.preprocess import Letterbox, letterbox
from pose3d_ros.core.types import Roi

LOG = logging.getLogger(__name__)

DETECTOR_INPUT_PX = 224
ANCHOR_STRIDES = (8, 16, 32, 32, 32)
ANCHOR_MIN_SCALE = 0.1484375
ANCHOR_MAX_SCALE = 0.75
NUM_KEYPOINTS = 4
SCORE_CLIP = 100.0
ROI_SCALE = 1.25


def ssd_anchors(input_px: int = DETECTOR_INPUT_PX, strides: tuple[int, ...] = ANCHOR_STRIDES) -> np.ndarray:
    """(A, 2) anchor centres, normalised 0..1 (x, y), ordered layer, y, x, anchor; A = 2254 for 224 px.

    With one aspect ratio and fixed_anchor_size each layer has 2 anchors per cell (the ratio-1 anchor and
    the interpolated-scale one); layers with equal strides are merged into one feature map, so the
    three stride-32 layers give 6 anchors per 7x7 cell. Anchor sizes are fixed at 1 (not needed).
    """
    centres = []
    layer = 0
    while layer < len(strides):
        n_same = 0
        while layer + n_same < len(strides) and strides[layer + n_same] == strides[layer]:
            n_same += 1
        fm = int(np.ceil(input_px / strides[layer]))
        per_cell = 2 * n_same
        ys, xs = np.meshgrid((np.arange(fm) + 0.5) / fm, (np.arange(fm) + 0.5) / fm, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=-1)
        centres.append(np.repeat(cell, per_cell, axis=0))
        layer += n_same
    return np.concatenate(centres, axis=0)


@dataclass(frozen=True)
class RawDetections:
    """Decoded detector candidates in normalised detector-input coordinates.

    boxes: (M, 4) xmin, ymin, xmax, ymax of the face box; keypoints: (M, 4, 2) x, y; scores: (M,) in [0, 1].
    """

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray,
                      min_score: float, input_px: int = DETECTOR_INPUT_PX) -> RawDetections:
    """Decode one image's (A, 12) regressions and (A, 1) score logits; keep scores >= min_score.

    The 12 values are x, y, w, h of the box centre/size (MediaPipe's "reverse output order"), then
    4 keypoints (x, y), all in detector-input px relative to the anchor centre.
    """
    raw_boxes = np.asarray(raw_boxes, dtype=np.float64).reshape(-1, 4 + 2 * NUM_KEYPOINTS)
    logits = np.asarray(raw_scores, dtype=np.float64).reshape(-1)
    if raw_boxes.shape[0] != anchors.shape[0] or logits.shape[0] != anchors.shape[0]:
        raise ModelError(f"detector output has {raw_boxes.shape[0]} boxes / {logits.shape[0]} scores, "
                         f"expected {anchors.shape[0]} anchors")
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -SCORE_CLIP, SCORE_CLIP)))
    keep = np.flatnonzero(scores >= min_score)
    r = raw_boxes[keep] / float(input_px)
    a = anchors[keep]
    cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
    w, h = r[:, 2], r[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
    kps = r[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + a[:, None, :]
    return RawDetections(boxes=boxes, keypoints=kps, scores=scores[keep])


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (4,) xmin, ymin, xmax, ymax box with (M, 4) boxes -> (M,); 0 where the union is empty."""
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


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
        members = remaining[box_iou(boxes[top], boxes[remaining]) > iou_threshold]
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


def normalize_radians(angle_rad: float) -> float:
    """Wrap to [-pi, pi)."""
    return float(angle_rad - 2.0 * np.pi * np.floor((angle_rad + np.pi) / (2.0 * np.pi)))


def alignment_roi(center_px: np.ndarray, scale_point_px: np.ndarray, scale: float = ROI_SCALE) -> Roi:
    """MediaPipe's landmark ROI from two alignment points (image px).

    Centre = center_px; side = 2 * |scale_point - centre| * scale; rotation =
    normalize(pi/2 - atan2(-(y1 - y0), x1 - x0)) so the crop's up axis points from centre to scale point.
    """
    c = np.asarray(center_px, dtype=np.float64)
    p = np.asarray(scale_point_px, dtype=np.float64)
    side = 2.0 * float(np.hypot(*(p - c))) * scale
    rotation = normalize_radians(np.pi / 2.0 - np.arctan2(-(p[1] - c[1]), p[0] - c[0]))
    return Roi(center_px=c, size_px=side, rotation_rad=rotation)


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


def find_outputs(backend: InferenceBackend) -> tuple[str, str, str]:
    """(input name, boxes output name, scores output name) of a detector backend, found by shape."""
    inputs = list(backend.input_shapes)
    outs = backend.output_shapes
    boxes = [n for n, s in outs.items() if len(s) == 3 and s[-1] == 4 + 2 * NUM_KEYPOINTS]
    scores = [n for n, s in outs.items() if len(s) == 3 and s[-1] == 1]
    if len(inputs) != 1 or len(boxes) != 1 or len(scores) != 1:
        raise ModelError(f"not a BlazePose detector: inputs {backend.input_shapes}, outputs {outs}")
    return inputs[0], boxes[0], scores[0]


class PoseDetector:
    """Runs the detector on the whole frame (or on several square regions in one batch).

    `min_score` and `nms_iou` come from the caller's validated config.
    """

    def __init__(self, backend: InferenceBackend, min_score: float = 0.5, nms_iou: float = 0.3):
        self._backend = backend
        self._input, self._boxes, self._scores = find_outputs(backend)
        batch = backend.input_shapes[self._input][0]
        self._max_batch = None if batch is None or batch <= 0 else int(batch)
        self._anchors = ssd_anchors()
        self._min_score = float(min_score)
        self._nms_iou = float(nms_iou)
        self.calls = 0  # number of frames the detector ran on (for tracking statistics)

    def detect(self, frame_rgb: np.ndarray, regions: list[Letterbox | None] | None = None) -> list[Detection]:
        """Detections in image px. `regions`: square image regions to run on (default: the letterboxed
        whole frame, also meant by a None entry), all in one batch.

        Whole-frame candidates are merged by weighted NMS on their own, exactly as MediaPipe does, so
        tiles never move a whole-frame detection. Tile candidates are merged among themselves, and a
        merged tile detection is added (from_tile=True) only when its face box does not overlap
        (IoU > nms_iou) a whole-frame detection's. Order: whole-frame detections best first, then
        tile detections best first.
        """
        boxes_in = regions or [None]
        tensors, lbs = zip(*(letterbox(frame_rgb, DETECTOR_INPUT_PX, r) for r in boxes_in))
        raw_b, raw_s = self._run(np.stack(tensors))
        self.calls += 1
        cands: dict[bool, list[RawDetections]] = {False: [], True: []}
        for i, (lb, region) in enumerate(zip(lbs, boxes_in)):
            d = decode_detections(raw_b[i], raw_s[i], self._anchors, self._min_score)
            if d.scores.size == 0:
                continue
            corners = lb.to_image(d.boxes.reshape(-1, 2, 2)).reshape(-1, 4)  # rotation 0: stays axis-aligned
            cands[region is not None].append(RawDetections(corners, lb.to_image(d.keypoints), d.scores))
        out: list[Detection] = []
        for from_tile in (False, True):
            if not cands[from_tile]:
                continue
            merged = weighted_nms(RawDetections(*(np.concatenate([getattr(c, f) for c in cands[from_tile]])
                                                  for f in ("boxes", "keypoints", "scores"))), self._nms_iou)
            whole = np.stack([d.face_box_px for d in out]) if out else None
            for b, k, s in zip(merged.boxes, merged.keypoints, merged.scores):
                if from_tile and whole is not None and np.any(box_iou(b, whole) > self._nms_iou):
                    continue
                out.append(Detection(score=float(s), face_box_px=b, keypoints_px=k, roi=alignment_roi(k[0], k[1]),
                                     from_tile=from_tile))
        return out

    def _run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        step = self._max_batch or batch.shape[0]
        outs_b, outs_s = [], []
        for i in range(0, batch.shape[0], step):
            out = self._backend.run({self._input: batch[i:i + step]})
            outs_b.append(out[self._boxes])
            outs_s.append(out[self._scores])
        return np.concatenate(outs_b), np.concatenate(outs_s)
