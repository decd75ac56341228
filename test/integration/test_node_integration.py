"""pose3d_node in its own process over real DDS, fed real photos: TF, markers, REP-155, track end,
bad input, and a recorded mcap bag decoded back. Needs .venv (make setup), the models (make
models) and scripts/isolated.sh (make test); skips with the reason otherwise."""

from __future__ import annotations

import numpy as np

from factories import REPO_ROOT
from node_helpers import (
    BASE_NS,
    FRAME,
    PERIOD_NS,
    all_finite,
    body_tfs,
    frame_sender,
    stamp_ns_of,
    start_node,
    until_body,
    wait_node_ready,
)
from pose3d_ros.ros.conversions import ns_to_stamp, stamp_to_ns
from ros_harness import console_command

HRI = ("/humans/bodies/tracked",)
TIMEOUT_S = 0.6  # track_timeout_s given to the node in these tests


def publish_and_wait(ros_node, tf, rgb, intr, stamp_ns, timeout_s=15.0) -> bool:
    ros_node.publish_frame(rgb, intr, stamp_ns, FRAME)
    return ros_node.wait_for(lambda: bool(body_tfs(tf.msgs, stamp_ns)), timeout_s)


def assert_dropped_then_recovers(ros_node, tf, proc, skier, bad_stamps, good_stamp) -> str:
    """Nothing was published for the bad frames, the node still runs and answers the next good
    frame, every transform is finite. Returns the node's log so far."""
    rgb, intr = skier
    assert publish_and_wait(ros_node, tf, rgb, intr, good_stamp), proc.output()
    assert proc.returncode is None
    assert not any(body_tfs(tf.msgs, s) for s in bad_stamps)
    assert all_finite(tf.msgs)
    return proc.output()


def test_photos_give_tf_markers_ids_and_the_track_ends(launch, ros_node, engines_dir, skier):
    from hri_msgs.msg import IdsList
    from sensor_msgs.msg import Image
    from tf2_msgs.msg import TFMessage
    from visualization_msgs.msg import Marker, MarkerArray

    from pose3d_ros.core.skeleton import H36M_TO_ROS4HRI

    tf = ros_node.collect(TFMessage, "/tf")
    markers = ros_node.collect(MarkerArray, "/pose3d_node/markers")
    tracked = ros_node.collect(IdsList, "/humans/bodies/tracked")
    debug = ros_node.collect(Image, "/pose3d_node/debug_image")
    proc = start_node(launch, engines_dir, "debug_image.max_fps:=0.0", track_timeout_s=TIMEOUT_S)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    stamps = until_body(ros_node, proc, tf, frame_sender(ros_node, rgb, intr))
    start = stamps[-1] + PERIOD_NS
    stamps += [start + k * PERIOD_NS for k in range(4)]
    got = [publish_and_wait(ros_node, tf, rgb, intr, s) for s in stamps[-4:]]
    assert all(got), f"no body TF for some frames {got}:\n{proc.output()}"
    ros_node.spin_for(0.5)

    # TF: one body per frame, parented to the image's optical frame, stamped with the image stamp
    ids = set()
    answered = [s for s in stamps if body_tfs(tf.msgs, s)]
    for s in answered:
        (body,) = body_tfs(tf.msgs, s)
        assert body.header.frame_id == FRAME
        bid = body.child_frame_id[len("body_") :]
        ids.add(bid)
        joints = [
            t
            for m in tf.msgs
            for t in m.transforms
            if t.header.frame_id == body.child_frame_id and stamp_ns_of(t.header) == s
        ]
        assert sorted(t.child_frame_id for t in joints) == sorted(
            f"{n}_{bid}" for n in H36M_TO_ROS4HRI
        )
        z = body.transform.translation.z
        assert 1.0 < z < 30.0, f"body at {z} m"
        q = body.transform.rotation
        assert abs(q.x**2 + q.y**2 + q.z**2 + q.w**2 - 1.0) < 1e-6
    assert len(ids) == 1, f"the one skier changed id: {ids}"
    (bid,) = ids
    assert len(bid) == 5 and bid.isalpha() and bid.islower()
    assert all_finite(tf.msgs)

    # markers: one namespace per person, in the optical frame, with the image stamps
    adds = [m for a in markers.msgs for m in a.markers if m.action == Marker.ADD]
    assert {m.ns for m in adds} == {f"body_{bid}"}
    assert {m.header.frame_id for m in adds} == {FRAME}
    assert {stamp_ns_of(m.header) for m in adds} == set(answered)
    assert {m.type for m in adds} == {Marker.LINE_LIST, Marker.SPHERE_LIST, Marker.TEXT_VIEW_FACING}
    # REP-155: the same id; the debug image is the input's size
    assert tracked.msgs and all(list(m.ids) == [bid] for m in tracked.msgs)
    assert debug.msgs and (debug.msgs[-1].width, debug.msgs[-1].height) == (
        rgb.shape[1],
        rgb.shape[0],
    )

    # the skier leaves: blank frames; once the timeout has passed the markers are deleted and
    # the id leaves the tracked list
    blank = np.full_like(rgb, 200)
    last_seen = stamps[-1]
    for k in range(1, 8):
        s = last_seen + k * PERIOD_NS
        ros_node.publish_frame(blank, intr, s, FRAME)
        ros_node.wait_for(lambda: any(stamp_ns_of(m.header) == s for m in tracked.msgs), 10.0)
    deletes = [(m, a) for a in markers.msgs for m in a.markers if m.action == Marker.DELETE]
    assert {(m.ns, m.id) for m, _ in deletes} == {(f"body_{bid}", i) for i in range(3)}
    # the end is stamped no earlier than the last sighting + the timeout (integer ns: no float
    # rounding at the boundary). No upper bound: with the worker busy on a loaded machine the
    # track may end on a later frame, or by the image clock extrapolated with wall time.
    delete_stamp = stamp_ns_of(deletes[0][0].header)
    assert {stamp_ns_of(m.header) for m, _ in deletes} == {delete_stamp}
    assert delete_stamp >= last_seen + round(TIMEOUT_S * 1_000_000_000)
    first_empty = min(stamp_ns_of(m.header) for m in tracked.msgs if not m.ids)
    assert first_empty == delete_stamp
    assert [list(m.ids) for m in tracked.msgs if stamp_ns_of(m.header) > delete_stamp] == [
        [] for m in tracked.msgs if stamp_ns_of(m.header) > delete_stamp
    ]
    assert proc.returncode is None


