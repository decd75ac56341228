"""ROI tracking: each person's next crop comes from this frame's landmarks,
so the detector can rest.

MediaPipe tracks one person by cropping the next frame where the auxiliary landmarks 33 (centre)
and 34 (size/rotation point) of this frame say the body is, with the same rule the detector ROI
uses (geometry.alignment_roi). We do that for every tracked person. The auxiliary points are
first One-Euro filtered with MediaPipe's settings, as mp.solutions.pose always does.

A track's `key` is the 2D stage's identity of a person: it is kept for as long as the person's
crop is carried from frame to frame, and the letter ids the node publishes follow it
(core/tracks/tracking.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.filters import OneEuroConfig, OneEuroFilter
from pose3d_ros.core.geometry import alignment_roi, roi_is_valid
from pose3d_ros.core.pose2d.people import Candidate, visible_box
from pose3d_ros.core.types import Pose2D, Roi

# mp.solutions.pose (0.10.21) always filters the auxiliary landmarks, even with
# smooth_landmarks=False: min cutoff 0.01 Hz, beta 10, derivative cutoff 1 Hz, speed scaled by 1 /
# object scale (the side of the square the raw pair spans, 2 |p34 - p33| px), at a fixed 30 Hz
# (mp.solutions feeds simulated timestamps 33333 us apart, whatever the real frame rate).
MEDIAPIPE_AUX_FILTER = OneEuroConfig(
    min_cutoff_hz=0.01, beta=10.0, d_cutoff_hz=1.0, derivative_of_raw=True
)
MEDIAPIPE_AUX_RATE_HZ = 30.0


@dataclass(frozen=True)
class Track:
    """A tracked person: its key, the ROI to crop on the next frame, and this frame's pose (the
    evidence the next frame's pose must agree with, people.continues)."""

    key: int
    next_roi: Roi
    pose: Pose2D

    @property
    def box_px(self) -> np.ndarray:
        """(4,) xmin, ymin, xmax, ymax image px of this frame's visible landmarks."""
        return visible_box(self.pose)


class AuxSmoother:
    """One One-Euro filter per track over its (2, 2) auxiliary landmarks (image px).

    smooth(key, aux_px) -> smoothed (2, 2) copy; the first sample of a track, and one whose scale
    is degenerate or not finite, passes unchanged and restarts the filter.
    """

    def __init__(
        self, config: OneEuroConfig = MEDIAPIPE_AUX_FILTER, rate_hz: float = MEDIAPIPE_AUX_RATE_HZ
    ):
        self._config = config
        self._dt_s = 1.0 / rate_hz
        self._filters: dict[int, OneEuroFilter] = {}

    def reset(self) -> None:
        self._filters = {}

    def keep_only(self, keys) -> None:
        keys = set(keys)
        self._filters = {k: f for k, f in self._filters.items() if k in keys}

    def smooth(self, key: int, aux_px: np.ndarray) -> np.ndarray:
        x = np.array(aux_px, dtype=np.float64)
        scale_px = 2.0 * float(np.hypot(*(x[1] - x[0])))
        filt = self._filters.setdefault(key, OneEuroFilter(self._config))
        if not scale_px > 1e-6 or not np.all(np.isfinite(x)):
            filt.reset()
        return filt.step(x, self._dt_s, speed_scale=1.0 / max(scale_px, 1e-6))


class RoiTracker:
    """The tracks of the 2D stage between frames. Not thread-safe.

    smooth_aux: place the next crop from filtered auxiliary landmarks (False: from the raw ones).
    """

    def __init__(self, smooth_aux: bool):
        self._smooth_aux = smooth_aux
        self._aux = AuxSmoother()
        self._tracks: list[Track] = []
        self._next_key = 0

    @property
    def tracks(self) -> list[Track]:
        return list(self._tracks)

    def reset(self) -> None:
        self._tracks = []
        self._aux.reset()

    def carried(self) -> list[Candidate]:
        """This frame's crops of the tracked people."""
        return [Candidate(t.key, t.next_roi, tracked=True, previous=t.pose) for t in self._tracks]

    def new_key(self) -> int:
        self._next_key += 1
        return self._next_key

    def update(self, cands: list[Candidate], poses: list[Pose2D], kept: list[int]) -> None:
        """Carry the kept people to the next frame: cands[i] gave poses[i];
        `kept` are the people."""
        keys = [cands[i].key for i in kept]
        self._aux.keep_only(keys)
        tracks = []
        for i in kept:
            aux = (
                self._aux.smooth(cands[i].key, poses[i].aux_px)
                if self._smooth_aux
                else poses[i].aux_px
            )
            roi = alignment_roi(aux[0], aux[1])
            if roi_is_valid(roi):
                tracks.append(Track(cands[i].key, roi, poses[i]))
        self._tracks = tracks
