"""Property-based tests (hypothesis) of the message conversions and the camera_info handling.

Random encodings, sizes, steps, endianness and garbage bytes: the readers either return an array
of the documented shape and dtype (colour: (H, W, 3) uint8; depth: (H, W) float32 metres, > 0 or
NaN, never inf) or raise an InputError (ImageEncodingError and ImageTooLargeError are InputErrors);
nothing else escapes. camera_info: the intrinsics the node uses are always finite and plausible.
"""

from __future__ import annotations

import math
import struct
import zlib

import cv2
import numpy as np
import pytest

pytest.importorskip("sensor_msgs.msg", reason="needs ROS 2 message packages (.venv)")
hypothesis = pytest.importorskip("hypothesis", reason="needs hypothesis (requirements.txt)")

from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sensor_msgs.msg import CameraInfo, CompressedImage, Image  # noqa: E402

from pose3d_ros.errors import InputError  # noqa: E402
from pose3d_ros.ros import conversions  # noqa: E402
from pose3d_ros.ros.camera_inputs import CameraInputs  # noqa: E402
from pose3d_ros.ros.conversions import (  # noqa: E402
    COLOUR_ENCODINGS,
    DEPTH_ENCODINGS,
    camera_info_to_intrinsics,
    compressed_to_rgb,
    depth_to_m,
    image_to_rgb,
)

MAX_PIXELS = 64 * 64  # small, so the size limit is crossed often and every allocation stays tiny
UINT32_MAX = 2**32 - 1
FAST = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# encodings the readers know, near-misses and junk
ENCODINGS = st.one_of(
    st.sampled_from(COLOUR_ENCODINGS + DEPTH_ENCODINGS),
    st.sampled_from(
        ("bayer_rggb8", "rgb16", "16SC1", "32FC3", "64FC1", "8UC2", "RGB8", "", "jpeg")
    ),
    st.text(max_size=12),
)
# mostly small sizes, sometimes 0, huge, or at the uint32 limit
SMALL = st.integers(1, 24)
DIMENSION = st.one_of(
    SMALL, SMALL, st.just(0), st.sampled_from((63, 64, 65, 4096, 65535, 2**31, UINT32_MAX))
)
BYTES_PER_PIXEL = {"mono16": 2, "16UC1": 2, "32FC1": 4, "rgba8": 4, "bgra8": 4, "8UC4": 4}


def bytes_per_pixel(encoding: str) -> int:
    if encoding in BYTES_PER_PIXEL:
        return BYTES_PER_PIXEL[encoding]
    if encoding in ("mono8", "8UC1"):
        return 1
    if encoding in ("yuv422", "uyvy", "yuv422_yuy2", "yuyv"):
        return 2
    return 3


@st.composite
def image_msgs(draw, encodings=ENCODINGS) -> Image:
    """An Image with random bytes whose header fields are half the time consistent (step = row
    bytes + padding, data of step x height bytes), otherwise drawn independently."""
    enc = draw(encodings)
    h, w = draw(DIMENSION), draw(DIMENSION)
    row_bytes = w * bytes_per_pixel(enc)
    consistent = draw(st.booleans()) and (row_bytes + 7) * h <= 16 * 1024
    if consistent:
        step = row_bytes + draw(st.integers(0, 7))
        n_bytes = step * h
    else:
        step = draw(st.one_of(st.integers(0, UINT32_MAX), st.just(max(row_bytes - 1, 0))))
        n_bytes = draw(st.integers(0, 256))
    msg = Image()
    msg.encoding, msg.height, msg.width, msg.step = enc, h, w, min(step, UINT32_MAX)
    msg.is_bigendian = draw(st.integers(0, 1))
    msg.data = draw(st.binary(min_size=n_bytes, max_size=n_bytes))
    return msg


def assert_rgb(out, msg_h: int, msg_w: int) -> None:
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.uint8 and out.shape == (msg_h, msg_w, 3)
    assert msg_h * msg_w <= MAX_PIXELS


@FAST
@given(image_msgs(st.one_of(st.sampled_from(COLOUR_ENCODINGS), ENCODINGS)))
def test_image_to_rgb_returns_rgb_or_raises_input_error(msg):
    try:
        out = image_to_rgb(msg, MAX_PIXELS)
    except InputError as e:
        event(f"refused: {type(e).__name__}")
        return
    event("accepted")
    assert_rgb(out, msg.height, msg.width)


@FAST
@given(image_msgs(st.one_of(st.sampled_from(DEPTH_ENCODINGS), ENCODINGS)))
def test_depth_to_m_returns_metres_or_raises_input_error(msg):
    try:
        out = depth_to_m(msg, MAX_PIXELS)
    except InputError as e:
        event(f"refused: {type(e).__name__}")
        return
    event("accepted")
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert out.shape == (msg.height, msg.width) and out.size <= MAX_PIXELS
    assert not np.any(np.isinf(out))
    finite = out[np.isfinite(out)]
    assert np.all(finite > 0)


@FAST
@given(
    rgb=st.integers(1, 24).flatmap(
        lambda h: st.integers(1, 24).flatmap(
            lambda w: st.binary(min_size=h * w * 3, max_size=h * w * 3).map(
                lambda b: np.frombuffer(b, np.uint8).reshape(h, w, 3)
            )
        )
    ),
    big=st.booleans(),
    pad=st.integers(0, 5),
    enc=st.sampled_from(("rgb8", "bgr8")),
)
def test_valid_colour_images_decode_exactly(rgb, big, pad, enc):
    arr = rgb if enc == "rgb8" else rgb[:, :, ::-1].copy()
    msg = conversions.array_to_image(arr, enc, pad_bytes=pad, is_bigendian=big)
    np.testing.assert_array_equal(image_to_rgb(msg, MAX_PIXELS), rgb)


