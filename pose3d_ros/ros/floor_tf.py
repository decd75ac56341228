"""The floor from TF: the camera's pose in a floor frame, from /tf and /tf_static.

tf2_ros is not installable in the embedded runtime this project is built in, so this module
keeps its own small transform tree fed by tf2_msgs/TFMessage on /tf (dynamic) and /tf_static
(transient local). It keeps the newest transform of each child frame (no interpolation to the
image stamp: for a camera that moves on a robot, the floor of the newest transforms is used) and
composes the chain between the floor frame and the image's frame through their common root.

The floor frame must have z up with the floor at z = 0 (REP-103; e.g. `base_footprint`); the
image's header.frame_id is its optical frame. core/floor.floor_from_pose turns the pose into the
FloorPlane that placement uses.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.core.body_frame import quat_xyzw_to_rotation
from pose3d_ros.core.pose3d.floor import FloorPlane, floor_from_pose
from pose3d_ros.errors import ConfigError

MAX_CHAIN = 64  # frames between a frame and its root; more means a loop in the messages


def _name(frame: str) -> str:
    return frame.lstrip("/")


class TransformTree:
    """Newest parent <- child transforms: p_parent = R p_child + t. Not thread-safe on its own
    (TfFloor calls it from one executor thread and from the worker: it swaps whole entries)."""

    def __init__(self):
        self._parent: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}

    def set(self, parent: str, child: str, translation_m, rotation_xyzw) -> None:
        """Store `child`'s transform in `parent`: translation (3,) m, quaternion x, y, z, w."""
        rot = quat_xyzw_to_rotation(np.asarray(rotation_xyzw, dtype=np.float64))
        t = np.asarray(translation_m, dtype=np.float64).reshape(3)
        if np.all(np.isfinite(rot)) and np.all(np.isfinite(t)):
            self._parent[_name(child)] = (_name(parent), rot, t)

    def _to_root(self, frame: str) -> tuple[str, np.ndarray, np.ndarray] | None:
        """(root, R, t) with p_root = R p_frame + t, or None for a loop."""
        rot, t, f = np.eye(3), np.zeros(3), _name(frame)
        for _ in range(MAX_CHAIN):
            entry = self._parent.get(f)
            if entry is None:
                return f, rot, t
            f, r_p, t_p = entry
            rot, t = r_p @ rot, r_p @ t + t_p
        return None

    def lookup(self, target: str, source: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(R, t) with p_target = R p_source + t, or None when the frames are not connected."""
        a, b = self._to_root(source), self._to_root(target)
        if a is None or b is None or a[0] != b[0]:
            return None
        r_s, t_s = a[1], a[2]
        r_t, t_t = b[1], b[2]
        return r_t.T @ r_s, r_t.T @ (t_s - t_t)


def floor_in(tree: TransformTree, floor_frame: str, camera_frame: str) -> FloorPlane | None:
    """The floor seen from camera_frame, or None (frames not connected, or the camera is not
    above the floor)."""
    pose = tree.lookup(floor_frame, camera_frame)
    if pose is None:
        return None
    try:
        return floor_from_pose(*pose)
    except ConfigError:
        return None


class TfFloor:
    """Subscribes /tf and /tf_static on `node` (kept in .subscriptions) and answers
    floor(camera_frame)."""

    def __init__(self, node, floor_frame: str):
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from tf2_msgs.msg import TFMessage

        self.floor_frame = floor_frame
        self.tree = TransformTree()
        dynamic = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        static = QoSProfile(
            depth=100,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        self.subscriptions = [
            node.create_subscription(TFMessage, "/tf", self._on_tf, dynamic),
            node.create_subscription(TFMessage, "/tf_static", self._on_tf, static),
        ]

    def _on_tf(self, msg) -> None:
        for tf in msg.transforms:
            tr, q = tf.transform.translation, tf.transform.rotation
            self.tree.set(
                tf.header.frame_id, tf.child_frame_id, (tr.x, tr.y, tr.z), (q.x, q.y, q.z, q.w)
            )

    def floor(self, camera_frame: str) -> FloorPlane | None:
        """The floor seen from the image's frame, from the newest transforms, or None."""
        return floor_in(self.tree, self.floor_frame, camera_frame)
