"""Issue 10 acceptance: unrelated photos played as an image folder through the node, default
parameters (ROI tracking on).

The 58 COCO photos of ../shared/data/real_images/coco and coco_mini, each as 3 frames in a row
(after 4 unscored warm-up frames of a mirrored photo), go out through pose3d_play at 2 Hz. Each
photo is another scene, so the node must
- find (nearly) everyone static mode finds: the people per photo (most body frames on /tf at one
  stamp of that photo) are compared with the same pipeline in this process with ROI tracking off,
  and together they reach >= 95 % of the static count (per photo, at most the static count is
  credited);
- never carry an id from one photo to another: the ids on /humans/bodies/tracked and /tf of two
  different photos never meet.
A stamp is tied to its photo by the image the player published with it (the test subscribes to the
same topic and hashes the pixels). Slow (about 3 minutes on a 2-CPU machine).
"""

from __future__ import annotations

import hashlib
import shutil

import cv2
import pytest

from node_helpers import READY_S, body_tfs, node_argv, stamp_ns_of, wait_node_ready
from ros_harness import console_command

FRAMES_PER_PHOTO = 3
WARM_UP_FRAMES = 4  # a mirrored photo first, not scored: the node's first inferences are slow
RATE_HZ = 2.0
MIN_FOUND_FRACTION = 0.95
HFOV_DEG = 60.0  # the player's default pinhole, also used for the static reference


def _digest(data) -> str:
    return hashlib.blake2b(bytes(data), digest_size=16).hexdigest()


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory, shared_dir):
    """A folder with every coco / coco_mini photo FRAMES_PER_PHOTO times in a row (copies)."""
    photos = []
    for name in ("coco", "coco_mini"):
        photos += sorted((shared_dir / "data" / "real_images" / name).glob("*.jpg"))
    if len(photos) < 10:
        pytest.skip(f"coco / coco_mini photos missing under {shared_dir}/data/real_images")
    folder = tmp_path_factory.mktemp("photos")
    mirrored = cv2.flip(cv2.imread(str(photos[0])), 1)
    for k in range(WARM_UP_FRAMES):
        cv2.imwrite(str(folder / f"000_warm_up_{k}.jpg"), mirrored)
    for i, src in enumerate(photos):
        for k in range(FRAMES_PER_PHOTO):
            shutil.copyfile(src, folder / f"{i + 1:03d}_{k}.jpg")
    return folder, len(photos)


def _static_counts(folder, n_photos: int, engines_dir) -> tuple[list[int], dict[str, int]]:
    """People per photo found by the pipeline with ROI tracking off (as the node would place
    them), and each photo's pixel digest -> photo index."""
    from pose3d_ros.assembly import Models
    from pose3d_ros.core.pipeline import PipelineConfig
    from pose3d_ros.core.pose2d import Pose2DConfig
    from pose3d_ros.core.types import CameraIntrinsics
    from pose3d_ros.tools.play_inputs import frames

    config = PipelineConfig(pose2d=Pose2DConfig(tracking=False))
    counts, digests = [], {}
    with Models(engines_dir, "onnxruntime", 1, config) as models:
        for j, rgb in enumerate(list(frames(folder, repeat=False))[WARM_UP_FRAMES:]):
            if j % FRAMES_PER_PHOTO:
                continue
            h, w = rgb.shape[:2]
            intr = CameraIntrinsics.default_for(w, h, HFOV_DEG)
            models.pipeline.reset()
            counts.append(len(models.pipeline.process(rgb, intr, 1_000_000_000 * (j + 1)).people))
            digests[_digest(rgb.tobytes())] = j // FRAMES_PER_PHOTO
    assert len(counts) == n_photos
    return counts, digests


@pytest.mark.timeout(900)
def test_photo_folder_finds_static_people_and_no_id_crosses_photos(
    launch, ros_node, engines_dir, photo_folder
):
    from hri_msgs.msg import IdsList
    from sensor_msgs.msg import CameraInfo, Image
    from tf2_msgs.msg import TFMessage

    folder, n_photos = photo_folder
    static, digests = _static_counts(folder, n_photos, engines_dir)

    photo_of_stamp: dict[int, int] = {}

    def on_image(msg) -> None:
        photo = digests.get(_digest(msg.data))
        if photo is not None:
            photo_of_stamp.setdefault(stamp_ns_of(msg.header), photo)

    qos = ros_node.qos(reliable=True, depth=10)
    ros_node.node.create_subscription(Image, "image", on_image, qos)
    ros_node.collect(CameraInfo, "camera_info")  # a second reader, so the player waits for us too
    tf = ros_node.collect(TFMessage, "/tf", depth=1000)
    tracked = ros_node.collect(IdsList, "/humans/bodies/tracked", depth=1000)
    proc = launch(node_argv(engines_dir), "pose3d_node")
    wait_node_ready(ros_node, proc)
    player = launch(
        console_command("pose3d_play")
        + [str(folder), "--rate", str(RATE_HZ), "--wait-subscribers", "2"]
        + ["--wait-timeout-s", str(READY_S)],
        "pose3d_play",
    )
    frames_total = n_photos * FRAMES_PER_PHOTO + WARM_UP_FRAMES
    play_s = frames_total / RATE_HZ
    assert ros_node.wait_for(lambda: player.returncode is not None, play_s + READY_S + 60.0), (
        f"the player did not finish:\n{player.output()}"
    )
    assert player.returncode == 0, player.output()
    ros_node.spin_for(3.0)  # the last frames' answers
    assert proc.returncode is None, proc.output()

    found = [0] * n_photos
    ids: list[set[str]] = [set() for _ in range(n_photos)]
    answered = set()
    for stamp, photo in photo_of_stamp.items():
        bodies = {t.child_frame_id[len("body_") :] for t in body_tfs(tf.msgs, stamp)}
        found[photo] = max(found[photo], len(bodies))
        ids[photo] |= bodies
        for m in tracked.msgs:
            if stamp_ns_of(m.header) == stamp:
                ids[photo] |= set(m.ids)
                answered.add(photo)
    unanswered = sorted(set(range(n_photos)) - answered)
    assert len(answered) >= 0.9 * n_photos, (
        f"the node answered frames of only {len(answered)} of {n_photos} photos "
        f"({len(photo_of_stamp)} of {frames_total} frames seen by the test; not: {unanswered})"
    )
    credited = sum(min(f, s) for f, s in zip(found, static))
    per_photo = [(i, f, s) for i, (f, s) in enumerate(zip(found, static)) if f != s]
    assert credited >= MIN_FOUND_FRACTION * sum(static), (
        f"tracking found {credited} of the {sum(static)} people static mode finds "
        f"(photo, tracking, static where they differ: {per_photo})"
    )
    shared = [
        (i, j, ids[i] & ids[j])
        for i in range(n_photos)
        for j in range(i + 1, n_photos)
        if ids[i] & ids[j]
    ]
    assert not shared, f"ids seen on two unrelated photos: {shared}"
    print(
        f"photos {n_photos}, answered {len(answered)} (not: {unanswered}), "
        f"people static {sum(static)}, "
        f"tracking credited {credited} (found {sum(found)}), ids {sum(len(s) for s in ids)}"
    )
