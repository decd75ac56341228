"""Image + CameraInfo over real DDS between processes: pose3d_play -> this test process.

Known answers: every pixel arrives exactly as cv2 decodes the file; each Image has a
CameraInfo with the identical header; the default CameraInfo is the 60 deg pinhole;
a YAML calibration arrives field for field; a 640x480 rgb8 stream survives best-effort
QoS (the Fast DDS SHM profile); the player's process group is gone after teardown.
"""

import cv2
import numpy as np
import pytest

from ros_harness import console_command, group_alive

pytestmark = pytest.mark.usefixtures("dds_ready")

FRAME_ID = "test_cam_optical_frame"


def _stamp_ns(msg):
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


def _rgb(msg):
    from pose3d_ros.ros.conversions import image_to_rgb

    return image_to_rgb(msg)


def _play(launch, source, *extra):
    argv = console_command("pose3d_play") + [
        str(source),
        "--frame-id",
        FRAME_ID,
        "--wait-subscribers",
        "1",
        "--wait-timeout-s",
        "20",
        *extra,
    ]
    return launch(argv, name="pose3d_play")


def test_player_frames_arrive_exact_with_matching_camera_info(ros_node, launch, coco_images):
    from sensor_msgs.msg import CameraInfo, Image

    images = ros_node.collect(Image, "image", reliable=True)
    infos = ros_node.collect(CameraInfo, "camera_info", reliable=True)
    player = _play(launch, coco_images[0], "--count", "12", "--rate", "20")
    assert ros_node.wait_for(lambda: len(images) >= 12 and len(infos) >= 12, timeout_s=40), (
        player.output()
    )
    assert player.wait(timeout_s=10) == 0, player.output()

    expected = cv2.cvtColor(cv2.imread(str(coco_images[0])), cv2.COLOR_BGR2RGB)
    h, w = expected.shape[:2]
    info_by_stamp = {_stamp_ns(m): m for m in infos.msgs}
    stamps = [_stamp_ns(m) for m in images.msgs]
    assert len(set(stamps)) == 12 and stamps == sorted(stamps)
    for img in images.msgs:
        assert img.encoding == "rgb8" and img.header.frame_id == FRAME_ID
        np.testing.assert_array_equal(_rgb(img), expected)
        info = info_by_stamp[_stamp_ns(img)]
        assert info.header.frame_id == FRAME_ID and (info.width, info.height) == (w, h)
    k = np.asarray(infos.msgs[0].k).reshape(3, 3)
    assert np.rad2deg(2 * np.arctan(0.5 * w / k[0, 0])) == pytest.approx(60.0)
    assert (k[0, 2], k[1, 2]) == pytest.approx(((w - 1) / 2, (h - 1) / 2))
    assert list(infos.msgs[0].d) == [0.0] * 5


def test_player_camera_info_from_yaml(ros_node, launch, coco_images, tmp_path):
    from sensor_msgs.msg import CameraInfo, Image

    k = [500.0, 0.0, 320.5, 0.0, 501.0, 240.5, 0.0, 0.0, 1.0]
    d = [0.05, -0.1, 0.0, 0.001, 0.0]
    calib = tmp_path / "cam.yaml"
    calib.write_text(
        f"image_width: 640\nimage_height: 480\ncamera_matrix: {{rows: 3, cols: 3, data: {k}}}\n"
        f"distortion_model: plumb_bob\ndistortion_coefficients: {{rows: 1, cols: 5, data: {d}}}\n"
    )
    infos = ros_node.collect(CameraInfo, "cam/info", reliable=True)
    ros_node.collect(Image, "cam/image", reliable=True)
    player = _play(
        launch,
        coco_images[0],
        "--count",
        "3",
        "--rate",
        "20",
        "--resize",
        "640x480",
        "--camera-info",
        str(calib),
        "--camera-info-topic",
        "cam/info",
        "--image-topic",
        "cam/image",
    )
    assert ros_node.wait_for(lambda: len(infos) >= 3, timeout_s=40), player.output()
    assert player.wait(timeout_s=10) == 0, player.output()
    msg = infos.msgs[0]
    assert (msg.width, msg.height) == (640, 480)
    assert list(msg.k) == k and list(msg.d) == d
    assert list(msg.p) == k[:3] + [0.0] + k[3:6] + [0.0] + k[6:] + [0.0]


def test_player_rejects_calibration_of_another_size(ros_node, launch, coco_images, tmp_path):
    calib = tmp_path / "cam.yaml"
    calib.write_text(
        "image_width: 100\nimage_height: 100\n"
        "camera_matrix: {data: [1, 0, 50, 0, 1, 50, 0, 0, 1]}\n"
    )
    from sensor_msgs.msg import CameraInfo, Image

    ros_node.collect(Image, "image")
    ros_node.collect(CameraInfo, "camera_info")
    player = _play(launch, coco_images[0], "--count", "3", "--camera-info", str(calib))
    assert player.wait(timeout_s=40) == 1
    assert "--resize 100x100" in player.output()


def test_vga_stream_survives_best_effort(ros_node, launch, coco_images):
    """640x480 rgb8 (921,600 B) is larger than Fast DDS's default SHM segment: needs the profile."""
    from sensor_msgs.msg import CameraInfo, Image

    images = ros_node.collect(Image, "image", reliable=False, depth=5)
    ros_node.collect(CameraInfo, "camera_info", reliable=False, depth=5)
    player = _play(
        launch,
        coco_images[0],
        "--count",
        "40",
        "--rate",
        "20",
        "--resize",
        "640x480",
        "--qos",
        "best_effort",
    )
    assert ros_node.wait_for(lambda: player.returncode is not None, timeout_s=60), player.output()
    assert player.returncode == 0, player.output()
    ros_node.spin_for(1.0)
    assert len(images) >= 36, (
        f"only {len(images)} of 40 best-effort frames arrived\n{player.output()}"
    )
    assert all((m.width, m.height, len(m.data)) == (640, 480, 921_600) for m in images.msgs)


def test_teardown_ends_the_process_group(ros_node, launch, coco_images):
    player = launch(
        console_command("pose3d_play") + [str(coco_images[0]), "--loop", "--rate", "5"],
        name="looping",
    )
    from sensor_msgs.msg import Image

    images = ros_node.collect(Image, "image")
    assert ros_node.wait_for(lambda: len(images) >= 1, timeout_s=30), player.output()
    assert player.returncode is None and group_alive(player.pgid)
    player.stop()
    assert not group_alive(player.pgid)
