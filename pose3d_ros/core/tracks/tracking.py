"""Person identities across frames: short random letter IDs (REP-155 style),
kept through occlusions.

The one place identity is decided. A person the 2D stage carried from the last frame (same
Pose2D.track_key) keeps its id. Everyone else (new detections, and every person when the 2D stage
does not track) is matched greedily on 2D bounding-box IoU (highest first) against the tracks not
continued that way. A track that finds nobody is kept, unmatched, until it has not been seen for
`timeout_s`, then it is reported as ended. IDs are never reused within one Tracker's life.

No id outlives a scene cut: when the 2D stage says a frame is another picture (a photo folder, a
camera switched; core/pose2d/scene.py), every track ends on that frame, before matching, so a
person on the new picture never inherits an id because their box overlaps an old one.
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.geometry import box_iou, points_box
from pose3d_ros.core.types import Person
from pose3d_ros.errors import ConfigError, InputError


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
    """Result of one frame: ids[i] belongs to detection i; ended lists tracks that
    just timed out."""

    ids: tuple[str, ...]
    ended: tuple[str, ...]


def greedy_match(score: np.ndarray, min_score: float) -> list[tuple[int, int]]:
    """(N, M) similarity -> [(row, col)] pairs, best first, each row/col used once,
    score >= min_score."""
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
        self._by_key: dict[int, str] = {}  # 2D-stage track key on the last frame -> id

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

    def update(
        self,
        boxes_px: np.ndarray,
        stamp_s: float,
        keys: list[int | None] | None = None,
        scene_cut: bool = False,
    ) -> TrackUpdate:
        """(N, 4) detection boxes x0, y0, x1, y1 px at time stamp_s -> IDs and ended tracks.

        keys: the 2D stage's track_key of each detection (None: unknown); a key seen on the last
        frame continues its id without IoU matching. A stamp going backwards (a bag played again)
        or a scene cut ends every track first.
        """
        boxes = np.asarray(boxes_px, dtype=np.float64).reshape(-1, 4)
        if not np.all(np.isfinite(boxes)) or not np.isfinite(stamp_s):
            raise InputError("tracker got non-finite boxes or stamp")
        ended: list[str] = []
        going_back = self._last_stamp_s is not None and stamp_s < self._last_stamp_s
        if going_back or scene_cut:
            ended.extend(self._boxes_px)
            self._boxes_px.clear()
            self._last_seen_s.clear()
            self._by_key.clear()
        self._last_stamp_s = stamp_s

        keys = list(keys) if keys is not None else [None] * len(boxes)
        ids: list[str | None] = [self._by_key.get(k) if k is not None else None for k in keys]
        ids = [tid if tid in self._boxes_px else None for tid in ids]
        rows = [d for d, tid in enumerate(ids) if tid is None]
        track_ids = [t for t in self._boxes_px if t not in ids]
        track_boxes = np.array([self._boxes_px[t] for t in track_ids]).reshape(-1, 4)
        iou = box_iou(boxes[rows], track_boxes)
        for r, trk in greedy_match(iou, max(self._config.min_iou, 1e-9)):
            ids[rows[r]] = track_ids[trk]
        for det, tid in enumerate(ids):
            if tid is None:
                tid = self._new_id()
                ids[det] = tid
            self._boxes_px[tid] = boxes[det].copy()
            self._last_seen_s[tid] = stamp_s
        self._by_key = {k: tid for k, tid in zip(keys, ids) if k is not None}

        for tid in list(self._boxes_px):
            if stamp_s - self._last_seen_s[tid] > self._config.timeout_s:
                del self._boxes_px[tid]
                del self._last_seen_s[tid]
                ended.append(tid)
        return TrackUpdate(tuple(ids), tuple(ended))

    def assign(
        self, people: list[Person], stamp_s: float, scene_cut: bool = False
    ) -> tuple[list[Person], tuple[str, ...]]:
        """People of one frame -> copies with track_id set, plus the IDs of tracks that ended
        (scene_cut: this frame is another picture, see update)."""
        boxes = np.array([points_box(p.joints2d_px) for p in people]).reshape(-1, 4)
        upd = self.update(boxes, stamp_s, [p.pose2d.track_key for p in people], scene_cut)
        tracked = [dataclasses.replace(p, track_id=tid) for p, tid in zip(people, upd.ids)]
        return tracked, upd.ended

    def _new_id(self) -> str:
        letters = np.array(list(string.ascii_lowercase))
        while True:
            tid = "".join(self._rng.choice(letters, size=self._config.id_length))
            if tid not in self._used:
                self._used.add(tid)
                return tid
