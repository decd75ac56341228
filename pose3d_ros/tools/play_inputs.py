"""What pose3d_play publishes, read without ROS: frames and the camera calibration.

Frames come from a video file, a folder of images (sorted by name) or one image, as (H, W, 3)
uint8 RGB. The calibration comes from a camera_calibration / camera_info_manager YAML
(image_width, image_height, camera_matrix, distortion_model, distortion_coefficients,
rectification_matrix, projection_matrix) or is a distortion-free pinhole built from intrinsics.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np
import yaml

from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import ConfigError, InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class Calibration:
    """Everything a CameraInfo carries. k: (3, 3), d: (N,), r: (3, 3), p: (3, 4); pixels."""

    width_px: int
    height_px: int
    k: np.ndarray
    d: np.ndarray
    r: np.ndarray
    p: np.ndarray
    distortion_model: str = "plumb_bob"

    @classmethod
    def pinhole(cls, intrinsics: CameraIntrinsics) -> "Calibration":
        """Distortion-free calibration from intrinsics (P = [K | 0], R = I)."""
        k = intrinsics.matrix
        return cls(
            intrinsics.width_px,
            intrinsics.height_px,
            k,
            np.zeros(5),
            np.eye(3),
            np.hstack([k, np.zeros((3, 1))]),
        )

    @property
    def intrinsics(self) -> CameraIntrinsics:
        """fx, fy, cx, cy of K and the image size (a skew term K[0, 1], which ROS drivers leave 0,
        is dropped)."""
        k = self.k
        return CameraIntrinsics(
            float(k[0, 0]),
            float(k[1, 1]),
            float(k[0, 2]),
            float(k[1, 2]),
            int(self.width_px),
            int(self.height_px),
        )


def _matrix(doc: dict, key: str, shape: tuple[int, ...], path: Path) -> np.ndarray:
    entry = doc.get(key)
    data = entry.get("data") if isinstance(entry, dict) else None
    if data is None:
        raise ConfigError(f"{path}: '{key}.data' is missing")
    arr = np.asarray(data, dtype=np.float64)
    if arr.size != int(np.prod(shape)) or not np.all(np.isfinite(arr)):
        raise ConfigError(
            f"{path}: '{key}.data' needs {int(np.prod(shape))} finite numbers, got {arr.size}"
        )
    return arr.reshape(shape)


def load_calibration(path: Path) -> Calibration:
    """Read a camera_calibration / camera_info_manager YAML file.

    Raises ConfigError naming the file and the missing or malformed entry.
    """
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read camera info YAML {path}: {err}") from err
    if not isinstance(doc, dict) or "image_width" not in doc or "image_height" not in doc:
        raise ConfigError(
            f"{path}: not a camera calibration file (needs image_width, image_height)"
        )
    k = _matrix(doc, "camera_matrix", (3, 3), path)
    coeffs = (doc.get("distortion_coefficients") or {}).get("data") or []
    r = (
        _matrix(doc, "rectification_matrix", (3, 3), path)
        if "rectification_matrix" in doc
        else np.eye(3)
    )
    p = (
        _matrix(doc, "projection_matrix", (3, 4), path)
        if "projection_matrix" in doc
        else np.hstack([k, np.zeros((3, 1))])
    )
    return Calibration(
        int(doc["image_width"]),
        int(doc["image_height"]),
        k,
        np.asarray(coeffs, dtype=np.float64),
        r,
        p,
        str(doc.get("distortion_model", "plumb_bob")),
    )


def _read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"cannot decode image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def image_paths(folder: Path) -> list[Path]:
    """Image files directly in `folder`, sorted by name. Raises InputError when there are none."""
    paths = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )
    if not paths:
        raise InputError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    return paths


def video_fps(path: Path) -> float:
    """The container's frame rate, or 0.0 when it does not say."""
    cap = cv2.VideoCapture(str(path))
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) if cap.isOpened() else 0.0
    finally:
        cap.release()
    return fps if np.isfinite(fps) and fps > 0 else 0.0


def _video_frames(path: Path) -> Iterator[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(f"cannot open video {path}")
    try:
        ok, bgr = cap.read()
        if not ok:
            raise InputError(f"video {path} has no readable frames")
        while ok:
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            ok, bgr = cap.read()
    finally:
        cap.release()


def frames(source: Path, repeat: bool) -> Iterator[np.ndarray]:
    """(H, W, 3) uint8 RGB frames of a video, image folder or image; forever when `repeat`."""
    if not source.exists():
        raise InputError(f"{source} does not exist")
    if source.is_dir():
        paths = image_paths(source)
        while True:
            yield from (_read_rgb(p) for p in paths)
            if not repeat:
                return
    elif source.suffix.lower() in IMAGE_SUFFIXES:
        rgb = _read_rgb(source)
        while True:
            yield rgb
            if not repeat:
                return
    else:
        while True:
            yield from _video_frames(source)
            if not repeat:
                return


def resized(rgb: np.ndarray, size_px: tuple[int, int] | None) -> np.ndarray:
    """The frame scaled to (width, height) px, or unchanged when size_px is None."""
    if size_px is None or (rgb.shape[1], rgb.shape[0]) == size_px:
        return rgb
    return cv2.resize(rgb, size_px, interpolation=cv2.INTER_AREA)


def parse_size(text: str) -> tuple[int, int]:
    """'640x480' -> (640, 480)."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from err
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return w, h
