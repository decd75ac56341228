"""2D-matching nearest-neighbour lifting baseline (Chen & Ramanan, "3D Human Pose Estimation =
2D Pose Estimation + Matching", CVPR'17).

A library of 3D training poses is seen through many virtual cameras; each entry stores the
normalised 2D pose (the lifter's own normalisation, `lifting.normalise_2d`, first 34 numbers)
and the 3D pose in that virtual camera's optical frame (root-relative, metres). A query is
normalised the same way and answered with the 3D pose of the library entry whose 2D is
closest (squared distance over the query's kept joints only, so dropped joints do not count).
Because the library already covers the viewpoints, the returned camera-frame pose needs no
further rotation; its size is the library subject's.

Lookup is a batched matmul: ||m*(q - l)||^2 = m.q^2 - 2 (m*q).l + m.l^2 with the query's
0/1 joint mask m, chunked over queries to bound memory (no index structure: the mask differs
per query, which a k-d tree cannot handle).
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.pose3d.lifting import N_JOINTS, camera_features
from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import InputError


class NNBaseline:
    """library_2d: (L, 34) normalised 2D; library_3d: (L, 17, 3) m root-relative camera frame."""

    def __init__(
        self, library_2d: np.ndarray, library_3d: np.ndarray, conf_min: float = 0.2, chunk: int = 64
    ):
        l2 = np.asarray(library_2d, dtype=np.float32)
        l3 = np.asarray(library_3d, dtype=np.float32)
        if (
            l2.ndim != 2
            or l2.shape[1] != 2 * N_JOINTS
            or l3.shape != (l2.shape[0], N_JOINTS, 3)
            or len(l2) == 0
        ):
            raise InputError(
                f"library must be (L, 34) and (L, 17, 3), got {l2.shape} and {l3.shape}"
            )
        self._l2 = np.ascontiguousarray(l2.T)  # (34, L)
        self._l2sq = np.ascontiguousarray((l2**2).T)
        self._l3 = l3
        self._conf_min = conf_min
        self._chunk = chunk

    def __len__(self) -> int:
        return self._l3.shape[0]

    def match(self, features: np.ndarray) -> np.ndarray:
        """(Q, 54) lifter features -> (Q,) index of the nearest library entry."""
        q = np.asarray(features, dtype=np.float32)[:, : 2 * N_JOINTS]
        mask = np.repeat(
            np.asarray(features)[:, 2 * N_JOINTS : 3 * N_JOINTS] > 0, 2, axis=1
        ).astype(np.float32)
        out = np.empty(len(q), dtype=np.int64)
        for s in range(0, len(q), self._chunk):
            qm, mm = q[s : s + self._chunk] * mask[s : s + self._chunk], mask[s : s + self._chunk]
            d = mm @ self._l2sq - 2.0 * (
                qm @ self._l2
            )  # the query's own m.q^2 term does not change argmin
            out[s : s + self._chunk] = np.argmin(d, axis=1)
        return out

    def lift(
        self, joints2d_px: np.ndarray, conf: np.ndarray, intrinsics: CameraIntrinsics
    ) -> np.ndarray:
        """(N, 17, 2) px + (N, 17) conf -> (N, 17, 3) m root-relative camera optical frame."""
        return self.lift_features(camera_features(joints2d_px, conf, intrinsics, self._conf_min))

    def lift_features(self, features: np.ndarray) -> np.ndarray:
        """(Q, 54) features (per-sample cameras already applied) -> (Q, 17, 3) m."""
        return self._l3[self.match(features)].astype(np.float64)
