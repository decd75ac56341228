"""Everything the node publishes for a frame: TF, markers, REP-155 topics, the debug image.

Created once by the node (publishers live as long as the node; per-body REP-155 publishers live as
long as their track). Optional dependencies degrade with one warning: tf2_ros (else a plain /tf
publisher of tf2_msgs/TFMessage), hri_msgs (else no REP-155 topics).

No lost first messages: a body's publishers (BODY_QOS: reliable, transient local, depth 1) are
created and have published before its id first appears on /humans/bodies/tracked, so a client that
subscribes after reading the id still receives each topic's latest message.
"""

from __future__ import annotations

import time

from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from pose3d_ros.core.behaviour import BehaviourTracker
from pose3d_ros.core.body_frame import body_pose
from pose3d_ros.core.tracks.velocity import TrackVelocities
from pose3d_ros.core.types import Person
from pose3d_ros.errors import InputError
from pose3d_ros.ros import conversions, markers, naming, rep155, transforms
from pose3d_ros.ros.draw import annotate
from pose3d_ros.ros.params import OutputSettings

TF_QOS = QoSProfile(
    depth=100, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.VOLATILE
)
OUT_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
IMAGE_OUT_QOS = QoSProfile(depth=2, reliability=ReliabilityPolicy.RELIABLE)
# per-body topics: a late subscriber (one that learnt the id from /humans/bodies/tracked) gets
# the latest
BODY_QOS = QoSProfile(
    depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
)


class TfSender:
    """tf2_ros.TransformBroadcaster when importable, else a /tf publisher with tf2's QoS."""

    def __init__(self, node):
        try:
            from tf2_ros import TransformBroadcaster

            self._broadcaster = TransformBroadcaster(node)
            self._pub = None
        except ImportError:
            self._broadcaster = None
            try:
                from tf2_msgs.msg import TFMessage
            except ImportError:
                node.get_logger().warning(
                    "neither tf2_ros nor tf2_msgs is importable: no TF output "
                    "(`make setup` builds tf2_msgs)"
                )
                self._pub = None
                return
            self._msg = TFMessage
            self._pub = node.create_publisher(TFMessage, "/tf", TF_QOS)

    def send(self, tfs: list) -> None:
        if not tfs:
            return
        if self._broadcaster is not None:
            self._broadcaster.sendTransform(tfs)
        elif self._pub is not None:
            self._pub.publish(self._msg(transforms=tfs))


class BodyTopics:
    """One tracked body's publishers, all BODY_QOS; the latched URDF is sent on creation."""

    def __init__(self, node, body_id: str):
        from geometry_msgs.msg import PointStamped, TwistStamped
        from hri_msgs.msg import BodyPosture, Gesture, NormalizedRegionOfInterest2D, Skeleton2D
        from sensor_msgs.msg import JointState
        from std_msgs.msg import String

        self._node = node
        self.skeleton2d = node.create_publisher(
            Skeleton2D, naming.skeleton2d_topic(body_id), BODY_QOS
        )
        self.roi = node.create_publisher(
            NormalizedRegionOfInterest2D, naming.roi_topic(body_id), BODY_QOS
        )
        self.position = node.create_publisher(
            PointStamped, naming.position_topic(body_id), BODY_QOS
        )
        self.velocity = node.create_publisher(
            TwistStamped, naming.velocity_topic(body_id), BODY_QOS
        )
        self.joint_states = node.create_publisher(
            JointState, naming.joint_states_topic(body_id), BODY_QOS
        )
        self.posture = node.create_publisher(BodyPosture, naming.posture_topic(body_id), BODY_QOS)
        self.gesture = node.create_publisher(Gesture, naming.gesture_topic(body_id), BODY_QOS)
        self.urdf = node.create_publisher(String, naming.urdf_topic(body_id), BODY_QOS)
        self.urdf.publish(rep155.urdf(body_id))

    def destroy(self) -> None:
        for pub in (
            self.skeleton2d,
            self.roi,
            self.position,
            self.velocity,
            self.joint_states,
            self.posture,
            self.gesture,
            self.urdf,
        ):
            self._node.destroy_publisher(pub)


