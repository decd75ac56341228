"""Pose2DEstimator with scripted fake backends: multi-person, batching, tracking, config errors,
re-detection in the frame, scene cuts, crowds, the asynchronous newcomer scan."""

import threading
import time

import numpy as np
import pytest

from factories import FakeDetector, FakeLandmarks
from pose3d_ros.core.geometry import alignment_roi, roi_bounds
from pose3d_ros.core.pose2d import Pose2DConfig, Pose2DEstimator
from pose3d_ros.core.pose2d.finder import Detection
from pose3d_ros.errors import ConfigError, InputError

FRAME = np.zeros((448, 448, 3), np.uint8)  # square: letterbox is a plain 2x scale


ONE = [(np.array([200.0, 250.0]), np.array([200.0, 150.0]))]
TWO = ONE + [(np.array([350.0, 250.0]), np.array([350.0, 170.0]))]


def _est(people, presence=0.99, **cfg):
    det, lm = FakeDetector(people), FakeLandmarks(presence)
    cfg.setdefault("detect_tiles", ())
    cfg.setdefault("async_scan", False)  # deterministic; the worker thread has its own tests
    return Pose2DEstimator(det, lm, Pose2DConfig(**cfg)), det, lm


def test_one_person_roi_and_back_projection():
    est, _, _ = _est(ONE)
    (p,) = est.process(FRAME)
    assert p.roi.size_px == pytest.approx(2 * 100 * 1.25, rel=1e-4)
    np.testing.assert_allclose(p.roi.center_px, [200, 250], atol=1e-3)
    assert p.roi.rotation_rad == pytest.approx(0.0, abs=1e-5)
    # crop (0.2, 0.8) of a 250 px ROI centred at (200, 250) -> (200 - 75, 250 + 75)
    np.testing.assert_allclose(p.keypoints_px[0], [125, 325], atol=1e-2)
    np.testing.assert_allclose(p.aux_px[0], [200, 250], atol=1e-2)
    assert p.keypoints_px.shape == (33, 2) and p.visibility.shape == (33,)
    assert p.visibility[0] == pytest.approx(1 / (1 + np.exp(-5.0)))
    assert p.score == pytest.approx(0.99)


def test_two_people_one_batched_landmark_run():
    est, det, lm = _est(TWO)
    poses = est.process(FRAME)
    assert len(poses) == 2
    assert lm.batches == [2, 2]  # both crops in one run, then both confirmed in one run
    centres = sorted(p.roi.center_px[0] for p in poses)
    np.testing.assert_allclose(centres, [200, 350], atol=1e-2)
    assert len({p.track_key for p in poses}) == 2


def test_tracking_keeps_detector_off_on_repeated_frames():
    est, det, lm = _est(ONE, detect_every_n=0)
    rois = [est.process(FRAME)[0].roi for _ in range(5)]
    assert est.detector_calls == 1 and est.landmark_calls == 6  # + frame 1's confirmation
    np.testing.assert_allclose(rois[-1].center_px, rois[0].center_px, atol=1e-3)
    assert rois[-1].size_px == pytest.approx(rois[0].size_px, rel=1e-4)


def test_detect_every_n_finds_newcomers_without_duplicates():
    est, det, lm = _est(ONE, detect_every_n=3)
    for _ in range(7):
        poses = est.process(FRAME)
        assert len(poses) == 1  # the re-detected person is not added twice
    assert est.detector_calls == 3  # frame 1, then scans of frames 3 and 6 (joining on 4 and 7)
    key = poses[0].track_key
    det.people_px = TWO  # someone walks in: the scan of frame 9 finds them, they join on frame 10
    frames = [est.process(FRAME) for _ in range(3)]
    assert [len(f) for f in frames] == [1, 1, 2]
    assert frames[-1][0].track_key == key and frames[-1][1].track_key != key


def test_tracking_off_detects_every_frame():
    est, _, _ = _est(ONE, tracking=False)
    for _ in range(3):
        est.process(FRAME)
    assert est.detector_calls == 3


def test_lost_track_looks_again_in_the_same_frame():
    est, det, lm = _est(ONE, detect_every_n=0)
    est.process(FRAME)
    lm.presence = 0.1
    assert est.process(FRAME) == []
    assert est.detector_calls == 2  # the empty crop made the detector look again at once
    lm.presence = 0.99
    assert len(est.process(FRAME)) == 1
    assert est.detector_calls == 3  # nobody tracked: this frame is scanned


def test_max_people_and_reset():
    est, _, _ = _est(TWO, max_people=1)
    assert len(est.process(FRAME)) == 1
    est.reset()
    est.process(FRAME)
    assert est.detector_calls == 2