def test_bad_input_is_dropped_and_the_node_keeps_going(launch, ros_node, engines_dir, skier):
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.conversions import rgb_to_image

    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, track_timeout_s=TIMEOUT_S)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    pub = ros_node.publisher(Image, "image")

    # 1) no camera_info at all: fallback intrinsics (one warning), still a skeleton
    header = Header(frame_id=FRAME)

    def image_only(stamp_ns):
        header.stamp = ns_to_stamp(stamp_ns)
        pub.publish(rgb_to_image(rgb, header))

    s0 = until_body(ros_node, proc, tf, image_only)[-1]

    # 2) malformed images: short data, too small a step, unsupported encoding
    bad = []
    for k, mutate in enumerate(("short", "step", "encoding")):
        header.stamp = ns_to_stamp(s0 + (k + 1) * PERIOD_NS)
        msg = rgb_to_image(rgb, header)
        if mutate == "short":
            msg.data = bytes(msg.data)[: len(msg.data) // 2]
        elif mutate == "step":
            msg.step = msg.width * 3 - 1
        else:
            msg.encoding = "bayer_rggb8"
        pub.publish(msg)
        bad.append(s0 + (k + 1) * PERIOD_NS)
        ros_node.spin_for(0.4)

    # 3) the next good frame (with camera_info) gives a correct result again
    log = assert_dropped_then_recovers(ros_node, tf, proc, skier, bad, s0 + 5 * PERIOD_NS)
    assert "no camera_info" in log and "fallback" in log
    assert "bad image, frame dropped" in log and "needs" in log  # one line per reason per 5 s


def test_output_recorded_to_mcap_and_decoded_back(launch, ros_node, engines_dir, skier, tmp_path):
    from hri_msgs.msg import IdsList
    from rclpy.serialization import deserialize_message, serialize_message
    from rosbags.rosbag2 import Reader, StoragePlugin, Writer
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore
    from tf2_msgs.msg import TFMessage
    from visualization_msgs.msg import MarkerArray

    topics = {
        "/tf": TFMessage,
        "/pose3d_node/markers": MarkerArray,
        "/humans/bodies/tracked": IdsList,
    }
    got = {t: ros_node.collect(ty, t) for t, ty in topics.items()}
    proc = start_node(launch, engines_dir, track_timeout_s=TIMEOUT_S)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    last = until_body(ros_node, proc, got["/tf"], frame_sender(ros_node, rgb, intr))[-1]
    for k in range(1, 3):
        assert publish_and_wait(ros_node, got["/tf"], rgb, intr, last + k * PERIOD_NS), (
            proc.output()
        )
    ros_node.spin_for(0.5)

    store = get_typestore(Stores.ROS2_KILTED)
    msg_dir = REPO_ROOT / "interfaces" / "hri_msgs" / "msg"
    for name in (
        "NormalizedPointOfInterest2D",
        "NormalizedRegionOfInterest2D",
        "Skeleton2D",
        "IdsList",
    ):
        store.register(
            get_types_from_msg((msg_dir / f"{name}.msg").read_text(), f"hri_msgs/msg/{name}")
        )
    bag = tmp_path / "pose3d_out"
    with Writer(bag, version=8, storage_plugin=StoragePlugin.MCAP) as writer:
        for topic, ty in topics.items():
            conn = writer.add_connection(
                topic, f"{ty.__module__.split('.')[0]}/msg/{ty.__name__}", typestore=store
            )
            for i, msg in enumerate(got[topic].msgs):
                writer.write(conn, BASE_NS + i, serialize_message(msg))
    assert list(bag.glob("*.mcap"))

    with Reader(bag) as reader:
        back = {t: [] for t in topics}
        for conn, _, raw in reader.messages():
            back[conn.topic].append(
                (
                    deserialize_message(raw, topics[conn.topic]),
                    store.deserialize_cdr(raw, conn.msgtype),
                )
            )
    for topic, ty in topics.items():
        assert len(back[topic]) == len(got[topic].msgs) > 0, topic
        for original, (via_rclpy, via_rosbags) in zip(got[topic].msgs, back[topic]):
            assert via_rclpy == original
    # independent decoder (rosbags) agrees on the fields
    for original, (_, rb) in zip(got["/tf"].msgs, back["/tf"]):
        for a, b in zip(original.transforms, rb.transforms):
            assert (a.header.frame_id, a.child_frame_id) == (b.header.frame_id, b.child_frame_id)
            assert stamp_ns_of(a.header) == stamp_to_ns(b.header.stamp)
            assert a.transform.translation.z == b.transform.translation.z
    for original, (_, rb) in zip(
        got["/humans/bodies/tracked"].msgs, back["/humans/bodies/tracked"]
    ):
        assert list(original.ids) == list(rb.ids)
    for original, (_, rb) in zip(got["/pose3d_node/markers"].msgs, back["/pose3d_node/markers"]):
        assert [(m.ns, m.id, m.type, len(m.points)) for m in original.markers] == [
            (m.ns, m.id, m.type, len(m.points)) for m in rb.markers
        ]


def set_params(ros_node, **values):
    """Call /pose3d_node/set_parameters; returns [(successful, reason)] in order."""
    from rcl_interfaces.srv import SetParameters
    from rclpy.parameter import Parameter

    client = ros_node.node.create_client(SetParameters, "/pose3d_node/set_parameters")
    assert ros_node.wait_for(client.service_is_ready, 30.0)
    req = SetParameters.Request(
        parameters=[
            Parameter(k.replace("__", "."), value=v).to_parameter_msg() for k, v in values.items()
        ]
    )
    future = client.call_async(req)
    assert ros_node.wait_for(future.done, 30.0)
    return [(r.successful, r.reason) for r in future.result().results]


def test_runtime_parameters_validated_and_applied(launch, ros_node, engines_dir, skier):
    from tf2_msgs.msg import TFMessage
    from visualization_msgs.msg import MarkerArray

    tf = ros_node.collect(TFMessage, "/tf")
    markers = ros_node.collect(MarkerArray, "/pose3d_node/markers")
    proc = start_node(launch, engines_dir, track_timeout_s=TIMEOUT_S)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    last = until_body(ros_node, proc, tf, frame_sender(ros_node, rgb, intr))[-1]

    ((ok, reason),) = set_params(ros_node, track_timeout_s=-1.0)
    assert not ok and reason
    ((ok, _),) = set_params(ros_node, backend="tensorrt")  # read-only after start
    assert not ok
    ((ok, reason),) = set_params(ros_node, decoder="argmax")
    assert not ok and "decoder" in reason
    assert (
        set_params(ros_node, publish_markers=False, smoothing__beta=0.1, min_presence=0.6)
        == [(True, "")] * 3
    )

    n_before = len(markers.msgs)
    for k in range(1, 4):
        assert publish_and_wait(ros_node, tf, rgb, intr, last + k * PERIOD_NS), proc.output()
    ros_node.spin_for(0.3)
    assert len(markers.msgs) == n_before  # markers switched off at run time, TF still there
    assert proc.returncode is None


def test_compressed_input(launch, ros_node, engines_dir, skier):
    import cv2
    from sensor_msgs.msg import CameraInfo, CompressedImage
    from std_msgs.msg import Header
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.conversions import intrinsics_to_camera_info

    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, "image_transport:=compressed", track_timeout_s=TIMEOUT_S)
    assert ros_node.wait_for_subscribers(CompressedImage, "image/compressed", 1, 90.0), (
        proc.output()
    )
    rgb, intr = skier
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )

    def publish(stamp_ns):
        header = Header(stamp=ns_to_stamp(stamp_ns), frame_id=FRAME)
        ros_node.publisher(CameraInfo, "camera_info").publish(
            intrinsics_to_camera_info(intr, header)
        )
        ros_node.publisher(CompressedImage, "image/compressed").publish(
            CompressedImage(header=header, format="jpeg", data=jpeg.tobytes())
        )

    stamp = until_body(ros_node, proc, tf, publish)[-1]
    bodies = body_tfs(
        tf.msgs, stamp
    )  # JPEG artefacts may add a weak second person: not asserted here
    assert bodies and all(b.header.frame_id == FRAME for b in bodies)
    assert any(1.0 < b.transform.translation.z < 30.0 for b in bodies)
    assert all_finite(tf.msgs)


