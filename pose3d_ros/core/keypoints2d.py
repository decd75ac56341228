"""BlazePose landmark model over any number of ROIs (one batched run), back-projected to image px."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.decode import decode_xy
from pose3d_ros.core.errors import ModelError
from pose3d_ros.core.preprocess import crop_rois, crop_to_image
from pose3d_ros.core.types import Pose2D, Roi

LANDMARK_INPUT_PX = 256
NUM_LANDMARKS = 39  # 33 body + 2 auxiliary (ROI) + 4 unused
NUM_BODY = 33
AUX = (33, 34)


@dataclass(frozen=True)
class LandmarkOutputs:
    """Output tensor names of a landmark backend, found by shape (names are the TFLite ones)."""

    image: str
    landmarks: str  # (N, 195) 39 x (x, y, z, visibility logit, presence logit) in crop px
    pose_flag: str  # (N, 1) person presence, already a probability
    heatmaps: str | None  # (N, 64, 64, 39) logits

    @classmethod
    def find(cls, backend: InferenceBackend) -> "LandmarkOutputs":
        ins = list(backend.input_shapes)
        outs = backend.output_shapes
        by = {name: shape for name, shape in outs.items()}
        lms = [n for n, s in by.items() if len(s) == 2 and s[-1] == NUM_LANDMARKS * 5]
        flag = [n for n, s in by.items() if len(s) == 2 and s[-1] == 1]
        hms = [n for n, s in by.items() if len(s) == 4 and s[-1] == NUM_LANDMARKS]
        if len(ins) != 1 or len(lms) != 1 or len(flag) != 1 or len(hms) > 1:
            raise ModelError(f"not a BlazePose landmark model: inputs {backend.input_shapes}, outputs {outs}")
        return cls(image=ins[0], landmarks=lms[0], pose_flag=flag[0], heatmaps=hms[0] if hms else None)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


class LandmarkEstimator:
    """Crops every ROI, runs the landmark model once on the batch, decodes and back-projects.

    decoder: "regression" | "refine" | "softargmax" (see core/decode.py); refine_kernel,
    min_heatmap_confidence and softargmax_beta are its parameters.
    """

    def __init__(self, backend: InferenceBackend, decoder: str = "softargmax", refine_kernel: int = 7,
                 min_heatmap_confidence: float = 0.5, softargmax_beta: float = 2.0):
        self._backend = backend
        self._names = LandmarkOutputs.find(backend)
        batch = backend.input_shapes[self._names.image][0]
        self._max_batch = None if batch is None or batch <= 0 else int(batch)
        self._decoder = decoder
        self._kernel = int(refine_kernel)
        self._min_conf = float(min_heatmap_confidence)
        self._beta = float(softargmax_beta)
        self.calls = 0  # number of batched model runs

    def estimate(self, frame_rgb: np.ndarray, rois: list[Roi]) -> list[Pose2D]:
        """One Pose2D per ROI, in the same order (frame already validated)."""
        if not rois:
            return []
        crops = crop_rois(frame_rgb, rois, LANDMARK_INPUT_PX)
        raw, flag, hm = self._run(crops)
        self.calls += 1
        lm = raw.reshape(len(rois), NUM_LANDMARKS, 5).astype(np.float64)
        xy_norm = decode_xy(lm[..., :2] / LANDMARK_INPUT_PX, hm, self._decoder, self._kernel, self._min_conf,
                            self._beta)
        poses = []
        for i, roi in enumerate(rois):
            pts = crop_to_image(xy_norm[i], roi)
            z_px = lm[i, :, 2] / LANDMARK_INPUT_PX * roi.size_px
            poses.append(Pose2D(
                keypoints_px=pts[:NUM_BODY], depth_rel=z_px[:NUM_BODY],
                visibility=_sigmoid(lm[i, :NUM_BODY, 3]), presence=_sigmoid(lm[i, :NUM_BODY, 4]),
                score=float(flag.reshape(-1)[i]), roi=roi, aux_px=pts[list(AUX)]))
        return poses

    def _run(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        step = self._max_batch or crops.shape[0]
        parts: dict[str, list[np.ndarray]] = {"lm": [], "flag": [], "hm": []}
        for i in range(0, crops.shape[0], step):
            out = self._backend.run({self._names.image: crops[i:i + step]})
            parts["lm"].append(out[self._names.landmarks])
            parts["flag"].append(out[self._names.pose_flag])
            if self._names.heatmaps is not None:
                parts["hm"].append(out[self._names.heatmaps])
        hm = np.concatenate(parts["hm"]) if parts["hm"] else None
        return np.concatenate(parts["lm"]), np.concatenate(parts["flag"]), hm
