"""pose3d_play without ROS: camera_calibration YAML, default pinhole, frame sources, sizes."""

import argparse

import cv2
import numpy as np
import pytest

from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import ConfigError, InputError
from pose3d_ros.tools.play_inputs import (
    Calibration,
    frames,
    image_paths,
    load_calibration,
    parse_size,
    resized,
)

CALIBRATION_YAML = """\
image_width: 640
image_height: 480
camera_name: test_cam
camera_matrix:
  rows: 3
  cols: 3
  data: [615.5, 0.0, 321.25, 0.0, 616.0, 239.75, 0.0, 0.0, 1.0]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [0.1, -0.2, 0.001, 0.002, 0.03]
rectification_matrix:
  rows: 3
  cols: 3
  data: [1, 0, 0, 0, 1, 0, 0, 0, 1]
projection_matrix:
  rows: 3
  cols: 4
  data: [610.0, 0.0, 320.0, 0.0, 0.0, 611.0, 240.0, 0.0, 0.0, 0.0, 1.0, 0.0]
"""


def test_load_calibration_reads_every_field(tmp_path):
    path = tmp_path / "cam.yaml"
    path.write_text(CALIBRATION_YAML)
    cal = load_calibration(path)
    assert (cal.width_px, cal.height_px) == (640, 480)
    np.testing.assert_array_equal(cal.k, [[615.5, 0, 321.25], [0, 616.0, 239.75], [0, 0, 1]])
    np.testing.assert_array_equal(cal.d, [0.1, -0.2, 0.001, 0.002, 0.03])
    np.testing.assert_array_equal(cal.r, np.eye(3))
    assert cal.p.shape == (3, 4) and cal.p[0, 0] == 610.0 and cal.p[1, 2] == 240.0
    assert cal.distortion_model == "plumb_bob"


def test_load_calibration_without_optional_matrices(tmp_path):
    path = tmp_path / "cam.yaml"
    path.write_text(
        "image_width: 4\nimage_height: 2\ncamera_matrix: {data: [2, 0, 1.5, 0, 2, 0.5, 0, 0, 1]}\n"
    )
    cal = load_calibration(path)
    np.testing.assert_array_equal(cal.p, np.hstack([cal.k, np.zeros((3, 1))]))
    np.testing.assert_array_equal(cal.r, np.eye(3))
    assert cal.d.size == 0


@pytest.mark.parametrize(
    "text, needle",
    [
        ("image_width: 640\n", "image_height"),
        ("image_width: 640\nimage_height: 480\n", "camera_matrix.data"),
        (
            "image_width: 640\nimage_height: 480\ncamera_matrix: {data: [1, 2, 3]}\n",
            "9 finite numbers",
        ),
        ("[1, 2", "cannot read"),
    ],
)
def test_bad_calibration_names_the_problem(tmp_path, text, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        load_calibration(path)


def test_pinhole_default_has_60_degree_hfov():
    cal = Calibration.pinhole(CameraIntrinsics.default_for(640, 480, 60.0))
    hfov_deg = np.rad2deg(2 * np.arctan(0.5 * 640 / cal.k[0, 0]))
    assert hfov_deg == pytest.approx(60.0)
    assert cal.k[0, 2] == pytest.approx(319.5) and cal.k[1, 2] == pytest.approx(239.5)
    np.testing.assert_array_equal(cal.p[:, :3], cal.k)
    np.testing.assert_array_equal(cal.d, np.zeros(5))


def _write_pngs(folder, count):
    rng = np.random.default_rng(1)
    written = []
    for i in range(count):
        rgb = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
        cv2.imwrite(str(folder / f"f{i:02d}.png"), rgb[:, :, ::-1])
        written.append(rgb)
    (folder / "notes.txt").write_text("ignored")
    return written


def test_folder_frames_in_name_order_as_rgb(tmp_path):
    written = _write_pngs(tmp_path, 3)
    got = list(frames(tmp_path, repeat=False))
    assert len(got) == 3
    for a, b in zip(got, written):
        np.testing.assert_array_equal(a, b)


def test_repeat_cycles_the_source(tmp_path):
    written = _write_pngs(tmp_path, 2)
    source = frames(tmp_path, repeat=True)
    got = [next(source) for _ in range(5)]
    np.testing.assert_array_equal(got[4], written[0])
    np.testing.assert_array_equal(got[3], written[1])


def test_single_image_and_video(tmp_path):
    written = _write_pngs(tmp_path, 1)
    assert len(list(frames(tmp_path / "f00.png", repeat=False))) == 1
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (8, 6))
    for _ in range(4):
        writer.write(written[0][:, :, ::-1])
    writer.release()
    got = list(frames(video, repeat=False))
    assert len(got) == 4 and got[0].shape == (6, 8, 3)


def test_missing_or_empty_sources_raise(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        next(frames(tmp_path / "nope.mp4", repeat=False))
    with pytest.raises(InputError, match="no images"):
        image_paths(tmp_path)


def test_sizes():
    assert parse_size("640x480") == (640, 480)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size("640")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size("0x10")
    rgb = np.zeros((4, 6, 3), np.uint8)
    assert resized(rgb, None) is rgb
    assert resized(rgb, (3, 2)).shape == (2, 3, 3)
