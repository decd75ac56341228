"""TF, marker and REP-155 message builders: names, parents, namespaces, actions, no NaN."""

import numpy as np
import pytest

pytest.importorskip("visualization_msgs.msg", reason="needs ROS 2 message packages (.venv)")

from builtin_interfaces.msg import Time  # noqa: E402
from std_msgs.msg import Header  # noqa: E402
from visualization_msgs.msg import Marker  # noqa: E402

from factories import canonical_skeleton_m as canonical_skeleton  # noqa: E402
from factories import make_person  # noqa: E402
from pose3d_ros.core.body_frame import quat_xyzw_to_rotation  # noqa: E402
from pose3d_ros.core.skeleton import H36M_PARENTS, H36M_TO_ROS4HRI  # noqa: E402
from pose3d_ros.errors import InputError  # noqa: E402
from pose3d_ros.ros import markers, naming, rep155, transforms  # noqa: E402

STAMP = Time(sec=12, nanosec=345)


def person(tid="abcde", z_m=3.0):
    rot = np.column_stack([[0, 0, -1], [1, 0, 0], [0, -1, 0]]).astype(float)
    p = make_person(track_id=tid)
    import dataclasses

    return dataclasses.replace(p, joints3d_m=canonical_skeleton() @ rot.T + [0.2, 0.1, z_m])


def test_naming():
    assert naming.body_frame("abcde") == "body_abcde"
    assert naming.joint_frame(13, "abcde") == "l_wrist_abcde"
    assert naming.skeleton2d_topic("abcde") == "/humans/bodies/abcde/skeleton2d"
    assert naming.roi_topic("abcde") == "/humans/bodies/abcde/roi"


def test_transforms_tree_and_values():
    p = person()
    tfs = transforms.person_transforms(p, "camera_optical_frame", STAMP)
    assert len(tfs) == 18
    body = tfs[0]
    assert (body.header.frame_id, body.child_frame_id) == ("camera_optical_frame", "body_abcde")
    assert body.header.stamp == STAMP
    t = body.transform.translation
    np.testing.assert_allclose([t.x, t.y, t.z], [0.2, 0.1, 3.0])
    q = body.transform.rotation
    rot = quat_xyzw_to_rotation([q.x, q.y, q.z, q.w])
    assert [tf.child_frame_id for tf in tfs[1:]] == [f"{n}_abcde" for n in H36M_TO_ROS4HRI]
    assert all(tf.header.frame_id == "body_abcde" and tf.header.stamp == STAMP for tf in tfs[1:])
    # joint translations are the body-frame joints: rotating back and adding the origin gives the
    # input
    for j, tf in enumerate(tfs[1:]):
        v = tf.transform.translation
        np.testing.assert_allclose(
            rot @ [v.x, v.y, v.z] + [0.2, 0.1, 3.0], p.joints3d_m[j], atol=1e-9
        )


def test_transforms_refuse_nan():
    import dataclasses

    p = person()
    bad = p.joints3d_m.copy()
    bad[5, 2] = np.nan
    with pytest.raises(InputError):
        transforms.person_transforms(dataclasses.replace(p, joints3d_m=bad), "cam", STAMP)


def test_markers_per_person_and_delete():
    a, b = person("aaaaa", 3.0), person("bbbbb", 5.0)
    ms = markers.person_markers(a, "cam", STAMP) + markers.person_markers(b, "cam", STAMP)
    assert {m.ns for m in ms} == {"body_aaaaa", "body_bbbbb"}
    bones, joints, label = ms[:3]
    assert (bones.type, joints.type, label.type) == (
        Marker.LINE_LIST,
        Marker.SPHERE_LIST,
        Marker.TEXT_VIEW_FACING,
    )
    assert len(bones.points) == 2 * int(np.sum(H36M_PARENTS >= 0)) and len(joints.points) == 17
    assert label.text == "aaaaa" and all(
        m.action == Marker.ADD and m.header.frame_id == "cam" for m in ms
    )
    assert (bones.color.r, bones.color.g, bones.color.b) != (
        ms[3].color.r,
        ms[3].color.g,
        ms[3].color.b,
    )
    np.testing.assert_allclose(
        [joints.points[0].x, joints.points[0].y, joints.points[0].z], a.joints3d_m[0]
    )
    dels = markers.delete_markers("aaaaa", "cam", STAMP)
    assert [(m.ns, m.id, m.action) for m in dels] == [
        ("body_aaaaa", i, Marker.DELETE) for i in range(3)
    ]
    assert markers.id_colour_rgb("aaaaa") == markers.id_colour_rgb("aaaaa")


@pytest.mark.skipif(not rep155.available(), reason="hri_msgs not built (make setup builds it)")
def test_rep155_messages():
    p = person()
    header = Header(stamp=STAMP, frame_id="cam")
    ids = rep155.ids_list(["aaaaa", "bbbbb"], header)
    assert list(ids.ids) == ["aaaaa", "bbbbb"] and ids.header.stamp == STAMP
    sk = rep155.skeleton2d(p, 640, 480, header)
    assert len(sk.skeleton) == 18
    kp = p.pose2d.keypoints_px
    assert sk.skeleton[0].x == pytest.approx(kp[0, 0] / 640, abs=1e-6)  # nose
    assert sk.skeleton[1].y == pytest.approx((kp[11, 1] + kp[12, 1]) / 2 / 480, abs=1e-6)  # neck
    assert all(0 <= pt.x <= 1 and 0 <= pt.y <= 1 and 0 <= pt.c <= 1 for pt in sk.skeleton)
    roi = rep155.roi(p, 640, 480, header)
    assert roi.xmin == pytest.approx(kp[:, 0].min() / 640, abs=1e-6) and roi.xmax > roi.xmin
    assert roi.c == pytest.approx(p.pose2d.score)
