"""Messages <-> numpy: the ONLY module of the package that reads sensor_msgs fields.

Every reader honours `step` (padded rows) and `is_bigendian`, checks the buffer length against
height x step, and raises ImageEncodingError (an InputError) naming the problem; it never
returns a silently wrong array.

Encodings (names as in sensor_msgs/image_encodings.hpp):
- colour: rgb8, bgr8, rgba8, bgra8, mono8, mono16 (scaled to 8 bit), 8UC3 (taken as bgr8,
  OpenCV's order);
- YUV 4:2:2: `yuv422` and `uyvy` are U Y0 V Y1 (ROS's yuv422 IS UYVY), `yuv422_yuy2` and `yuyv`
  are Y0 U Y1 V; width must be even;
- depth: 16UC1 / mono16 in millimetres, 32FC1 in metres; 0 and non-finite readings become NaN.
CompressedImage: png and jpeg, sized from their headers BEFORE decoding.

Every reader takes `max_pixels` and refuses a larger image (ImageTooLargeError) from the message's
header fields (raw) or the PNG/JPEG header (compressed), before any large allocation: a 751 KB PNG
can declare 16000 x 16000 px and would decode to 768 MB.
"""

from __future__ import annotations

import cv2
import numpy as np

from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import InputError


class ImageEncodingError(InputError):
    """An image message whose encoding, size, step or buffer cannot be decoded."""


DEFAULT_MAX_IMAGE_PIXELS = 4096 * 2160  # DCI 4K fits (and UHD 3840 x 2160)


class ImageTooLargeError(InputError):
    """An image with more pixels than the node's max_image_pixels."""


def check_size(width_px: int, height_px: int, max_pixels: int, what: str) -> None:
    """Raise ImageTooLargeError when width x height exceeds max_pixels."""
    if int(width_px) * int(height_px) > max_pixels:
        raise ImageTooLargeError(
            f"{what} is {width_px}x{height_px} px = {int(width_px) * int(height_px)} px, more "
            f"than max_image_pixels {max_pixels}; raise the parameter if this is intended"
        )


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def compressed_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width px, height px) from a PNG's IHDR or a JPEG's first SOF marker; None if
    neither."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        return "png", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                return None
            return (
                "jpeg",
                int.from_bytes(data[i + 7 : i + 9], "big"),
                int.from_bytes(data[i + 5 : i + 7], "big"),
            )
        if length < 2:
            return None
        i += 2 + length
    return None


# encoding -> (dtype, channels)
_LAYOUTS = {
    "rgb8": (np.uint8, 3),
    "bgr8": (np.uint8, 3),
    "8UC3": (np.uint8, 3),
    "rgba8": (np.uint8, 4),
    "bgra8": (np.uint8, 4),
    "8UC4": (np.uint8, 4),
    "mono8": (np.uint8, 1),
    "8UC1": (np.uint8, 1),
    "mono16": (np.uint16, 1),
    "16UC1": (np.uint16, 1),
    "32FC1": (np.float32, 1),
    "yuv422": (np.uint8, 2),
    "uyvy": (np.uint8, 2),
    "yuv422_yuy2": (np.uint8, 2),
    "yuyv": (np.uint8, 2),
}
_TO_RGB = {
    "bgr8": cv2.COLOR_BGR2RGB,
    "8UC3": cv2.COLOR_BGR2RGB,
    "rgba8": cv2.COLOR_RGBA2RGB,
    "bgra8": cv2.COLOR_BGRA2RGB,
    "8UC4": cv2.COLOR_BGRA2RGB,
    "mono8": cv2.COLOR_GRAY2RGB,
    "8UC1": cv2.COLOR_GRAY2RGB,
    "yuv422": cv2.COLOR_YUV2RGB_UYVY,
    "uyvy": cv2.COLOR_YUV2RGB_UYVY,
    "yuv422_yuy2": cv2.COLOR_YUV2RGB_YUYV,
    "yuyv": cv2.COLOR_YUV2RGB_YUYV,
}
COLOUR_ENCODINGS = (
    "rgb8",
    "bgr8",
    "rgba8",
    "bgra8",
    "mono8",
    "mono16",
    "8UC3",
    "8UC4",
    "8UC1",
    "yuv422",
    "uyvy",
    "yuv422_yuy2",
    "yuyv",
)
DEPTH_ENCODINGS = ("16UC1", "mono16", "32FC1")


