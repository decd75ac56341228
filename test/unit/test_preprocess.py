"""Letterbox, rotated crops and their inverses (geometry, image, finder, landmarks); frame
validation."""

import numpy as np
import pytest

from pose3d_ros.core.geometry import crop_to_image, image_to_crop, square_around
from pose3d_ros.core.image import image_to_crop_matrix, validate_frame, warp_roi
from pose3d_ros.core.pose2d.finder import letterbox
from pose3d_ros.core.pose2d.landmarks import crop_rois
from pose3d_ros.core.types import CameraIntrinsics, Roi
from pose3d_ros.errors import InputError


def test_letterbox_wide_frame_pads_top_and_bottom():
    frame = np.full((100, 200, 3), 255, np.uint8)
    tensor, box = letterbox(frame)
    assert tensor.shape == (224, 224, 3) and tensor.dtype == np.float32
    assert tensor.min() == pytest.approx(-1.0) and tensor.max() == pytest.approx(1.0)
    # image band in the middle; the last column blends with the border (MediaPipe's
    # corner-sampling convention)
    np.testing.assert_allclose(tensor[112, :-1, :], 1.0, atol=1e-6)
    assert np.all(tensor[:40, :, :] == -1.0) and np.all(
        tensor[-40:, :, :] == -1.0
    )  # zero border -> -1
    # corners of the image band map back to the image corners
    np.testing.assert_allclose(
        crop_to_image(np.array([[0.0, 0.25], [1.0, 0.75]]), box), [[0, 0], [200, 100]]
    )


def test_letterbox_round_trip():
    box = square_around(0, 0, 640, 425)
    pts = np.array([[0.0, 0.0], [639.0, 424.0], [123.4, 56.7]])
    np.testing.assert_allclose(crop_to_image(image_to_crop(pts, box), box), pts, atol=1e-9)


def test_crop_inverse_round_trip_and_matrix_agree():
    roi = Roi(center_px=np.array([300.0, 200.0]), size_px=180.0, rotation_rad=0.7)
    pts = np.array([[310.0, 190.0], [250.0, 260.0], [300.0, 200.0]])
    norm = image_to_crop(pts, roi)
    np.testing.assert_allclose(crop_to_image(norm, roi), pts, atol=1e-9)
    np.testing.assert_allclose(norm[2], [0.5, 0.5])
    m = image_to_crop_matrix(roi, 256).astype(np.float64)
    h = np.c_[pts, np.ones(3)] @ m.T
    np.testing.assert_allclose(h[:, :2] / h[:, 2:], norm * 256, atol=1e-2)


def test_rotated_crop_samples_the_right_place():
    frame = np.zeros((200, 200, 3), np.uint8)
    frame[40:60, 140:160] = 255  # bright square centred at (150, 50)
    roi = Roi(center_px=np.array([100.0, 100.0]), size_px=160.0, rotation_rad=np.pi / 2)
    crop = crop_rois(frame, [roi])[0]
    n = crop.shape[0]
    u, v = image_to_crop(np.array([150.0, 50.0]), roi)
    assert crop[int(v * n), int(u * n)].min() > 0.9
    assert crop.mean() < 0.1


def test_crop_replicates_border():
    frame = np.zeros((64, 64, 3), np.uint8)
    frame[:, -1] = 200  # right column
    roi = Roi(center_px=np.array([64.0, 32.0]), size_px=64.0, rotation_rad=0.0)
    crop = warp_roi(frame, roi, 32, replicate_border=True)
    assert np.all(crop[:, -4:] == 200)


@pytest.mark.parametrize(
    "frame, msg",
    [
        (np.zeros((100, 100), np.uint8), "shape"),
        (np.zeros((100, 100, 4), np.uint8), "shape"),
        (np.zeros((100, 100, 3), np.float32), "dtype"),
        (np.zeros((10, 10, 3), np.uint8), "smaller"),
        (np.zeros((0, 100, 3), np.uint8), "empty"),
        ([[1, 2, 3]], "numpy"),
    ],
)
def test_bad_frames_raise_input_error(frame, msg):
    with pytest.raises(InputError, match=msg):
        validate_frame(frame)


def test_nan_intrinsics_raise_input_error():
    with pytest.raises(InputError):
        CameraIntrinsics(float("nan"), 500.0, 320.0, 240.0, 640, 480)


def test_invalid_roi_raises_input_error():
    with pytest.raises(InputError):
        warp_roi(np.zeros((64, 64, 3), np.uint8), Roi(np.array([np.nan, 0.0]), 10.0, 0.0), 32, True)