def test_bad_frames_raise_input_error():
    est, _, _ = _est(ONE)
    for bad in (
        np.zeros((100, 100), np.uint8),
        np.zeros((100, 100, 3), np.float32),
        np.zeros((10, 10, 3), np.uint8),
    ):
        with pytest.raises(InputError):
            est.process(bad)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_detection_score": 1.5},
        {"nms_iou": -0.1},
        {"min_presence": "high"},
        {"max_people": 0},
        {"detect_every_n": -1},
        {"detect_tiles": (5,)},
        {"decoder": "argmax"},
        {"refine_kernel": 4},
        {"tracking": "yes"},
        {"softargmax_beta": 0.0},
        {"max_people": True},
        {"smooth_aux": 1},
    ],
)
def test_config_errors(kwargs):
    with pytest.raises(ConfigError):
        Pose2DConfig(**kwargs)


def test_config_tiles_accepts_int():
    assert Pose2DConfig(detect_tiles=0).detect_tiles == ()
    assert Pose2DConfig(detect_tiles=3).detect_tiles == (3,)


def test_tile_scans_rotate_with_tracking_and_run_all_without():
    est, det, _ = _est(ONE, detect_tiles=(2, 3), tiles_per_scan=4, detect_every_n=2)
    for _ in range(5):
        est.process(FRAME)
    # frame 1 scans everything (1 + 4 + 9 regions); later scans: whole frame + 4 tiles in rotation
    assert det.batches == [14, 5, 5]
    est.reset()
    est.process(FRAME)
    assert det.batches[-1] == 14
    est2, det2, _ = _est(ONE, detect_tiles=(2,), tracking=False)
    est2.process(FRAME)
    est2.process(FRAME)
    assert det2.batches == [5, 5]


def test_degenerate_next_roi_drops_the_track_and_redetects():
    class Collapsing(FakeLandmarks):
        def run(self, feeds):
            out = super().run(feeds)
            lm = out["Identity"].reshape(-1, 39, 5)
            lm[:, 34, :2] = lm[:, 33, :2]  # aux points coincide: zero-size next ROI
            return out

    det, lm = FakeDetector(ONE), Collapsing()
    est = Pose2DEstimator(det, lm, Pose2DConfig(detect_tiles=(), detect_every_n=0))
    assert est.process(FRAME) == []  # its second look has no crop: not confirmed
    assert est.detector_calls == 1
    est = Pose2DEstimator(
        det, lm, Pose2DConfig(detect_tiles=(), detect_every_n=0, confirm_new=False)
    )
    assert len(est.process(FRAME)) == 1  # reported this frame...
    est.process(FRAME)
    assert est.detector_calls == 2  # ...but not tracked: the next frame detects again


def test_tracking_crops_from_smoothed_aux_landmarks_like_mediapipe():
    class Drifting(FakeLandmarks):
        """The person's aux points jump 8 crop px to the right of the crop centre on every frame."""

        def run(self, feeds):
            out = super().run(feeds)
            out["Identity"].reshape(-1, 39, 5)[:, 33:35, 0] += 8.0
            return out

    centres = {}
    for smooth in (False, True):
        est = Pose2DEstimator(
            FakeDetector(ONE),
            Drifting(),
            Pose2DConfig(detect_tiles=(), detect_every_n=0, smooth_aux=smooth),
        )
        centres[smooth] = [est.process(FRAME)[0].roi.center_px[0] for _ in range(3)]
    # frame 0: the detector's ROI (250 px side); raw aux: the next crop moves 8 / 256 * 250 px right
    assert (
        centres[False][0]
        == pytest.approx(200.0, abs=1e-3)
        == pytest.approx(centres[True][0], abs=1e-3)
    )
    assert centres[False][1] == pytest.approx(200.0 + 8 / 256 * 250, abs=1e-2)
    # the filter's first sample passes unchanged, so frame 1 matches; from frame 2 on it lags behind
    assert centres[True][1] == pytest.approx(centres[False][1], abs=1e-6)
    step_raw, step_smooth = np.diff(centres[False])[1], np.diff(centres[True])[1]
    assert step_raw == pytest.approx(8 / 256 * 250, abs=1e-2) and 0.0 < step_smooth < 0.5 * step_raw