def image_to_array(msg, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> np.ndarray:
    """sensor_msgs/Image -> (H, W) or (H, W, C) array of the encoding's native dtype (a copy)."""
    enc = msg.encoding
    if enc not in _LAYOUTS:
        raise ImageEncodingError(
            f"unsupported image encoding {enc!r}; supported: {sorted(_LAYOUTS)}"
        )
    dtype, ch = _LAYOUTS[enc]
    h, w, step = int(msg.height), int(msg.width), int(msg.step)
    if h <= 0 or w <= 0:
        raise ImageEncodingError(f"image has size {w}x{h}")
    check_size(w, h, max_pixels, f"{enc} image")
    row_bytes = w * ch * np.dtype(dtype).itemsize
    if step < row_bytes:
        raise ImageEncodingError(f"{enc} image {w}x{h}: step {step} < {row_bytes} bytes per row")
    buf = np.frombuffer(memoryview(msg.data).cast("B"), dtype=np.uint8)
    need = step * (h - 1) + row_bytes
    if buf.size < need:
        raise ImageEncodingError(
            f"{enc} image {w}x{h} step {step}: data has {buf.size} bytes, needs {need}"
        )
    rows = np.lib.stride_tricks.as_strided(buf, shape=(h, row_bytes), strides=(step, 1))
    order = ">" if msg.is_bigendian else "<"
    arr = np.ascontiguousarray(rows).view(np.dtype(dtype).newbyteorder(order))
    arr = arr.astype(np.dtype(dtype), copy=True).reshape(h, w, ch)
    return arr[:, :, 0] if ch == 1 else arr


def image_to_rgb(msg, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> np.ndarray:
    """sensor_msgs/Image of a colour encoding -> (H, W, 3) uint8 RGB."""
    enc = msg.encoding
    if enc not in COLOUR_ENCODINGS:
        raise ImageEncodingError(
            f"unsupported colour encoding {enc!r}; supported: {COLOUR_ENCODINGS}"
        )
    if enc in ("yuv422", "uyvy", "yuv422_yuy2", "yuyv") and int(msg.width) % 2:
        raise ImageEncodingError(f"{enc} needs an even width, got {msg.width}")
    arr = image_to_array(msg, max_pixels)
    if enc == "rgb8":
        return arr
    if enc == "mono16":
        arr = (arr >> 8).astype(np.uint8)
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(arr, _TO_RGB[enc])


def compressed_to_rgb(msg, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> np.ndarray:
    """sensor_msgs/CompressedImage (png or jpeg) -> (H, W, 3) uint8 RGB, sized from its header
    first."""
    buf = np.frombuffer(memoryview(msg.data).cast("B"), dtype=np.uint8)
    if buf.size == 0:
        raise ImageEncodingError(f"compressed image ({msg.format!r}) has no data")
    size = compressed_size(buf[:65536].tobytes())
    if size is None:
        raise ImageEncodingError(
            f"compressed image ({msg.format!r}, {buf.size} bytes) is neither PNG nor JPEG "
            f"(or its header is damaged)"
        )
    fmt, w, h = size
    if w <= 0 or h <= 0:
        raise ImageEncodingError(f"compressed {fmt} declares a size of {w}x{h}")
    check_size(w, h, max_pixels, f"compressed {fmt}")
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if img is None:
        raise ImageEncodingError(
            f"compressed image ({msg.format!r}, {buf.size} bytes) could not be decoded"
        )
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def depth_to_m(msg, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> np.ndarray:
    """sensor_msgs/Image 16UC1 (mm) or 32FC1 (m) -> (H, W) float32 metres; no reading -> NaN."""
    if msg.encoding not in DEPTH_ENCODINGS:
        raise ImageEncodingError(
            f"depth encoding {msg.encoding!r} unsupported; use one of {DEPTH_ENCODINGS}"
        )
    arr = image_to_array(msg, max_pixels)
    with np.errstate(invalid="ignore"):  # signalling-NaN readings: NaN below, no RuntimeWarning
        depth = arr.astype(np.float32) * (
            np.float32(1e-3) if arr.dtype == np.uint16 else np.float32(1.0)
        )
        depth[~np.isfinite(depth) | (depth <= 0)] = np.nan
    return depth


def camera_info_to_intrinsics(msg) -> CameraIntrinsics:
    """sensor_msgs/CameraInfo -> CameraIntrinsics of the image it describes.

    Uses K (the intrinsics the image topic is expressed in: raw for image_raw, and equal to P's
    left 3x3 for image_rect). When K is all zero (an uncalibrated driver filled only P), P is used.
    Binning > 1 and a ROI are not supported. Raises InputError when nothing usable is there.
    """
    k = np.asarray(msg.k, dtype=np.float64).reshape(3, 3)
    p = np.asarray(msg.p, dtype=np.float64).reshape(3, 4)
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(p))):
        raise InputError("camera_info K or P contains NaN/inf")
    if int(msg.binning_x) > 1 or int(msg.binning_y) > 1:
        raise InputError(f"camera_info binning {msg.binning_x}x{msg.binning_y} is not supported")
    roi = msg.roi
    if int(roi.width) or int(roi.height):
        raise InputError("camera_info with a ROI is not supported")
    if k[0, 0] > 0 and k[1, 1] > 0:
        fx, fy, cx, cy = k[0, 0], k[1, 1], k[0, 2], k[1, 2]
    elif p[0, 0] > 0 and p[1, 1] > 0:
        fx, fy, cx, cy = p[0, 0], p[1, 1], p[0, 2], p[1, 2]
    else:
        raise InputError("camera_info has no focal length in K or P (uncalibrated camera?)")
    return CameraIntrinsics(
        float(fx), float(fy), float(cx), float(cy), int(msg.width), int(msg.height)
    )


def array_to_image(
    arr: np.ndarray, encoding: str, header=None, pad_bytes: int = 0, is_bigendian: bool = False
):
    """(H, W) or (H, W, C) array already in `encoding`'s layout -> sensor_msgs/Image.

    pad_bytes: extra bytes at the end of each row (step = row bytes + pad_bytes).
    """
    from sensor_msgs.msg import Image

    if encoding not in _LAYOUTS:
        raise ImageEncodingError(f"unsupported image encoding {encoding!r}")
    dtype, ch = _LAYOUTS[encoding]
    a = arr if arr.ndim == 3 else arr[:, :, None]
    if a.dtype != np.dtype(dtype) or a.shape[2] != ch:
        raise ImageEncodingError(
            f"{encoding} needs {ch} channel(s) of {np.dtype(dtype)}, got {arr.shape} {arr.dtype}"
        )
    h, w = a.shape[:2]
    rows = np.ascontiguousarray(a).astype(
        np.dtype(dtype).newbyteorder(">" if is_bigendian else "<")
    )
    rows = rows.reshape(h, w * ch).view(np.uint8)
    if pad_bytes:
        rows = np.concatenate([rows, np.zeros((h, pad_bytes), np.uint8)], axis=1)
    msg = Image()
    if header is not None:
        msg.header = header
    msg.height, msg.width, msg.encoding = int(h), int(w), encoding
    msg.is_bigendian = int(bool(is_bigendian))
    msg.step = int(rows.shape[1])
    msg.data = rows.tobytes()
    return msg


def rgb_to_image(rgb: np.ndarray, header):
    """(H, W, 3) uint8 RGB -> sensor_msgs/Image rgb8 with the given header (no row padding)."""
    return array_to_image(rgb, "rgb8", header)


def intrinsics_to_camera_info(
    intr: CameraIntrinsics,
    header=None,
    distortion=None,
    rectification=None,
    projection=None,
    distortion_model: str = "plumb_bob",
):
    """CameraIntrinsics (+ optional calibration extras) -> sensor_msgs/CameraInfo; no binning,
    no ROI.

    The package's one CameraInfo writer. K comes from `intr`; the rest defaults to a distortion-free
    pinhole: distortion (N,) = 5 zeros, rectification (3, 3) = I, projection (3, 4) px = [K | 0].
    """
    from sensor_msgs.msg import CameraInfo

    k = intr.matrix
    d = np.zeros(5) if distortion is None else np.asarray(distortion, dtype=np.float64)
    r = np.eye(3) if rectification is None else np.asarray(rectification, dtype=np.float64)
    p = (
        np.hstack([k, np.zeros((3, 1))])
        if projection is None
        else np.asarray(projection, dtype=np.float64)
    )
    if r.shape != (3, 3) or p.shape != (3, 4) or d.ndim != 1:
        raise InputError(
            f"camera info needs R (3, 3), P (3, 4) and D (N,), got {r.shape}, {p.shape}, {d.shape}"
        )
    msg = CameraInfo()
    if header is not None:
        msg.header = header
    msg.width, msg.height = int(intr.width_px), int(intr.height_px)
    msg.distortion_model = distortion_model
    msg.d = [float(v) for v in d]
    msg.k = [float(v) for v in k.reshape(-1)]
    msg.r = [float(v) for v in r.reshape(-1)]
    msg.p = [float(v) for v in p.reshape(-1)]
    return msg


def stamp_to_ns(stamp) -> int:
    """builtin_interfaces/Time -> integer nanoseconds."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def ns_to_stamp(stamp_ns: int):
    """Integer nanoseconds -> builtin_interfaces/Time."""
    from builtin_interfaces.msg import Time

    sec, nanosec = divmod(int(stamp_ns), 1_000_000_000)
    return Time(sec=sec, nanosec=nanosec)
