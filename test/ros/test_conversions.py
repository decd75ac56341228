"""Message <-> numpy conversions: round trips over sizes x encodings, padded rows, endianness,
failures."""

import numpy as np
import pytest

sensor_msgs = pytest.importorskip("sensor_msgs.msg", reason="needs ROS 2 message packages (.venv)")

from pose3d_ros.errors import InputError  # noqa: E402
from pose3d_ros.ros.conversions import (  # noqa: E402
    ImageEncodingError,
    array_to_image,
    camera_info_to_intrinsics,
    compressed_to_rgb,
    depth_to_m,
    image_to_array,
    image_to_rgb,
    intrinsics_to_camera_info,
    ns_to_stamp,
    stamp_to_ns,
)

SIZES = [(1, 2), (3, 4), (5, 8), (48, 64)]
RAW = {
    "rgb8": (np.uint8, 3),
    "bgr8": (np.uint8, 3),
    "rgba8": (np.uint8, 4),
    "bgra8": (np.uint8, 4),
    "mono8": (np.uint8, 1),
    "mono16": (np.uint16, 1),
    "16UC1": (np.uint16, 1),
    "32FC1": (np.float32, 1),
}


def rand(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        return rng.uniform(0.1, 10, shape).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("enc", sorted(RAW))
@pytest.mark.parametrize("pad", [0, 3])
@pytest.mark.parametrize("big", [False, True])
def test_raw_round_trip(size, enc, pad, big):
    dtype, ch = RAW[enc]
    arr = rand(size + ((ch,) if ch > 1 else ()), dtype)
    msg = array_to_image(arr, enc, pad_bytes=pad, is_bigendian=big)
    assert msg.step == size[1] * ch * np.dtype(dtype).itemsize + pad
    out = image_to_array(msg)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("pad", [0, 5])
def test_colour_encodings_to_rgb(pad):
    rgb = rand((6, 10, 3), np.uint8, 1)
    alpha = np.full((6, 10, 1), 200, np.uint8)
    cases = {
        "rgb8": rgb,
        "bgr8": rgb[..., ::-1],
        "rgba8": np.concatenate([rgb, alpha], -1),
        "bgra8": np.concatenate([rgb[..., ::-1], alpha], -1),
    }
    for enc, arr in cases.items():
        np.testing.assert_array_equal(
            image_to_rgb(array_to_image(arr, enc, pad_bytes=pad)), rgb, err_msg=enc
        )
    grey = rgb[..., 0]
    np.testing.assert_array_equal(
        image_to_rgb(array_to_image(grey, "mono8", pad_bytes=pad)),
        np.repeat(grey[..., None], 3, -1),
    )
    grey16 = grey.astype(np.uint16) << 8
    np.testing.assert_array_equal(
        image_to_rgb(array_to_image(grey16, "mono16", is_bigendian=True)),
        np.repeat(grey[..., None], 3, -1),
    )


def test_yuv422_byte_orders():
    # left pixel of each pair Y=50, right Y=200, U=V=128 (no colour): BT.601 video range gives
    # grey 255/219 * (Y - 16) = 40 and 214; the wrong byte order would mix Y and chroma.
    h, w = 2, 4
    yuyv = np.tile(np.array([50, 128, 200, 128], np.uint8), (h, w // 2)).reshape(h, w, 2)
    uyvy = np.tile(np.array([128, 50, 128, 200], np.uint8), (h, w // 2)).reshape(h, w, 2)
    for enc, arr in [("yuyv", yuyv), ("yuv422_yuy2", yuyv), ("uyvy", uyvy), ("yuv422", uyvy)]:
        rgb = image_to_rgb(array_to_image(arr, enc, pad_bytes=2))
        assert rgb.shape == (h, w, 3)
        np.testing.assert_allclose(rgb[:, 0::2].astype(int), 40, atol=1, err_msg=enc)
        np.testing.assert_allclose(rgb[:, 1::2].astype(int), 214, atol=1, err_msg=enc)


def test_depth_units_and_invalid_readings():
    mm = np.array([[0, 1000], [2500, 65535]], np.uint16)
    d = depth_to_m(array_to_image(mm, "16UC1", pad_bytes=2))
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, [[np.nan, 1.0], [2.5, 65.535]], rtol=1e-6)
    m = np.array([[1.5, np.inf], [-1.0, 0.25]], np.float32)
    np.testing.assert_allclose(
        depth_to_m(array_to_image(m, "32FC1")), [[1.5, np.nan], [np.nan, 0.25]]
    )
    with pytest.raises(ImageEncodingError):
        depth_to_m(array_to_image(np.zeros((2, 2, 3), np.uint8), "rgb8"))


def test_compressed_round_trip():
    import cv2

    rgb = np.zeros((32, 48, 3), np.uint8)
    rgb[:, :24] = (255, 0, 0)
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    msg = sensor_msgs.CompressedImage(format="png", data=png.tobytes())
    np.testing.assert_array_equal(compressed_to_rgb(msg), rgb)
    with pytest.raises(ImageEncodingError):
        compressed_to_rgb(sensor_msgs.CompressedImage(format="jpeg", data=b"not a jpeg"))
    with pytest.raises(ImageEncodingError):
        compressed_to_rgb(sensor_msgs.CompressedImage(format="jpeg"))


def test_expected_failures():
    good = array_to_image(np.zeros((4, 6, 3), np.uint8), "rgb8")
    short = array_to_image(np.zeros((4, 6, 3), np.uint8), "rgb8")
    short.data = bytes(good.data)[:-1]
    with pytest.raises(ImageEncodingError, match="needs"):
        image_to_rgb(short)
    small_step = array_to_image(np.zeros((4, 6, 3), np.uint8), "rgb8")
    small_step.step = 10
    with pytest.raises(ImageEncodingError, match="step"):
        image_to_rgb(small_step)
    odd = array_to_image(np.zeros((4, 6, 3), np.uint8), "rgb8")
    odd.encoding = "bayer_rggb8"
    with pytest.raises(ImageEncodingError, match="unsupported"):
        image_to_rgb(odd)
    empty = sensor_msgs.Image(encoding="rgb8")
    with pytest.raises(ImageEncodingError):
        image_to_rgb(empty)
    with pytest.raises(ImageEncodingError, match="even width"):
        image_to_rgb(array_to_image(np.zeros((2, 3, 2), np.uint8), "yuyv"))
    assert issubclass(ImageEncodingError, InputError)


def make_info(k=None, p=None, w=640, h=480):
    info = sensor_msgs.CameraInfo(width=w, height=h)
    info.k = list(k if k is not None else [500.0, 0, 320, 0, 510.0, 240, 0, 0, 1])
    info.p = list(p if p is not None else [0.0] * 12)
    return info


def test_camera_info_to_intrinsics():
    intr = camera_info_to_intrinsics(make_info())
    assert (intr.fx_px, intr.fy_px, intr.cx_px, intr.cy_px, intr.width_px, intr.height_px) == (
        500.0,
        510.0,
        320.0,
        240.0,
        640,
        480,
    )
    from_p = camera_info_to_intrinsics(
        make_info(k=[0.0] * 9, p=[400.0, 0, 300, 0, 0, 410, 200, 0, 0, 0, 1, 0])
    )
    assert (from_p.fx_px, from_p.fy_px, from_p.cx_px, from_p.cy_px) == (400.0, 410.0, 300.0, 200.0)
    for bad in [make_info(k=[0.0] * 9), make_info(k=[np.nan] + [0.0] * 8), make_info(w=0)]:
        with pytest.raises(InputError):
            camera_info_to_intrinsics(bad)


def test_stamp_to_ns():
    from builtin_interfaces.msg import Time

    assert stamp_to_ns(Time(sec=3, nanosec=5)) == 3_000_000_005
    assert ns_to_stamp(3_000_000_005) == Time(sec=3, nanosec=5)


def test_intrinsics_camera_info_round_trip():
    from pose3d_ros.core.types import CameraIntrinsics

    intr = CameraIntrinsics(512.0, 515.0, 319.5, 211.0, 640, 425)
    assert camera_info_to_intrinsics(intrinsics_to_camera_info(intr)) == intr