class TileGhostDetector(FakeDetector):
    """Also fires in the top-left 2x2 tile (image square 0..256 px) on a 'person' whose face lies on
    the first person's torso: what zoomed tiles do on real photos."""

    GHOST = (np.array([215.0, 280.0]), np.array([215.0, 240.0]))  # hip, scale point = face centre

    def run(self, feeds):
        out = super().run(feeds)
        if feeds["input_1"].shape[0] > 1:
            a = 700
            hip_n, sc_n = self.GHOST[0] / 256.0, self.GHOST[1] / 256.0
            out["Identity"][1, a, 0:2] = (sc_n - self.anchors[a]) * 224
            out["Identity"][1, a, 2:4] = 20.0
            out["Identity"][1, a, 4:6] = (hip_n - self.anchors[a]) * 224
            out["Identity"][1, a, 6:8] = (sc_n - self.anchors[a]) * 224
            out["Identity_1"][1, a, 0] = 5.0
        return out


def test_tile_only_ghost_on_a_body_is_dropped_and_skipped_when_tracked():
    # no tracking: the ghost gets a landmark run, then part_of drops it (face on the person's body)
    lm = FakeLandmarks()
    est = Pose2DEstimator(
        TileGhostDetector(ONE), lm, Pose2DConfig(tracking=False, detect_tiles=(2,))
    )
    poses = est.process(FRAME)
    assert lm.batches == [2, 2] and len(poses) == 1  # 2 crops, both confirmed, ghost dropped
    np.testing.assert_allclose(poses[0].roi.center_px, [200, 250], atol=1e-3)  # the whole-frame ROI
    # tracking: on newcomer scans the ghost's face lies in the tracked person's keypoint box, so it
    # is skipped before the landmark model
    lm = FakeLandmarks()
    est = Pose2DEstimator(
        TileGhostDetector(ONE),
        lm,
        Pose2DConfig(detect_tiles=(2,), tiles_per_scan=0, detect_every_n=2, async_scan=False),
    )
    counts = [len(est.process(FRAME)) for _ in range(5)]
    assert counts == [1] * 5
    assert lm.batches == [2, 2, 1, 1, 1, 1]  # first frame: no track yet, ghost run then dropped


class SeesBlobs(FakeLandmarks):
    """Finds a person (presence 0.99) only where the crop's centre pixel is bright."""

    def run(self, feeds):
        out = super().run(feeds)
        centre = feeds["input_1"][:, 128, 128, :].mean(axis=-1)
        out["Identity_1"] = np.where(centre > 0.5, 0.99, 0.05).astype(np.float32).reshape(-1, 1)
        return out


def _blob_frame(x_px: float) -> np.ndarray:
    frame = np.zeros((448, 448, 3), np.uint8)
    frame[230:270, int(x_px) - 20 : int(x_px) + 20] = 255
    return frame


class BlobFinder:
    """A person finder (PersonFinder's contract) that finds the bright blob of _blob_frame when
    its centre lies in a searched region (the whole frame unless whole_frame=False)."""

    def __init__(self):
        self.searches = []  # (whole_frame, number of regions) per call
        self.calls = 0

    def find(self, frame_rgb, tiles=(), whole_frame=True):
        self.calls += 1
        self.searches.append((whole_frame, len(tiles)))
        ys, xs = np.nonzero(frame_rgb[:, :, 0] > 128)
        hip = np.array([xs.mean(), 250.0])
        regions = [roi_bounds(r) for r in tiles] + ([[0, 0, 448, 448]] if whole_frame else [])
        if not any(b[0] <= hip[0] <= b[2] and b[1] <= hip[1] <= b[3] for b in regions):
            return []
        top = hip - [0.0, 100.0]
        face = np.array([top[0] - 10, top[1] - 10, top[0] + 10, top[1] + 10])
        kps = np.stack([hip, top, hip - [0, 50], top])
        return [Detection(0.9, face, kps, alignment_roi(hip, top), from_tile=not whole_frame)]

    def close(self):
        """Nothing to release."""


def test_an_empty_tracked_crop_is_found_again_in_the_same_frame():
    # the person jumps 150 px between frames: the tracked crop comes back empty, the finder
    # looks again at once around it and the person is reported on that frame, under a new key
    finder = BlobFinder()
    cfg = Pose2DConfig(detect_tiles=(), detect_every_n=0, scene_cut_min_corr=0.0)
    est = Pose2DEstimator(None, SeesBlobs(), cfg, finder=finder)
    (first,) = est.process(_blob_frame(200))
    (again,) = est.process(_blob_frame(350))
    assert not est.scene_cut
    assert finder.searches == [(True, 0), (False, 1)]  # frame 2: only around the lost crop
    np.testing.assert_allclose(again.roi.center_px, [350, 250], atol=1.0)
    assert again.track_key != first.track_key
    # a jump beyond the region around the lost crop: found by the next frame's scan
    assert est.process(_blob_frame(40)) == []
    assert len(est.process(_blob_frame(40))) == 1 and finder.searches[-1] == (True, 0)


