"""The BlazePose landmark model over any number of ROIs: crop each, one batched run,
decode, map back.

Per ROI the model gives 39 landmarks (33 body, 2 auxiliary that place the next frame's crop,
4 unused) in crop px with visibility and presence logits, a person-presence probability,
64 x 64 heatmaps that the decoders (pose2d/decode.py) use, and (when the converted model kept it)
39 world landmarks in metres, hip-centred, in the crop's axes: turned by the ROI rotation into
the image's axes (MediaPipe's WorldLandmarkProjectionCalculator), they become Pose2D.world_m.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.geometry import crop_to_image
from pose3d_ros.core.image import warp_roi
from pose3d_ros.core.pose2d.decode import decode_xy
from pose3d_ros.core.pose2d.tensors import tensor_names
from pose3d_ros.core.types import Pose2D, Roi

LANDMARK_INPUT_PX = 256
NUM_LANDMARKS = 39  # 33 body + 2 auxiliary (ROI) + 4 unused
NUM_BODY = 33
AUX = (33, 34)
OPTIONAL_OUTPUTS = ("segmentation", "heatmap", "world")


def crop_rois(frame_rgb: np.ndarray, rois: list[Roi]) -> np.ndarray:
    """(N, 256, 256, 3) float32 RGB in [0, 1]: the model input for each ROI (replicated border)."""
    out = np.empty((len(rois), LANDMARK_INPUT_PX, LANDMARK_INPUT_PX, 3), dtype=np.float32)
    for i, roi in enumerate(rois):
        out[i] = warp_roi(frame_rgb, roi, LANDMARK_INPUT_PX, replicate_border=True)
    out *= np.float32(1.0 / 255.0)
    return out


def world_to_image_axes(world_m: np.ndarray, roi: Roi) -> np.ndarray:
    """(K, 3) world landmarks in the crop's axes -> the image's axes (x right, y down): x, y turned
    by the ROI rotation (the rotation crop_to_image applies), z unchanged."""
    c, s = np.cos(roi.rotation_rad), np.sin(roi.rotation_rad)
    x, y = world_m[..., 0], world_m[..., 1]
    return np.stack([c * x - s * y, s * x + c * y, world_m[..., 2]], axis=-1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80.0, 80.0)))


class LandmarkModel:
    """Crops every ROI, runs the landmark model once on the batch, decodes and back-projects.

    decoder, refine_kernel, min_heatmap_confidence, softargmax_beta: see Pose2DConfig.
    """

    def __init__(
        self,
        backend: InferenceBackend,
        decoder: str,
        refine_kernel: int,
        min_heatmap_confidence: float,
        softargmax_beta: float,
    ):
        self._backend = backend
        self._names = tensor_names(
            "pose_landmark_full",
            backend.input_shapes,
            backend.output_shapes,
            optional=OPTIONAL_OUTPUTS,
        )
        self._decode = dict(
            method=decoder,
            kernel_size=int(refine_kernel),
            min_confidence=float(min_heatmap_confidence),
            beta=float(softargmax_beta),
        )
        self.calls = 0  # number of batched model runs

    def estimate(self, frame_rgb: np.ndarray, rois: list[Roi]) -> list[Pose2D]:
        """One Pose2D per ROI, in the same order (frame already validated)."""
        if not rois:
            return []
        out = self._backend.run_batched(self._names["image"], crop_rois(frame_rgb, rois))
        self.calls += 1
        lm = out[self._names["landmarks"]].reshape(len(rois), NUM_LANDMARKS, 5).astype(np.float64)
        flag = out[self._names["pose_flag"]].reshape(-1)
        heatmaps = out.get(self._names.get("heatmap", ""))
        xy_norm = decode_xy(lm[..., :2] / LANDMARK_INPUT_PX, heatmaps, **self._decode)
        world = out.get(self._names.get("world", ""))
        if world is not None:
            world = world.reshape(len(rois), NUM_LANDMARKS, 3)[:, :NUM_BODY].astype(np.float64)
        poses = []
        for i, roi in enumerate(rois):
            pts = crop_to_image(xy_norm[i], roi)
            z_px = lm[i, :, 2] / LANDMARK_INPUT_PX * roi.size_px
            poses.append(
                Pose2D(
                    keypoints_px=pts[:NUM_BODY],
                    depth_rel=z_px[:NUM_BODY],
                    visibility=_sigmoid(lm[i, :NUM_BODY, 3]),
                    presence=_sigmoid(lm[i, :NUM_BODY, 4]),
                    score=float(flag[i]),
                    roi=roi,
                    aux_px=pts[list(AUX)],
                    world_m=None if world is None else world_to_image_axes(world[i], roi),
                )
            )
        return poses
