"""The 2D stage on real photos through the converted engines (skips without engines or shared data).

Known answers come from the photos themselves: the COCO skier is one upright person, two copies of
it side by side are two people, and a repeated frame is tracked without re-running the detector.
"""

import numpy as np
import pytest

from factories import SKIER_JPG as SKIER
from pose3d_ros.assembly import open_pose2d, resolve_engines_dir

ENGINES = resolve_engines_dir()

pytestmark = [
    pytest.mark.skipif(
        not (ENGINES / "pose_detection.onnx").is_file()
        or not (ENGINES / "pose_landmark_full.onnx").is_file(),
        reason=f"no converted models in {ENGINES}: run the model tool (make models) first",
    ),
    pytest.mark.skipif(not SKIER.is_file(), reason=f"shared data missing: {SKIER}"),
]


@pytest.fixture(scope="module")
def skier():
    import cv2

    return np.ascontiguousarray(cv2.imread(str(SKIER), cv2.IMREAD_COLOR)[:, :, ::-1])


def _estimator(**cfg):
    from pose3d_ros.core.pose2d import Pose2DConfig

    return open_pose2d(ENGINES, "onnxruntime", 1, Pose2DConfig(**cfg))


def _plausible(p, box):
    """Upright standing person inside `box` (x0, y0, x1, y1): nose above shoulders above hips
    above ankles."""
    k = p.keypoints_px
    nose_y, sh_y, hip_y, ank_y = (
        k[0, 1],
        k[[11, 12], 1].mean(),
        k[[23, 24], 1].mean(),
        k[[27, 28], 1].mean(),
    )
    assert nose_y < sh_y < hip_y < ank_y
    x0, y0, x1, y1 = box
    body = k[[0, 11, 12, 23, 24, 25, 26]]
    assert np.all((body[:, 0] > x0) & (body[:, 0] < x1) & (body[:, 1] > y0) & (body[:, 1] < y1))
    assert p.score > 0.9
    assert np.all((p.visibility >= 0) & (p.visibility <= 1)) and np.all(
        (p.presence >= 0) & (p.presence <= 1)
    )


def test_skier_one_person_with_plausible_landmarks(skier):
    est = _estimator(tracking=False)
    poses = est.process(skier)
    assert len(poses) == 1
    p = poses[0]
    # COCO box of the skier: x 281..500, y 45..392 (annotation), with a small margin
    _plausible(p, (260, 30, 520, 410))
    # the skier's GT left shoulder (COCO annotation) is within 30 px: the ROI is the whole-frame
    # detector's (MediaPipe's); mp.solutions.pose itself puts this landmark at (397, 109), 29 px
    # away
    assert (
        np.linalg.norm(p.keypoints_px[11] - [426, 110]) < 30
        or np.linalg.norm(p.keypoints_px[12] - [426, 110]) < 30
    )
    assert 300 < p.roi.size_px < 600
    est.close()


def test_two_people_side_by_side_get_separate_rois(skier):
    est = _estimator(tracking=False)
    pair = np.ascontiguousarray(np.concatenate([skier, skier], axis=1))
    poses = sorted(est.process(pair), key=lambda p: p.roi.center_px[0])
    assert len(poses) == 2
    w = skier.shape[1]
    _plausible(poses[0], (0, 0, w, skier.shape[0]))
    _plausible(poses[1], (w, 0, 2 * w, skier.shape[0]))
    # the same person twice: the right one is the left one shifted by the image width (the two ROIs
    # come from different detector tiles, so the crops and landmarks differ by a few px)
    d = np.linalg.norm(poses[1].keypoints_px[:25] - poses[0].keypoints_px[:25] - [w, 0], axis=1)
    assert np.median(d) < 4.0 and d.max() < 15.0
    est.close()


def test_tracking_repeated_frame_runs_detector_once(skier):
    est = _estimator(tracking=True, detect_every_n=0)
    first = est.process(skier)
    for _ in range(4):
        poses = est.process(skier)
        assert len(poses) == 1
    assert est.detector_calls == 1 and est.landmark_calls == 6  # + the first frame's confirmation
    # a still person: the tracked ROI lands on the same landmarks
    assert np.abs(poses[0].keypoints_px[:25] - first[0].keypoints_px[:25]).mean() < 5.0
    est.close()


@pytest.mark.parametrize("decoder", ["regression", "refine", "softargmax"])
def test_decoders_agree_on_a_clear_person(skier, decoder):
    est = _estimator(tracking=False, detect_tiles=0, decoder=decoder)
    ref = _estimator(tracking=False, detect_tiles=0, decoder="regression")
    p, r = est.process(skier)[0], ref.process(skier)[0]
    assert np.median(np.linalg.norm(p.keypoints_px - r.keypoints_px, axis=1)) < 6.0
    est.close()
    ref.close()


def _shifted(skier, shift_px):
    """The skier moved down by shift_px (edge-padded), as in the bench2d one-person clip."""
    return np.ascontiguousarray(
        np.pad(skier, ((0, 0), (shift_px, 0), (0, 0)), mode="edge")[:, : skier.shape[1]]
    )


@pytest.mark.parametrize("tracking", [False, True])
def test_one_person_clip_gives_exactly_one_person_per_frame_with_default_config(skier, tracking):
    # zoomed detector tiles fire on parts of the skier (an arm, the torso sideways); those must not
    # become extra people, nor move the whole-frame detection's ROI (default config: tiles on)
    est = _estimator(tracking=tracking)
    whole_only = _estimator(tracking=False, detect_tiles=0)
    counts = []
    for shift in (0, 1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 5, 4, 3, 2, 1):
        frame = _shifted(skier, shift)
        poses = est.process(frame)
        counts.append(len(poses))
        if not tracking:
            ref = whole_only.process(frame)
            assert len(ref) == 1
            np.testing.assert_allclose(poses[0].roi.center_px, ref[0].roi.center_px, atol=1e-6)
            assert poses[0].roi.size_px == pytest.approx(ref[0].roi.size_px, abs=1e-6)
    assert counts == [1] * 16
    est.close()
    whole_only.close()