# ---------------------------------------------------------------- compressed


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, payload: bytes) -> bytes:
    """A PNG whose IHDR declares width x height (8-bit RGB) and whose IDAT holds `payload`."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(payload))
        + png_chunk(b"IEND", b"")
    )


def encoded(fmt: str, h: int, w: int, seed: int) -> bytes:
    img = np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)
    ok, buf = cv2.imencode(fmt, img)
    assert ok
    return buf.tobytes()


@st.composite
def compressed_payloads(draw) -> bytes:
    kind = draw(st.sampled_from(("garbage", "png", "jpeg", "declared", "mutated")))
    if kind == "garbage":
        return draw(st.binary(max_size=512))
    if kind == "declared":  # a header that lies about the size
        w, h = draw(DIMENSION), draw(DIMENSION)
        return png_declaring(min(w, UINT32_MAX), min(h, UINT32_MAX), draw(st.binary(max_size=64)))
    h, w = draw(st.integers(1, 80)), draw(st.integers(1, 80))
    data = encoded(".png" if kind == "png" else ".jpg", h, w, draw(st.integers(0, 3)))
    if kind == "mutated":
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        cut = draw(st.integers(0, len(data)))
        data = bytes(data[:cut])
    return bytes(data)


@FAST
@given(
    data=compressed_payloads(),
    fmt=st.sampled_from(("png", "jpeg", "rgb8; jpeg compressed bgr8", "")),
)
def test_compressed_to_rgb_returns_rgb_or_raises_input_error(data, fmt):
    msg = CompressedImage(format=fmt, data=data)
    try:
        out = compressed_to_rgb(msg, MAX_PIXELS)
    except InputError as e:
        event(f"refused: {type(e).__name__}")
        return
    event("accepted")
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8
    assert out.ndim == 3 and out.shape[2] == 3
    assert out.shape[0] * out.shape[1] <= MAX_PIXELS
    size = conversions.compressed_size(data[:65536])
    assert size is not None and (size[1], size[2]) == (out.shape[1], out.shape[0])


@FAST
@given(st.integers(MAX_PIXELS + 1, 16000 * 16000), st.integers(1, 16000))
def test_declared_size_over_the_limit_is_refused_before_decoding(pixels, width):
    height = max(1, pixels // width)
    if width * height <= MAX_PIXELS:
        height = MAX_PIXELS // width + 1
    msg = CompressedImage(format="png", data=png_declaring(width, height, b"\0" * 16))
    with pytest.raises(conversions.ImageTooLargeError, match="max_image_pixels"):
        compressed_to_rgb(msg, MAX_PIXELS)


# ---------------------------------------------------------------- camera_info

NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from((0.0, -1.0, 1e-6, 1e6, 1e300, -1e300, 500.0, 319.5)),
    st.floats(-2000.0, 2000.0),
)


@st.composite
def camera_infos(draw) -> CameraInfo:
    msg = CameraInfo()
    fx, fy, cx, cy = (draw(st.one_of(st.floats(1.0, 5000.0), NUMBER)) for _ in range(4))
    msg.k = [fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0]
    if draw(st.booleans()):
        msg.k = [draw(NUMBER) for _ in range(9)]
    msg.p = [draw(NUMBER) for _ in range(12)] if draw(st.booleans()) else [0.0] * 12
    msg.width, msg.height = draw(DIMENSION), draw(DIMENSION)
    msg.binning_x, msg.binning_y = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    msg.roi.width = draw(st.sampled_from((0, 0, 0, 10)))
    return msg


@FAST
@given(camera_infos())
def test_camera_info_to_intrinsics_returns_valid_or_raises_input_error(msg):
    try:
        intr = camera_info_to_intrinsics(msg)
    except InputError as e:
        event(f"refused: {type(e).__name__}")
        return
    event("accepted")
    values = (intr.fx_px, intr.fy_px, intr.cx_px, intr.cy_px)
    assert all(math.isfinite(v) for v in values)
    assert intr.fx_px > 0 and intr.fy_px > 0
    assert (intr.width_px, intr.height_px) == (msg.width, msg.height)
    problem = intr.implausibility()
    assert problem is None or isinstance(problem, str)


def plausible_size(width_px: int, height_px: int) -> bool:
    """A camera image size: 16..8192 px a side, aspect ratio within 1:4..4:1."""
    return (
        16 <= min(width_px, height_px)
        and max(width_px, height_px) <= 8192
        and (max(width_px, height_px) <= 4 * min(width_px, height_px))
    )


@FAST
@given(camera_infos(), st.integers(16, 4096), st.floats(0.25, 4.0))
def test_the_node_always_gets_usable_intrinsics(msg, width_px, aspect):
    """Whatever camera_info arrives, the intrinsics the node uses for a camera image are finite and
    plausible, and a fallback always comes with a reason."""
    height_px = min(max(16, int(width_px / aspect)), 4 * width_px)
    if plausible_size(msg.width, msg.height):
        width_px, height_px = msg.width, msg.height  # sometimes the camera_info fits the image
    inputs = CameraInputs()
    inputs.add_camera_info(msg)
    matched = inputs.intrinsics(0, width_px, height_px, 5.0, 0.0, 60.0)
    intr = matched.value
    assert (intr.width_px, intr.height_px) == (width_px, height_px)
    assert intr.implausibility() is None
    assert all(math.isfinite(v) for v in (intr.fx_px, intr.fy_px, intr.cx_px, intr.cy_px))
    if matched.problem is None:
        assert camera_info_to_intrinsics(msg) == intr
    else:
        assert isinstance(matched.problem, str) and matched.problem