def test_missing_models_stop_the_node_with_the_fix(launch, ros_domain, tmp_path):
    proc = launch(
        console_command("pose3d_node") + ["--ros-args", "-p", f"engines_dir:={tmp_path}"],
        "pose3d_node",
    )
    assert proc.wait(60.0) == 2
    out = proc.output()
    # the default person finder (MoveNet MultiPose) is the first model opened
    assert "movenet_multipose.onnx" in out and "make models" in out


def test_aligned_depth_sets_the_distance(launch, ros_node, engines_dir, skier):
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.conversions import array_to_image

    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, "use_depth:=true", track_timeout_s=TIMEOUT_S)
    assert ros_node.wait_for_subscribers(Image, "depth", 1, 90.0), proc.output()
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    depth_mm = np.full(rgb.shape[:2], 4000, np.uint16)  # a flat scene 4 m away, 16UC1 in mm

    def publish(stamp_ns):
        header = Header(stamp=ns_to_stamp(stamp_ns), frame_id=FRAME)
        ros_node.publisher(Image, "depth").publish(array_to_image(depth_mm, "16UC1", header))
        ros_node.publish_frame(rgb, intr, stamp_ns, FRAME)

    stamp = until_body(ros_node, proc, tf, publish)[-1]
    for k in range(1, 3):
        publish(stamp + k * PERIOD_NS)
        assert ros_node.wait_for(lambda: bool(body_tfs(tf.msgs, stamp + k * PERIOD_NS)), 15.0)
    (body,) = body_tfs(tf.msgs, stamp + 2 * PERIOD_NS)
    # mid-hip: 4 m of depth reading + a few cm from the skin to the joint
    assert 3.9 < body.transform.translation.z < 4.3, body.transform.translation


