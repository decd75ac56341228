"""2D -> 3D lifting of H36M-17 joints with the trained Martinez-style network (numpy + a backend).

Input normalisation (shared by training, evaluation and run time, so it lives here):

1. Pixels -> normalised camera coordinates with the intrinsics: x_n = (u - cx) / fx,
   y_n = (v - cy) / fy. This is tan of the viewing angle, so the focal length, principal
   point and image size drop out: the same person seen by any pinhole camera from the same
   place gives the same numbers.
2. Root-relative: subtract the pelvis' normalised coordinates.
3. Scale: divide by s = RMS distance of the kept joints to the pelvis (normalised units).
   s is about (body size) / (distance); dividing by it makes the input independent of the
   distance, so the network learns the shape -> metric 3D mapping once for all distances.
   The metric size is therefore a prior learned from the adult CMU subjects (see placement).
4. Joints whose confidence is below `conf_min` are "dropped": their coordinates are set to
   0 and their confidence channel to 0 (training simulates the same dropout), and they do not
   count towards s.
5. Three global inputs keep what steps 2-3 removed but the camera-frame output depends on:
   the pelvis ray (x_n, y_n) -- a person off the optical axis is seen obliquely, so the
   camera-frame pose is rotated relative to the ray -- and log(s), which tells the network how
   strong the perspective foreshortening is.

Feature vector per person (54): 34 normalised 2D coords (joint-major x, y), 17 confidences,
pelvis ray x_n, y_n, log(s). Output: (16, 3) non-root joints in metres, root-relative, camera
optical frame (x right, y down, z forward); the pelvis is 0 by definition.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.skeleton import H36M_JOINTS
from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import InputError, ModelError

N_JOINTS = 17
N_FEATURES = 2 * N_JOINTS + N_JOINTS + 3
MIN_SCALE_NORM = 1e-4  # below this the 2D skeleton is degenerate (all joints on one point)


def normalise_2d(
    joints2d_px: np.ndarray,
    conf: np.ndarray,
    focal_px: np.ndarray,
    center_px: np.ndarray,
    conf_min: float,
) -> np.ndarray:
    """Build the lifter's input features.

    joints2d_px: (N, 17, 2) image px; conf: (N, 17) in [0, 1];
    focal_px: (N, 2) or (2,) fx, fy; center_px: (N, 2) or (2,) cx, cy (per-sample cameras in
    training). Returns (N, 54) float32 features as documented in the module docstring.
    """
    j = np.asarray(joints2d_px, dtype=np.float64)
    c = np.clip(np.asarray(conf, dtype=np.float64), 0.0, 1.0)
    if j.ndim != 3 or j.shape[1:] != (N_JOINTS, 2) or c.shape != j.shape[:2]:
        raise InputError(
            f"expected joints (N, 17, 2) and conf (N, 17), got {j.shape} and {c.shape}"
        )
    focal = np.broadcast_to(np.asarray(focal_px, dtype=np.float64), (j.shape[0], 2))
    center = np.broadcast_to(np.asarray(center_px, dtype=np.float64), (j.shape[0], 2))
    xn = (j - center[:, None, :]) / focal[:, None, :]
    root = xn[:, 0, :]
    rel = xn - root[:, None, :]
    keep = c >= conf_min
    keep[:, 0] = False  # the pelvis is the origin: it never contributes to the scale
    n_keep = keep.sum(axis=1)
    few = n_keep < 3  # too few confident joints: fall back to all joints for the scale
    keep_s = np.where(few[:, None], True, keep)
    keep_s[:, 0] = False
    sq = (rel**2).sum(axis=-1)
    scale = np.sqrt((sq * keep_s).sum(axis=1) / np.maximum(keep_s.sum(axis=1), 1))
    scale = np.maximum(scale, MIN_SCALE_NORM)
    keep[:, 0] = True
    rel_n = rel / scale[:, None, None] * keep[..., None]
    conf_in = c * keep
    feats = np.concatenate(
        [rel_n.reshape(-1, 2 * N_JOINTS), conf_in, root, np.log(scale)[:, None]], axis=1
    )
    return feats.astype(np.float32)


def camera_features(
    joints2d_px: np.ndarray, conf: np.ndarray, intrinsics: CameraIntrinsics, conf_min: float
) -> np.ndarray:
    """(N, 17, 2) px + (N, 17) conf seen by one camera -> (N, 54) features (normalise_2d)."""
    j = np.asarray(joints2d_px)
    if j.ndim != 3 or j.shape[1:] != (N_JOINTS, 2):
        raise InputError(f"joints2d_px must be (N, 17, 2), got {j.shape}")
    return normalise_2d(
        j,
        conf,
        np.array([intrinsics.fx_px, intrinsics.fy_px]),
        np.array([intrinsics.cx_px, intrinsics.cy_px]),
        conf_min,
    )


def rel_from_output(out: np.ndarray) -> np.ndarray:
    """(N, 48) network output -> (N, 17, 3) metres with the pelvis (joint 0) at the origin."""
    out = np.asarray(out, dtype=np.float64).reshape(-1, N_JOINTS - 1, 3)
    return np.concatenate([np.zeros((out.shape[0], 1, 3)), out], axis=1)


class Lifter:
    """Runs the exported lifter through an InferenceBackend.

    meta: the model's JSON (engines/lifter_h36m17.json, read by pose3d_ros.assembly): input/output
    tensor names, joint order and `conf_min`. The backend owns the model; close() closes it.
    """

    def __init__(self, backend, meta: dict):
        joints = tuple(meta.get("joints", ()))
        if joints != H36M_JOINTS:
            raise ModelError(f"lifter joint order {joints} does not match H36M-17 {H36M_JOINTS}")
        self._backend = backend
        self._input = meta["input_name"]
        self._output = meta["output_name"]
        self._conf_min = float(meta["conf_min"])
        shapes = backend.input_shapes
        if self._input not in shapes or shapes[self._input][-1] != N_FEATURES:
            raise ModelError(
                f"lifter model has inputs {shapes}, expected {self._input!r} (-1, {N_FEATURES})"
            )

    @property
    def conf_min(self) -> float:
        return self._conf_min

    def lift(
        self, joints2d_px: np.ndarray, conf: np.ndarray, intrinsics: CameraIntrinsics
    ) -> np.ndarray:
        """(N, 17, 2) px + (N, 17) conf -> (N, 17, 3) m, root-relative, camera optical frame."""
        feats = camera_features(joints2d_px, conf, intrinsics, self._conf_min)
        if feats.shape[0] == 0:
            return np.zeros((0, N_JOINTS, 3))
        return self.lift_features(feats)

    def lift_features(self, features: np.ndarray) -> np.ndarray:
        """(N, 54) features from `normalise_2d` (e.g. with per-sample cameras) -> (N, 17, 3) m."""
        out = self._backend.run({self._input: np.asarray(features, dtype=np.float32)})[self._output]
        return rel_from_output(out)

    def close(self) -> None:
        self._backend.close()


N_TEMPORAL_FEATURES = 3 * (N_JOINTS - 1) + N_FEATURES


def temporal_rows(rel_m: np.ndarray, features: np.ndarray) -> np.ndarray:
    """One frame's input to the temporal lifter per person: the single-frame lifter's output
    (N, 17, 3) m (pelvis dropped: 48 numbers) followed by its (N, 54) features -> (N, 102)."""
    rel = np.asarray(rel_m, dtype=np.float32).reshape(len(rel_m), -1)[:, 3:]
    return np.concatenate([rel, np.asarray(features, dtype=np.float32)], axis=1)


class TemporalLifter:
    """Causal temporal lifting per track, with the single-frame Lifter for new tracks.

    Every person goes through the single-frame lifter first. The temporal model
    (engines/lifter_h36m17_temporal.onnx, dev/train_temporal.py) takes the last T frames of one
    track, (N, T, 102) oldest first, each frame `temporal_rows` (the single-frame output and the
    features), and returns the newest frame's (N, 48) root-relative joints: the single-frame
    answer plus a learned correction. A track's first frame, and people without a track key,
    keep the single-frame answer; from its second frame on a track is lifted from its window, the
    frames before its first being copies of the first (as in training). A track unseen for
    `max_idle_calls` calls is forgotten. meta: the temporal model's JSON (trained on the outputs
    of one single-frame model: the pair must stay together).
    """

    def __init__(self, single: Lifter, backend, meta: dict, max_idle_calls: int = 30):
        joints = tuple(meta.get("joints", ()))
        if joints != H36M_JOINTS:
            raise ModelError(f"temporal lifter joint order {joints} does not match H36M-17")
        self._single = single
        self._backend = backend
        self._input = meta["input_name"]
        self._output = meta["output_name"]
        self._frames = int(meta["window_frames"])
        if abs(float(meta["conf_min"]) - single.conf_min) > 1e-9:
            raise ModelError("temporal and single-frame lifters use different conf_min")
        shape = backend.input_shapes.get(self._input)
        if shape is None or tuple(shape[-2:]) != (self._frames, N_TEMPORAL_FEATURES):
            raise ModelError(
                f"temporal lifter inputs {backend.input_shapes}, expected {self._input!r} "
                f"(-1, {self._frames}, {N_TEMPORAL_FEATURES})"
            )
        self._max_idle = int(max_idle_calls)
        self._calls = 0
        self._tracks: dict = {}  # key -> [window (T, 54) float32, frames seen, last call]

    @property
    def conf_min(self) -> float:
        return self._single.conf_min

    @property
    def window_frames(self) -> int:
        return self._frames

    def lift(
        self,
        joints2d_px: np.ndarray,
        conf: np.ndarray,
        intrinsics: CameraIntrinsics,
        track_keys=None,
    ) -> np.ndarray:
        """(N, 17, 2) px + (N, 17) conf (+ N track keys, None for untracked) -> (N, 17, 3) m."""
        feats = camera_features(joints2d_px, conf, intrinsics, self.conf_min)
        keys = [None] * feats.shape[0] if track_keys is None else list(track_keys)
        if len(keys) != feats.shape[0]:
            raise InputError(f"{len(keys)} track keys for {feats.shape[0]} people")
        return self.lift_features(feats, keys)

    def lift_features(self, features: np.ndarray, keys: list) -> np.ndarray:
        """(N, 54) features of one frame and their N track keys -> (N, 17, 3) m."""
        self._calls += 1
        out = self._single.lift_features(features) if len(features) else np.zeros((0, N_JOINTS, 3))
        rows = temporal_rows(out, features)
        windows, idx = [], []
        for i, key in enumerate(keys):
            if key is None:
                continue
            state = self._tracks.get(key)
            if state is None:
                self._tracks[key] = [
                    np.repeat(rows[i : i + 1], self._frames, axis=0),
                    1,
                    self._calls,
                ]
                continue
            window = state[0]
            window[:-1] = window[1:]
            window[-1] = rows[i]
            state[1] += 1
            state[2] = self._calls
            windows.append(window.copy())
            idx.append(i)
        if windows:
            res = self._backend.run({self._input: np.stack(windows)})[self._output]
            out[idx] = rel_from_output(res)
        self._expire()
        return out

    def forget(self, keys) -> None:
        """Drop the windows of ended tracks."""
        for key in keys:
            self._tracks.pop(key, None)

    def reset(self) -> None:
        self._tracks.clear()

    def _expire(self) -> None:
        old = [k for k, s in self._tracks.items() if self._calls - s[2] > self._max_idle]
        self.forget(old)

    def close(self) -> None:
        self._backend.close()
        self._single.close()
