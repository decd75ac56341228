"""Per-body REP-155 topics (issue 12): names, position / velocity / joint_states / urdf messages,
the URDF reproducing the node's own joint frames, and the order that lets a late subscriber catch
up (publishers exist and have published before the id is announced; transient local, depth 1)."""

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("hri_msgs.msg", reason="needs ROS 2 message packages (.venv)")

from builtin_interfaces.msg import Time  # noqa: E402
from hri_msgs.msg import BodyPosture  # noqa: E402
from hri_msgs.msg import Gesture as GestureMsg  # noqa: E402
from rclpy.qos import DurabilityPolicy, ReliabilityPolicy  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from factories import FakeNode, make_person  # noqa: E402
from factories import canonical_skeleton_m as canonical_skeleton  # noqa: E402
from pose3d_ros.core.behaviour import Gesture, Posture  # noqa: E402
from pose3d_ros.core.body_frame import body_pose, quat_xyzw_to_rotation  # noqa: E402
from pose3d_ros.core.skeleton import H36M_JOINTS, H36M_TO_ROS4HRI  # noqa: E402
from pose3d_ros.ros import naming, rep155, transforms  # noqa: E402
from pose3d_ros.ros.body_urdf import body_urdf  # noqa: E402
from pose3d_ros.ros.outputs import BODY_QOS, Outputs  # noqa: E402
from pose3d_ros.ros.params import SPECS, settings_from  # noqa: E402

STAMP = Time(sec=12, nanosec=345)
HEADER = Header(stamp=STAMP, frame_id="cam")
# hri_body_detect's link frames that our 17-joint skeleton also has (human_description's xacro)
HRI_SHARED_LINKS = (
    "body",
    "waist",
    "torso",
    "head",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "l_hip",
    "l_knee",
    "l_ankle",
    "r_hip",
    "r_knee",
    "r_ankle",
)


def person(tid="abcde", shift_m=(0.2, 0.1, 3.0)):
    rot = np.column_stack([[0, 0, -1], [1, 0, 0], [0, -1, 0]]).astype(
        float
    )  # body upright in the camera
    p = make_person(track_id=tid)
    return dataclasses.replace(p, joints3d_m=canonical_skeleton() @ rot.T + np.asarray(shift_m))


def test_topic_names():
    assert naming.position_topic("abcde") == "/humans/bodies/abcde/position"
    assert naming.posture_topic("abcde") == "/humans/bodies/abcde/posture"
    assert naming.gesture_topic("abcde") == "/humans/bodies/abcde/gesture"
    assert naming.velocity_topic("abcde") == "/humans/bodies/abcde/velocity"
    assert naming.joint_states_topic("abcde") == "/humans/bodies/abcde/joint_states"
    assert naming.urdf_topic("abcde") == "/humans/bodies/abcde/urdf"
    names = naming.joint_state_names("abcde")
    assert len(names) == 51 and len(set(names)) == 51
    assert names[:3] == ["waist_tx_abcde", "waist_ty_abcde", "waist_tz_abcde"]
    with pytest.raises(ValueError):
        naming.translation_joint(0, "w", "abcde")


def test_position_velocity_joint_state_messages():
    p = person()
    pose = body_pose(p.joints3d_m)
    pos = rep155.position(pose.origin_m, HEADER)
    assert pos.header.frame_id == "cam" and pos.header.stamp == STAMP
    assert (pos.point.x, pos.point.y, pos.point.z) == pytest.approx((0.2, 0.1, 3.0))  # mid-hip
    vel = rep155.velocity(np.array([0.5, -0.1, 1.5]), HEADER)
    assert vel.header.frame_id == "cam" and vel.header.stamp == STAMP
    lin, ang = vel.twist.linear, vel.twist.angular
    assert (lin.x, lin.y, lin.z) == pytest.approx((0.5, -0.1, 1.5)) and (ang.x, ang.y, ang.z) == (
        0,
        0,
        0,
    )
    js = rep155.joint_state(pose.joints_body_m, "abcde", HEADER)
    assert list(js.name) == naming.joint_state_names("abcde") and js.header.stamp == STAMP
    assert np.allclose(np.reshape(js.position, (17, 3)), pose.joints_body_m)
    assert rep155.urdf("abcde").data == body_urdf("abcde")