def test_a_scene_cut_ends_the_tracks_and_scans_the_new_picture():
    rng = np.random.default_rng(0)
    photo_a = rng.integers(0, 255, (448, 448, 3), dtype=np.uint8)
    photo_b = rng.integers(0, 255, (448, 448, 3), dtype=np.uint8)
    est, det, _ = _est(ONE, detect_every_n=0)
    keys = [est.process(photo_a)[0].track_key for _ in range(3)]
    assert len(set(keys)) == 1 and not est.scene_cut
    (other,) = est.process(photo_b)  # another picture, a person in the same place
    assert est.scene_cut and other.track_key != keys[0]
    assert est.detector_calls == 2
    est2, _, _ = _est(ONE, tracking=False)
    est2.process(photo_a)
    assert est2.scene_cut  # also said without tracking, for the id tracker
    est2.process(photo_a)
    assert not est2.scene_cut


def test_crowd_neighbours_with_overlapping_square_crops_are_both_kept():
    # square crops 250 px wide, centres 60 px apart: crop IoU 0.61 (dropped before as duplicates)
    side = [(np.array([200.0, 250.0]), np.array([200.0, 150.0]))]
    side += [(np.array([260.0, 250.0]), np.array([260.0, 150.0]))]
    est, _, lm = _est(side, tracking=False)
    poses = est.process(FRAME)
    assert len(poses) == 2 and lm.batches == [2, 2]


class GatedDetector(FakeDetector):
    """A detector whose runs on the scan's worker thread wait until `gate` is set."""

    concurrent_runs = True  # as ONNX Runtime: the scan may run on the worker thread

    def __init__(self, people_px):
        super().__init__(people_px)
        self.gate = threading.Event()
        self.scan_threads = set()

    def run(self, feeds):
        if threading.current_thread() is not threading.main_thread():
            self.scan_threads.add(threading.current_thread().name)
            assert self.gate.wait(30.0)
        return super().run(feeds)


def test_the_newcomer_scan_never_holds_a_tracked_frame():
    det, lm = GatedDetector(ONE), FakeLandmarks()
    est = Pose2DEstimator(det, lm, Pose2DConfig(detect_tiles=(), detect_every_n=2))
    try:
        assert len(est.process(FRAME)) == 1  # nobody tracked: scanned on this thread
        det.people_px = TWO  # a newcomer; the scan started after frame 2 waits at the gate
        for _ in range(10):  # tracked frames go on while the scan is held
            assert len(est.process(FRAME)) == 1
        assert det.scan_threads and all(n.startswith("pose2d-scan") for n in det.scan_threads)
        det.gate.set()
        for _ in range(500):  # the newcomer joins on a frame after the scan ends
            poses = est.process(FRAME)
            if len(poses) == 2:
                break
            time.sleep(0.01)
        assert len(poses) == 2
    finally:
        det.gate.set()
        est.close()


def test_a_detector_that_cannot_run_on_two_threads_scans_inline():
    det, lm = FakeDetector(ONE), FakeLandmarks()  # concurrent_runs False, like TensorRT
    est = Pose2DEstimator(det, lm, Pose2DConfig(detect_tiles=(), detect_every_n=2))
    est.process(FRAME)
    det.people_px = TWO
    counts = [len(est.process(FRAME)) for _ in range(3)]
    assert counts == [1, 2, 2]  # the scan after frame 2 ran inline: the newcomer joins on frame 3
    est.close()


class WholeFrameOnly(FakeDetector):
    """Finds its people only in an image showing the whole of GRADIENT (not in a tile of it)."""

    concurrent_runs = True

    def run(self, feeds):
        out = super().run(feeds)
        row = feeds["input_1"][0, 112, :, 0]
        if not (row.min() < -0.95 and row.max() > 0.95):
            out["Identity_1"][0] = -10.0
        return out


GRADIENT = np.tile(np.linspace(0, 255, 448).astype(np.uint8)[None, :, None], (448, 1, 3))


def test_on_the_worker_a_scan_runs_one_detector_image_at_a_time():
    det = WholeFrameOnly(ONE)
    cfg = Pose2DConfig(detect_tiles=(2,), tiles_per_scan=2, detect_every_n=3)
    est = Pose2DEstimator(det, FakeLandmarks(), cfg)
    try:
        for _ in range(40):
            assert len(est.process(GRADIENT)) == 1
            time.sleep(0.002)
    finally:
        est.close()
    # frame 1: nobody tracked, whole frame + 4 tiles at once; then scans of 1 + 2 images, piece
    # by piece (whole frame, tile, tile)
    assert det.batches[0] == 5 and len(det.batches) > 3 and set(det.batches[1:]) == {1}
