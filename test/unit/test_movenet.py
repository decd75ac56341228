"""MoveNet MultiPose as a person finder (core/pose2d/movenet.py) with a fake model: letterbox
mapping, decoding the [1, 6, 56] output to image px, the BlazePose-style landmark ROI from COCO
keypoints, tiles, and the config/assembly switch. No model files needed."""

from __future__ import annotations

import numpy as np
import pytest

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.core.geometry import alignment_roi
from pose3d_ros.core.pose2d import Pose2DConfig
from pose3d_ros.core.pose2d.movenet import (
    L_HIP,
    L_SHOULDER,
    R_HIP,
    R_SHOULDER,
    MovenetFinder,
    MovenetPerson,
    UnionFinder,
    alignment_points,
    decode_people,
    model_input,
    to_detection,
)
from pose3d_ros.core.types import Roi
from pose3d_ros.errors import ConfigError, ModelError

SIDE = 256


def upright_person_row(cx: float, top: float, height: float, score: float) -> np.ndarray:
    """One [56] output row: a standing person, normalised model-input coordinates."""
    kp = np.zeros((17, 3))
    ys = {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.02, 4: 0.02, 5: 0.15, 6: 0.15, 7: 0.3, 8: 0.3}
    ys.update({9: 0.45, 10: 0.45, 11: 0.5, 12: 0.5, 13: 0.75, 14: 0.75, 15: 1.0, 16: 1.0})
    for k, fy in ys.items():
        side = -1 if k % 2 else 1  # odd = left, drawn on the image's right here
        dx = 0.0 if k == 0 else side * (0.03 if k < 5 else 0.05)
        kp[k] = (top + fy * height, cx + dx * height, 0.9)
    box = (top, cx - 0.2 * height, top + height, cx + 0.2 * height)
    return np.concatenate([kp.ravel(), box, [score]])


class FakeMovenet(InferenceBackend):
    """Returns fixed rows (normalised to whatever region it is shown) and records its inputs."""

    concurrent_runs = False

    def __init__(self, rows: list[np.ndarray]):
        self.rows = rows
        self.inputs: list[np.ndarray] = []
        self.closed = False

    @property
    def input_shapes(self):
        return {"input": (1, SIDE, SIDE, 3)}

    @property
    def output_shapes(self):
        return {"Identity": (1, 6, 56)}

    def run(self, feeds):
        self.inputs.append(feeds["input"])
        out = np.zeros((1, 6, 56), np.float32)
        for i, r in enumerate(self.rows):
            out[0, i] = r
        return {"Identity": out}

    def close(self):
        self.closed = True


def test_letterbox_is_centred_and_decoding_maps_back_to_image_px():
    frame = np.full((100, 200, 3), 255, np.uint8)  # wide frame: black bars above and below
    x, region = model_input(frame, SIDE)
    assert x.shape == (1, SIDE, SIDE, 3) and x.dtype == np.float32
    assert x[0, 5, 128].max() == 0 and x[0, 128, 128].min() == 255  # bar, then the picture
    # a keypoint at the model input's centre is the frame's centre
    row = upright_person_row(0.5, 0.25, 0.5, 0.8)
    people = decode_people(row[None], region, 0.2)
    assert len(people) == 1
    nose = people[0].keypoints_px[0]
    np.testing.assert_allclose(nose, [100.0, (0.25 - 0.5) * 200.0 + 50.0], atol=1e-6)
    # box (ymin .25, ymax .75 of a 200-px square centred on the frame) -> y 0..100 px
    np.testing.assert_allclose(people[0].box_px[[1, 3]], [0.0, 100.0], atol=1e-6)


def test_decode_orders_by_score_and_drops_weak_slots():
    rows = [upright_person_row(0.3, 0.1, 0.5, 0.3), upright_person_row(0.7, 0.1, 0.5, 0.9)]
    rows.append(upright_person_row(0.5, 0.1, 0.5, 0.1))
    region = Roi(center_px=np.array([128.0, 128.0]), size_px=256.0, rotation_rad=0.0)
    people = decode_people(np.stack(rows), region, 0.2)
    assert [round(p.score, 2) for p in people] == [0.9, 0.3]


def test_alignment_points_give_an_upright_body_roi():
    row = upright_person_row(0.5, 0.1, 0.8, 0.9)
    region = Roi(center_px=np.array([128.0, 128.0]), size_px=256.0, rotation_rad=0.0)
    person = decode_people(row[None], region, 0.2)[0]
    centre, scale_point = alignment_points(person)
    hips = person.keypoints_px[[L_HIP, R_HIP]].mean(axis=0)
    np.testing.assert_allclose(centre, hips)
    assert scale_point[1] < centre[1] and abs(scale_point[0] - centre[0]) < 1e-6  # straight up
    roi = alignment_roi(centre, scale_point)
    assert abs(roi.rotation_rad) < 1e-6
    # the crop covers every keypoint (head and feet included)
    half = roi.size_px / 2
    assert np.all(np.abs(person.keypoints_px - roi.center_px) <= half)