def urdf_forward_kinematics(
    urdf: str, positions: dict[str, float]
) -> tuple[str, dict[str, np.ndarray]]:
    """(root link, {link: (3,) position in the root}) for a URDF of fixed/prismatic joints whose
    origins have no rotation (what robot_state_publisher computes from joint_states)."""
    robot = ET.fromstring(urdf)
    links = {link.get("name") for link in robot.findall("link")}
    joints = {}
    for j in robot.findall("joint"):
        assert j.get("type") == "prismatic", j.get("name")
        assert j.find("origin").get("rpy") == "0 0 0"
        offset = np.array([float(v) for v in j.find("origin").get("xyz").split()])
        axis = np.array([float(v) for v in j.find("axis").get("xyz").split()])
        joints[j.find("child").get("link")] = (
            j.find("parent").get("link"),
            offset,
            axis,
            j.get("name"),
        )
    (root,) = links - set(joints)
    out = {root: np.zeros(3)}

    def place(link):
        if link not in out:
            parent, offset, axis, name = joints[link]
            out[link] = place(parent) + offset + axis * positions[name]
        return out[link]

    for link in links:
        place(link)
    return root, out


def test_urdf_and_joint_states_reproduce_the_node_joint_frames():
    p = person()
    urdf = body_urdf("abcde")
    robot = ET.fromstring(urdf)
    assert robot.tag == "robot" and robot.get("name") == "human"
    joint_names = [j.get("name") for j in robot.findall("joint")]
    assert sorted(joint_names) == sorted(naming.joint_state_names("abcde"))
    js = rep155.joint_state(body_pose(p.joints3d_m).joints_body_m, "abcde", HEADER)
    root, fk = urdf_forward_kinematics(urdf, dict(zip(js.name, js.position)))
    assert root == "body_abcde"
    tfs = transforms.person_transforms(p, "cam", STAMP)[1:]
    assert len(tfs) == 17
    for t in tfs:
        assert t.header.frame_id == root
        tr = t.transform.translation
        assert fk[t.child_frame_id] == pytest.approx([tr.x, tr.y, tr.z], abs=1e-9)
        q = t.transform.rotation
        assert np.allclose(
            quat_xyzw_to_rotation([q.x, q.y, q.z, q.w]), np.eye(3)
        )  # as the prismatic chain
    # every link hri_body_detect has and we have carries hri_body_detect's name
    assert {f"{n}_abcde" for n in HRI_SHARED_LINKS} <= set(fk)
    # the joint frames have a visual (RViz RobotModel); the intermediate links do not
    visual = {link.get("name") for link in robot.findall("link") if link.find("visual") is not None}
    assert visual == {f"{n}_abcde" for n in H36M_TO_ROS4HRI}


def test_body_frame_only_when_robot_state_publisher_publishes_the_joints():
    tfs = transforms.person_transforms(person(), "cam", STAMP, with_joints=False)
    assert [t.child_frame_id for t in tfs] == ["body_abcde"]


class RecordingNode(FakeNode):
    """FakeNode that also records each publisher's QoS and destroyed topics."""

    def __init__(self):
        super().__init__()
        self.qos, self.destroyed = {}, []

    def create_publisher(self, msg_type, topic, qos):
        self.qos[topic] = qos
        pub = super().create_publisher(msg_type, topic, qos)
        pub.topic = topic
        return pub

    def destroy_publisher(self, pub):
        self.destroyed.append(pub.topic)


def settings(**changes):
    values = {s.name: s.default for s in SPECS}
    values.update(changes)
    return settings_from(values).outputs


def header_at(sec):
    return Header(stamp=Time(sec=sec, nanosec=0), frame_id="cam")


