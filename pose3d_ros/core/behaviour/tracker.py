"""Per-track posture and gesture: the rules of posture.py and gesture.py, waving over time, and
time hysteresis (debounce.py) so that labels do not flicker. One state per track id; end() drops
the states of ended tracks (ids are never reused)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pose3d_ros.core.behaviour.debounce import Debounce
from pose3d_ros.core.behaviour.gesture import (
    GestureConfig,
    WaveDetector,
    classify_static,
    forearm_angle_2d_deg,
    hand_up,
    trusted_arms,
)
from pose3d_ros.core.behaviour.labels import Gesture, Posture
from pose3d_ros.core.behaviour.posture import PostureConfig, classify_posture
from pose3d_ros.core.body_frame import body_pose
from pose3d_ros.errors import InputError

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class BehaviourConfig:
    """posture / gesture: rule thresholds; hold_s: how long a new label must hold before it is
    reported; up_optical: the direction of "up" in the camera's optical frame (x right, y down,
    z forward). With no camera pose known it is -y: a level camera."""

    posture: PostureConfig = field(default_factory=PostureConfig)
    gesture: GestureConfig = field(default_factory=GestureConfig)
    hold_s: float = 0.3
    up_optical: tuple[float, float, float] = (0.0, -1.0, 0.0)


@dataclass(frozen=True)
class Behaviour:
    """One track's reported labels for one frame."""

    posture: Posture
    gesture: Gesture


class _TrackState:
    def __init__(self, config: BehaviourConfig, first_ns: int):
        self.first_ns = first_ns
        self.posture = Debounce(config.hold_s)
        self.gesture = Debounce(config.hold_s)
        self.waves = {side: WaveDetector(config.gesture) for side in ("l", "r")}


class BehaviourTracker:
    """Posture and gesture of every live track."""

    def __init__(self, config: BehaviourConfig = BehaviourConfig()):
        self._config = config
        up = np.asarray(config.up_optical, dtype=np.float64)
        self._up = up / np.linalg.norm(up)
        self._tracks: dict[str, _TrackState] = {}

    def update(
        self,
        track_id: str,
        stamp_ns: int,
        joints_m: np.ndarray,
        joints2d_px: np.ndarray,
        conf: np.ndarray,
        up_optical: np.ndarray | None = None,
    ) -> Behaviour:
        """One frame of a track -> its debounced posture and gesture.

        joints_m: (17, 3) H36M joints, m, camera optical frame (smoothed); joints2d_px: (17, 2)
        the same joints in the image, px (waving is read there); conf: (17,) in [0, 1];
        stamp_ns: the image stamp; up_optical: (3,) unit vector against gravity in the optical
        frame when the camera pose is known for this frame (core/pose3d/floor.py's
        FloorPlane.up_cam), else None: config.up_optical (a level camera).
        """
        state = self._tracks.get(track_id)
        if state is None:
            state = self._tracks[track_id] = _TrackState(self._config, int(stamp_ns))
        t_s = (int(stamp_ns) - state.first_ns) / NS_PER_S
        up = self._up if up_optical is None else np.asarray(up_optical, dtype=np.float64)
        posture = classify_posture(joints_m, conf, up, self._config.posture)
        gesture = self._gesture(state, t_s, joints_m, joints2d_px, conf)
        return Behaviour(state.posture.update(posture, t_s), state.gesture.update(gesture, t_s))

    def _gesture(self, state: _TrackState, t_s: float, joints_m, joints2d_px, conf) -> Gesture:
        try:
            joints_body_m = body_pose(joints_m).joints_body_m
        except InputError:
            joints_body_m = None
        static = (
            Gesture.UNDEFINED
            if joints_body_m is None
            else classify_static(joints_body_m, conf, self._config.gesture)
        )
        sides = trusted_arms(conf, self._config.gesture) if joints_body_m is not None else ()
        waving = False
        for side, detector in state.waves.items():
            if side in sides:
                up = hand_up(joints_body_m, side)
                angle_deg = forearm_angle_2d_deg(joints2d_px, side)
                waving = detector.update(t_s, up, angle_deg) or waving
            else:
                waving = detector.update(t_s, None) or waving
        return Gesture.WAVING if waving else static

    def end(self, track_ids) -> None:
        """Forget ended tracks."""
        for tid in track_ids:
            self._tracks.pop(tid, None)

    @property
    def track_ids(self) -> tuple[str, ...]:
        return tuple(self._tracks)