def test_alignment_points_without_hips_fall_back_to_the_keypoints_box():
    kp = np.array([[100.0 + 10 * k, 50.0 + 5 * k] for k in range(17)])
    scores = np.full(17, 0.9)
    scores[[L_HIP, R_HIP, L_SHOULDER, R_SHOULDER]] = 0.05
    person = MovenetPerson(kp, scores, np.array([90.0, 40.0, 280.0, 150.0]), 0.5)
    centre, scale_point = alignment_points(person)
    ok = kp[scores >= 0.2]
    np.testing.assert_allclose(centre, 0.5 * (ok.min(axis=0) + ok.max(axis=0)))
    assert np.hypot(*(scale_point - centre)) >= 0.5 * 110.0
    det = to_detection(person)
    assert det.keypoints_px.shape == (4, 2) and det.roi.size_px > 0


def test_finder_runs_whole_frame_then_tiles_and_drops_tile_repeats():
    fake = FakeMovenet([upright_person_row(0.5, 0.1, 0.8, 0.9)])
    finder = MovenetFinder(fake, 0.2)
    frame = np.zeros((240, 320, 3), np.uint8)
    tiles = [Roi(center_px=np.array([160.0, 120.0]), size_px=320.0, rotation_rad=0.0)]
    people = finder.people(frame, tiles)
    assert len(fake.inputs) == 2 and finder.calls == 1  # one frame, two model runs
    assert len(people) == 1 and not people[0].from_tile  # the tile shows the same person
    dets = finder.find(frame)
    assert len(dets) == 1 and dets[0].score == pytest.approx(0.9)
    finder.close()
    assert fake.closed


def test_finder_refuses_a_model_of_another_shape():
    class Wrong(FakeMovenet):
        @property
        def output_shapes(self):
            return {"Identity": (1, 17, 3)}

    with pytest.raises(ModelError, match="MultiPose"):
        MovenetFinder(Wrong([]), 0.2)


def test_config_person_finder_is_validated():
    assert Pose2DConfig().person_finder in ("blazepose", "movenet")
    with pytest.raises(ConfigError, match="person_finder"):
        Pose2DConfig(person_finder="yolo")
    with pytest.raises(ConfigError, match="movenet_min_score"):
        Pose2DConfig(movenet_min_score=1.5)


def test_union_finder_lists_detector_then_movenet_people_and_closes_movenet():
    class FakeDetectorFinder:
        calls = 3

        def __init__(self):
            self.tiles = None

        def find(self, frame, tiles=()):
            self.tiles = list(tiles)
            return ["detector person"]

    detector = FakeDetectorFinder()
    fake = FakeMovenet([upright_person_row(0.5, 0.1, 0.8, 0.9)])
    union = UnionFinder(detector, MovenetFinder(fake, 0.2))
    tiles = [Roi(center_px=np.array([50.0, 50.0]), size_px=100.0, rotation_rad=0.0)]
    found = union.find(np.zeros((240, 320, 3), np.uint8), tiles)
    assert found[0] == "detector person" and len(found) == 2
    assert detector.tiles == tiles and len(fake.inputs) == 1  # tiles go to the detector only
    assert union.calls == 4
    assert not union.concurrent_runs  # the fake detector finder does not say it may
    union.close()
    assert fake.closed


def test_alignment_points_without_hips_extrapolate_them_below_the_shoulders():
    # head and shoulders only (a portrait): hips out of the frame, not confident
    kp = np.zeros((17, 2))
    kp[[0, 1, 2, 3, 4]] = [[200, 100], [210, 90], [190, 90], [225, 95], [175, 95]]
    kp[[L_SHOULDER, R_SHOULDER]] = [[280, 200], [120, 200]]
    scores = np.zeros(17)
    scores[[0, 1, 2, 3, 4, L_SHOULDER, R_SHOULDER]] = 0.8
    person = MovenetPerson(kp, scores, np.array([100.0, 80.0, 300.0, 300.0]), 0.6)
    centre, scale_point = alignment_points(person)
    # one torso (1.3 shoulder widths = 208 px) straight below the mid-shoulder (200, 200)
    np.testing.assert_allclose(centre, [200.0, 200.0 + 1.3 * 160.0], atol=1e-6)
    up = (scale_point - centre) / np.hypot(*(scale_point - centre))
    np.testing.assert_allclose(up, [0.0, -1.0], atol=1e-6)
    # the crop reaches above the head, like the BlazePose detector's ROI for such a view
    roi = alignment_roi(centre, scale_point)
    assert roi.center_px[1] - roi.size_px / 2 < 90.0