def test_body_topics_exist_and_publish_before_the_id_is_announced():
    node = RecordingNode()
    out = Outputs(node, publish_rep155=True)
    s = settings(publish_tf=False, publish_markers=False)
    out.publish([person()], (), ("abcde",), header_at(10), (640, 480), s)
    topics = [t for t, _ in node.published]
    body = [
        f"/humans/bodies/abcde/{leaf}"
        for leaf in (
            "urdf",
            "skeleton2d",
            "roi",
            "position",
            "velocity",
            "joint_states",
            "posture",
            "gesture",
        )
    ]
    assert topics == body + ["/humans/bodies/tracked"]  # the URDF first, the id last
    for topic in body:
        qos = node.qos[topic]
        assert qos.durability == DurabilityPolicy.TRANSIENT_LOCAL and qos.depth == 1
        assert qos.reliability == ReliabilityPolicy.RELIABLE
    assert BODY_QOS.durability == DurabilityPolicy.TRANSIENT_LOCAL
    msgs = dict(node.published)
    v = msgs["/humans/bodies/abcde/velocity"].twist.linear
    assert (v.x, v.y, v.z) == (0.0, 0.0, 0.0)  # a track's first frame
    posture, gesture = msgs["/humans/bodies/abcde/posture"], msgs["/humans/bodies/abcde/gesture"]
    assert (posture.posture, gesture.gesture) == (BodyPosture.STANDING, GestureMsg.OTHER)
    assert posture.header == header_at(10) and gesture.header == header_at(10)

    # 0.5 s later the body moved 0.25 m away: velocity from the smoothed positions over the stamps
    node.published.clear()
    out.publish(
        [person(shift_m=(0.2, 0.1, 3.25))],
        (),
        ("abcde",),
        Header(stamp=Time(sec=10, nanosec=500_000_000), frame_id="cam"),
        (640, 480),
        s,
    )
    msgs = dict(node.published)
    assert "/humans/bodies/abcde/urdf" not in msgs  # latched once
    v = msgs["/humans/bodies/abcde/velocity"].twist.linear
    assert (v.x, v.y, v.z) == pytest.approx((0.0, 0.0, 0.5))
    assert msgs["/humans/bodies/abcde/velocity"].header.frame_id == "cam"


def test_ids_without_topics_are_not_announced_and_ended_bodies_lose_their_topics():
    node = RecordingNode()
    out = Outputs(node, publish_rep155=True)
    s = settings(publish_tf=False, publish_markers=False)
    # "zzzzz" is tracked but was never published (e.g. its skeleton was degenerate): not announced
    out.publish([person()], (), ("abcde", "zzzzz"), header_at(10), (640, 480), s)
    assert list(dict(node.published)["/humans/bodies/tracked"].ids) == ["abcde"]
    # the track ends while REP-155 output is switched off: its publishers still go
    out.publish([], ("abcde",), (), header_at(12), None, settings(publish_rep155=False))
    assert sorted(node.destroyed) == sorted(
        f"/humans/bodies/abcde/{leaf}"
        for leaf in (
            "skeleton2d",
            "roi",
            "position",
            "velocity",
            "joint_states",
            "posture",
            "gesture",
            "urdf",
        )
    )


def test_robot_state_publisher_mode_sends_only_body_frames():
    node = RecordingNode()
    out = Outputs(node, publish_rep155=True)
    sent = []
    out._tf.send = sent.extend  # the TF sender's input is what we check
    out.publish(
        [person()],
        (),
        ("abcde",),
        header_at(10),
        (640, 480),
        settings(joint_tf_publisher="robot_state_publisher", publish_markers=False),
    )
    assert [t.child_frame_id for t in sent] == ["body_abcde"]
    sent.clear()
    out.publish(
        [person()], (), ("abcde",), header_at(11), (640, 480), settings(publish_markers=False)
    )
    assert len(sent) == 18


def test_posture_and_gesture_messages_carry_the_hri_msgs_constants():
    for label in Posture:
        msg = rep155.body_posture(label, HEADER)
        assert msg.header == HEADER
        want = "OTHER" if label == Posture.UNDEFINED else label.name
        assert msg.posture == getattr(BodyPosture, want), label
    for label in Gesture:
        msg = rep155.gesture(label, HEADER)
        assert msg.header == HEADER
        want = "OTHER" if label == Gesture.UNDEFINED else label.name
        assert msg.gesture == getattr(GestureMsg, want), label


def test_gesture_topic_follows_the_skeleton_and_ends_with_the_track():
    node = RecordingNode()
    out = Outputs(node, publish_rep155=True)
    s = settings(publish_tf=False, publish_markers=False)
    body = canonical_skeleton()
    wrists = [H36M_JOINTS.index("l_wrist"), H36M_JOINTS.index("r_wrist")]
    body[wrists] = [(0.05, 0.2, 0.95), (0.05, -0.2, 0.95)]  # both above the head
    rot = np.column_stack([[0, 0, -1], [1, 0, 0], [0, -1, 0]]).astype(float)
    raised = dataclasses.replace(person(), joints3d_m=body @ rot.T + np.array([0.2, 0.1, 3.0]))
    out.publish([raised], (), ("abcde",), header_at(10), (640, 480), s)
    msgs = dict(node.published)
    assert msgs["/humans/bodies/abcde/gesture"].gesture == GestureMsg.BOTH_HANDS_RAISED
    out.publish([], ("abcde",), (), header_at(12), None, s)
    assert {"/humans/bodies/abcde/posture", "/humans/bodies/abcde/gesture"} <= set(node.destroyed)
    assert out._behaviours.track_ids == ()