class Outputs:
    """Publishes one processed frame's results."""

    def __init__(self, node, publish_rep155: bool):
        self._node = node
        self._log = node.get_logger()
        self._tf = TfSender(node)
        self._markers = node.create_publisher(MarkerArray, naming.MARKERS_TOPIC, OUT_QOS)
        from sensor_msgs.msg import Image

        self._debug = node.create_publisher(Image, naming.DEBUG_IMAGE_TOPIC, IMAGE_OUT_QOS)
        self._last_debug_s = 0.0
        self._rep155 = publish_rep155 and rep155.available()
        if publish_rep155 and not self._rep155:
            self._log.warning(
                "hri_msgs is not importable: REP-155 topics (/humans/bodies/...) are off "
                "(`make setup` builds hri_msgs)"
            )
        self._bodies: dict[str, BodyTopics] = {}
        self._velocities = TrackVelocities()
        self._behaviours = BehaviourTracker()
        if self._rep155:
            from hri_msgs.msg import IdsList

            self._tracked = node.create_publisher(IdsList, naming.BODIES_TRACKED_TOPIC, OUT_QOS)

    def publish(
        self,
        people: list[Person],
        ended: tuple[str, ...],
        active_ids: tuple[str, ...],
        header,
        image_size_px: tuple[int, int] | None,
        settings: OutputSettings,
        up_optical=None,
    ) -> list[Person]:
        """Publish a frame's outputs (all stamped with header). Returns the people actually
        published: a person whose body frame is undefined (degenerate skeleton) is left out of
        every output.
        image_size_px: (width, height) of the image the people were found in (None with no
        people). up_optical: (3,) direction against gravity in the image's optical frame when the
        camera pose is known (core/pose3d/floor.py FloorPlane.up_cam), else None (posture assumes a
        level camera)."""
        posed, tfs = [], []  # (person, its body pose), computed once for TF and REP-155
        with_joints = settings.joint_tf_publisher == "node"
        for p in people:
            try:
                pose = body_pose(p.joints3d_m)
            except InputError as e:
                self._log.warning(f"person {p.track_id} skipped: {e}", throttle_duration_sec=5.0)
                continue
            posed.append((p, pose))
            tfs.extend(
                transforms.body_transforms(
                    p.track_id, pose, header.frame_id, header.stamp, with_joints
                )
            )
        published = [p for p, _ in posed]
        if settings.publish_tf:
            self._tf.send(tfs)
        if settings.publish_markers:
            ms = [
                m
                for p in published
                for m in markers.person_markers(p, header.frame_id, header.stamp)
            ]
            ms += [
                m
                for tid in ended
                for m in markers.delete_markers(tid, header.frame_id, header.stamp)
            ]
            if ms:
                self._markers.publish(markers.marker_array(ms))
        if self._rep155:
            # also while publish_rep155 is off: no publisher outlives its track
            self._end_bodies(ended)
            if settings.publish_rep155:
                self._publish_rep155(posed, active_ids, header, image_size_px, up_optical)
        return published

    def _end_bodies(self, ended) -> None:
        for tid in ended:
            topics = self._bodies.pop(tid, None)
            if topics is not None:
                topics.destroy()
        self._velocities.end(ended)
        self._behaviours.end(ended)

    def _publish_rep155(self, posed, active_ids, header, size_px, up_optical) -> None:
        """Per-body topics first (creating a new body's publishers), then the ids: only ids whose
        topics exist are announced. posed: [(person, its body pose)]."""
        stamp_ns = conversions.stamp_to_ns(header.stamp)
        for p, pose in posed:
            w, h = size_px
            topics = self._bodies.get(p.track_id)
            if topics is None:
                topics = self._bodies[p.track_id] = BodyTopics(self._node, p.track_id)
            velocity_mps = self._velocities.update(p.track_id, stamp_ns, pose.origin_m)
            topics.skeleton2d.publish(rep155.skeleton2d(p, w, h, header))
            topics.roi.publish(rep155.roi(p, w, h, header))
            topics.position.publish(rep155.position(pose.origin_m, header))
            topics.velocity.publish(rep155.velocity(velocity_mps, header))
            topics.joint_states.publish(rep155.joint_state(pose.joints_body_m, p.track_id, header))
            behaviour = self._behaviours.update(
                p.track_id, stamp_ns, p.joints3d_m, p.joints2d_px, p.joints3d_conf, up_optical
            )
            topics.posture.publish(rep155.body_posture(behaviour.posture, header))
            topics.gesture.publish(rep155.gesture(behaviour.gesture, header))
        self._tracked.publish(rep155.ids_list([i for i in active_ids if i in self._bodies], header))

    def debug_wanted(self, max_fps: float) -> bool:
        """True when someone subscribes to ~/debug_image and the rate cap allows a frame now."""
        if self._debug.get_subscription_count() == 0:
            return False
        return max_fps <= 0 or time.monotonic() - self._last_debug_s >= 1.0 / max_fps

    def publish_debug(
        self, frame_rgb, people: list[Person], header: Header, fps: float | None
    ) -> None:
        colours = {p.track_id: markers.id_colour_rgb(p.track_id) for p in people if p.track_id}
        self._debug.publish(
            conversions.rgb_to_image(annotate(frame_rgb, people, colours, fps), header)
        )
        self._last_debug_s = time.monotonic()
