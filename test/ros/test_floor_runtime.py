"""The node's floor: from the camera_* parameters, or from TF (floor_frame) between the floor
frame and the image's frame_id, handed to the pipeline with each frame (stand-in models; the
runtime on a test node under scripts/isolated.sh)."""

import numpy as np
import pytest

pytest.importorskip("hri_msgs.msg", reason="needs hri_msgs (make setup)")
pytest.importorskip("tf2_msgs.msg", reason="needs tf2_msgs (make setup)")

from factories import (  # noqa: E402
    STAMP_NS,
    VGA_INTRINSICS,
    Stub2D,
    StubLifter,
    blank_frame_rgb,
    make_pose2d,
)
from pose3d_ros.core.body_frame import rotation_to_quat_xyzw  # noqa: E402
from pose3d_ros.core.pipeline import Pose3DPipeline  # noqa: E402
from pose3d_ros.core.pose3d.floor import floor_from_angles  # noqa: E402
from pose3d_ros.ros import params, runtime  # noqa: E402

FRAME = "cam_optical"


class SpyModels:
    """Stand-in models whose placement records the floor it was given for each frame."""

    def __init__(self, settings):
        self.floors = []

        def place(rel_m, j2d, conf, intr, depth_m, config):
            self.floors.append(config.floor_plane())
            return rel_m + [0.0, 0.0, 3.0], np.ones(rel_m.shape[:2])

        self.pose2d = Stub2D([make_pose2d()])
        self.pipeline = Pose3DPipeline(self.pose2d, StubLifter(), settings.pipeline, place)

    def close(self):
        """Nothing to free."""


def run_frames(ros_node, models, settings, until, timeout_s=20.0):
    rt = runtime.NodeRuntime(ros_node.node, settings, models)
    rt.activate()
    try:
        sent = 0
        for _ in range(int(timeout_s / 0.1)):
            if until():
                break
            ros_node.publish_frame(blank_frame_rgb(), VGA_INTRINSICS, STAMP_NS + sent, FRAME)
            sent += 100_000_000
            ros_node.spin_for(0.1)
    finally:
        rt.deactivate()
        rt.close()
    return until()


def settings_with(**values):
    return params.settings_from({**{s.name: s.default for s in params.SPECS}, **values})


def test_camera_parameters_give_the_floor(ros_node):
    s = settings_with(camera_height_m=1.4, camera_pitch_deg=15.0)
    models = SpyModels(s)
    assert run_frames(ros_node, models, s, lambda: len(models.floors) >= 2)
    ref = floor_from_angles(1.4, 15.0, 0.0)
    np.testing.assert_allclose(models.floors[-1].up_cam, ref.up_cam)


def test_floor_frame_takes_the_floor_from_tf(ros_node):
    from geometry_msgs.msg import TransformStamped
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from tf2_msgs.msg import TFMessage

    def tf(parent, child, xyz, q):
        m = TransformStamped()
        m.header.frame_id, m.child_frame_id = parent, child
        t = m.transform.translation
        t.x, t.y, t.z = (float(v) for v in xyz)
        r = m.transform.rotation
        r.x, r.y, r.z, r.w = (float(v) for v in q)
        return m

    a = np.deg2rad(25.0)
    pitch_down = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    qos = QoSProfile(
        depth=10,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )
    ros_node.node.create_publisher(TFMessage, "/tf_static", qos).publish(
        TFMessage(
            transforms=[
                tf("base_footprint", "cam_link", (0, 0, 1.8), rotation_to_quat_xyzw(pitch_down)),
                tf("cam_link", FRAME, (0, 0, 0), (-0.5, 0.5, -0.5, 0.5)),
            ]
        )
    )
    # TF wins over the camera_* parameters, which serve until the transforms arrive
    s = settings_with(floor_frame="base_footprint", camera_height_m=5.0)
    models = SpyModels(s)

    def from_tf(f):
        return f is not None and f.camera_height_m == pytest.approx(1.8)

    # frames before the transforms arrive use the parameters: wait for one placed with TF
    assert run_frames(ros_node, models, s, lambda: any(from_tf(f) for f in models.floors))
    got = [f for f in models.floors if from_tf(f)][-1]
    np.testing.assert_allclose(got.up_cam, floor_from_angles(1.8, 25.0, 0.0).up_cam, atol=1e-6)
    assert got.camera_height_m == pytest.approx(1.8)
    assert {round(f.camera_height_m, 3) for f in models.floors} <= {1.8, 5.0}
