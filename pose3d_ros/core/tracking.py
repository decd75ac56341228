"""Track identities across frames: short random letter IDs (REP-155 style), kept through occlusions.

Matching is greedy on 2D bounding-box IoU (highest IoU first), which is what a handful of people
per frame needs; a track that finds no detection is kept, unmatched, until it has not been seen for
`timeout_s`, then it is reported as ended. IDs are never reused within one Tracker's life.
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.errors import ConfigError, InputError
from pose3d_ros.core.types import Person


@dataclass(frozen=True)
class TrackerConfig:
    """timeout_s: how long an unseen track survives; min_iou: least box IoU to continue a track."""

    timeout_s: float = 1.0
    min_iou: float = 0.1
    id_length: int = 5

    def __post_init__(self) -> None:
        if not (np.isfinite(self.timeout_s) and self.timeout_s >= 0.0):
            raise ConfigError(f"track timeout_s must be >= 0, got {self.timeout_s}")
        if not 0.0 <= self.min_iou <= 1.0:
            raise ConfigError(f"track min_iou must be in [0, 1], got {self.min_iou}")
        if not 3 <= self.id_length <= 16:
            raise ConfigError(f"track id_length must be in [3, 16], got {self.id_length}")


@dataclass(frozen=True)
class TrackUpdate:
    """Result of one frame: ids[i] belongs to detection i; ended lists tracks that just timed out."""

    ids: tuple[str, ...]
    ended: tuple[str, ...]


def box_iou(a_px: np.ndarray, b_px: np.ndarray) -> np.ndarray:
    """(N, 4), (M, 4) boxes x0, y0, x1, y1 px -> (N, M) intersection over union (0 for empty boxes)."""
    a = np.asarray(a_px, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b_px, dtype=np.float64).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def greedy_match(score: np.ndarray, min_score: float) -> list[tuple[int, int]]:
    """(N, M) similarity -> [(row, col)] pairs, best first, each row/col used once, score >= min_score."""
    pairs = []
    if score.size == 0:
        return pairs
    order = np.argsort(-score, axis=None, kind="stable")
    used_r, used_c = set(), set()
    for flat in order:
        r, c = divmod(int(flat), score.shape[1])
        if score[r, c] < min_score:
            break
        if r in used_r or c in used_c:
            continue
        used_r.add(r)
        used_c.add(c)
        pairs.append((r, c))
    return pairs


class Tracker:
    """Assigns stable IDs to per-frame detections given their 2D boxes and the frame time."""

    def __init__(self, config: TrackerConfig | None = None, rng: np.random.Generator | None = None):
        self._config = config or TrackerConfig()
        self._rng = rng if rng is not None else np.random.default_rng()
        self._boxes_px: dict[str, np.ndarray] = {}
        self._last_seen_s: dict[str, float] = {}
        self._used: set[str] = set()
        self._last_stamp_s: float | None = None

    @property
    def config(self) -> TrackerConfig:
        return self._config

    def set_config(self, config: TrackerConfig) -> None:
        """Change thresholds/timeout at run time; live tracks are kept."""
        self._config = config

    @property
    def active_ids(self) -> tuple[str, ...]:
        """IDs of the tracks alive now (seen within the timeout), in creation order."""
        return tuple(self._boxes_px)

    def update(self, boxes_px: np.ndarray, stamp_s: float) -> TrackUpdate:
        """(N, 4) detection boxes x0, y0, x1, y1 px at time stamp_s -> IDs and ended tracks.

        A stamp going backwards (a bag played again) ends every track first.
        """
        boxes = np.asarray(boxes_px, dtype=np.float64).reshape(-1, 4)
        if not np.all(np.isfinite(boxes)) or not np.isfinite(stamp_s):
            raise InputError("tracker got non-finite boxes or stamp")
        ended: list[str] = []
        if self._last_stamp_s is not None and stamp_s < self._last_stamp_s:
            ended.extend(self._boxes_px)
            self._boxes_px.clear()
            self._last_seen_s.clear()
        self._last_stamp_s = stamp_s

        track_ids = list(self._boxes_px)
        track_boxes = np.array([self._boxes_px[t] for t in track_ids]).reshape(-1, 4)
        iou = box_iou(boxes, track_boxes)
        ids: list[str | None] = [None] * len(boxes)
        for det, trk in greedy_match(iou, max(self._config.min_iou, 1e-9)):
            ids[det] = track_ids[trk]
        for det, tid in enumerate(ids):
            if tid is None:
                tid = self._new_id()
                ids[det] = tid
            self._boxes_px[tid] = boxes[det].copy()
            self._last_seen_s[tid] = stamp_s

        for tid in list(self._boxes_px):
            if stamp_s - self._last_seen_s[tid] > self._config.timeout_s:
                del self._boxes_px[tid]
                del self._last_seen_s[tid]
                ended.append(tid)
        return TrackUpdate(tuple(ids), tuple(ended))

    def assign(self, people: list[Person], stamp_s: float) -> tuple[list[Person], tuple[str, ...]]:
        """People of one frame -> copies with track_id set, plus the IDs of tracks that ended."""
        boxes = np.array([_person_box_px(p) for p in people]).reshape(-1, 4)
        upd = self.update(boxes, stamp_s)
        tracked = [dataclasses.replace(p, track_id=tid) for p, tid in zip(people, upd.ids)]
        return tracked, upd.ended

    def _new_id(self) -> str:
        letters = np.array(list(string.ascii_lowercase))
        while True:
            tid = "".join(self._rng.choice(letters, size=self._config.id_length))
            if tid not in self._used:
                self._used.add(tid)
                return tid


def _person_box_px(person: Person) -> np.ndarray:
    """(4,) box of the person's H36M 2D joints, px."""
    j = person.joints2d_px
    return np.array([j[:, 0].min(), j[:, 1].min(), j[:, 0].max(), j[:, 1].max()])