def test_nan_intrinsics_and_tiny_frames_are_handled(launch, ros_node, engines_dir, skier):
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Header
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.conversions import intrinsics_to_camera_info, rgb_to_image

    tf = ros_node.collect(TFMessage, "/tf")
    proc = start_node(launch, engines_dir, track_timeout_s=TIMEOUT_S)
    wait_node_ready(ros_node, proc)
    rgb, intr = skier
    img_pub, info_pub = (
        ros_node.publisher(Image, "image"),
        ros_node.publisher(CameraInfo, "camera_info"),
    )
    header = Header(frame_id=FRAME)

    def nan_info_frame(stamp_ns):
        header.stamp = ns_to_stamp(stamp_ns)
        info = intrinsics_to_camera_info(intr, header)
        info.k = [float("nan")] * 9
        info_pub.publish(info)
        img_pub.publish(rgb_to_image(rgb, header))

    # NaN intrinsics: one warning, documented fallback intrinsics, finite output
    s0 = until_body(ros_node, proc, tf, nan_info_frame)[-1]
    assert all_finite(tf.msgs)

    # an empty frame and a tiny one: dropped with an error, nothing published for them
    bad = []
    for k, shape in enumerate(((0, 0, 3), (8, 8, 3))):
        stamp = s0 + (k + 1) * PERIOD_NS
        header.stamp = ns_to_stamp(stamp)
        img_pub.publish(rgb_to_image(np.zeros(shape, np.uint8), header))
        bad.append(stamp)
        ros_node.spin_for(0.4)

    log = assert_dropped_then_recovers(ros_node, tf, proc, skier, bad, s0 + 4 * PERIOD_NS)
    assert "fallback" in log and "bad input" in log
