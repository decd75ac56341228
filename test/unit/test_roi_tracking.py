"""ROI geometry for tracking: next-frame ROI rule, bounds, duplicates, detector tiles, aux
smoothing."""

import numpy as np
import pytest

from pose3d_ros.core.filters import OneEuroConfig
from pose3d_ros.core.geometry import alignment_roi, roi_bounds, roi_iou, roi_is_valid
from pose3d_ros.core.pose2d.finder import tile_regions
from pose3d_ros.core.pose2d.people import (
    Candidate,
    confirmed,
    continues,
    part_of,
    plausible,
    same_person,
    select_people,
    visible_box,
)
from pose3d_ros.core.pose2d.roi_tracker import AuxSmoother
from pose3d_ros.core.types import Pose2D, Roi


def roi_from_aux(aux_px):
    return alignment_roi(aux_px[0], aux_px[1])


def _pose(kp, score=0.9, vis=1.0):
    kp = np.asarray(kp, float)
    roi = Roi(np.array([0.0, 0.0]), 10.0, 0.0)
    return Pose2D(kp, np.zeros(33), np.full(33, vis), np.ones(33), score, roi, np.zeros((2, 2)))


def _body(x0, y0, h):
    """33 landmarks spread over a h-tall, h/3-wide body with its top-left at (x0, y0)."""
    t = np.linspace(0, 1, 33)
    return np.stack([x0 + h / 3 * ((7 * t) % 1), y0 + h * t], axis=-1)


def test_roi_from_aux_uses_the_detector_rule():
    roi = roi_from_aux(np.array([[300.0, 200.0], [300.0, 100.0]]))
    np.testing.assert_allclose(roi.center_px, [300, 200])
    assert roi.size_px == pytest.approx(250.0) and roi.rotation_rad == pytest.approx(0.0)


def test_roi_bounds_of_rotated_square():
    np.testing.assert_allclose(roi_bounds(Roi(np.array([10.0, 20.0]), 4.0, 0.0)), [8, 18, 12, 22])
    half = 2.0 * np.sqrt(2.0)  # a 45 degree square reaches sqrt(2) times further
    np.testing.assert_allclose(
        roi_bounds(Roi(np.array([0.0, 0.0]), 4.0, np.pi / 4)), [-half, -half, half, half]
    )
    a = Roi(np.array([0.0, 0.0]), 2.0, 0.0)
    np.testing.assert_allclose(roi_iou(a, [a, Roi(np.array([1.0, 0.0]), 2.0, 0.0)]), [1.0, 2 / 6])


def test_roi_validity():
    assert roi_is_valid(Roi(np.array([1.0, 2.0]), 50.0, 0.3))
    assert not roi_is_valid(Roi(np.array([np.nan, 2.0]), 50.0, 0.3))
    assert not roi_is_valid(Roi(np.array([1.0, 2.0]), 1.0, 0.3))


def test_same_person_and_duplicates():
    a = _pose(_body(100, 100, 300), score=0.99)
    near = _pose(_body(104, 98, 300), score=0.95)  # the same body a few px off
    other = _pose(_body(400, 100, 300), score=0.9)  # a different person beside
    assert same_person(a, near) and not same_person(a, other)
    roi = a.roi
    new = [Candidate(i, roi, tracked=False) for i in range(3)]
    assert select_people(new, [near, a, other], 0.5, 0.8, duplicate_iou=0.5) == [
        1,
        2,
    ]  # best presence kept
    # a tracked person is kept over a better-scored re-detection of the same body
    tracked_first = [Candidate(0, roi, tracked=True)] + new[1:]
    assert select_people(tracked_first, [near, a, other], 0.5, 0.8, duplicate_iou=0.5) == [0, 2]
    k = a.keypoints_px
    np.testing.assert_allclose(visible_box(a), [k[:, 0].min(), 100, k[:, 0].max(), 400])


def test_tiles_cover_the_frame_with_overlap():
    tiles = tile_regions(640, 480, 2, overlap=0.25)
    assert len(tiles) == 4 and tile_regions(640, 480, 1) == []
    tw, th = 640 / 1.75, 480 / 1.75
    for roi in tiles:
        assert roi.size_px == pytest.approx(max(tw, th)) and roi.rotation_rad == 0.0
    centres = np.array([roi.center_px for roi in tiles])
    np.testing.assert_allclose(centres[0], [tw / 2, th / 2])
    np.testing.assert_allclose(centres[-1], [640 - tw / 2, 480 - th / 2])
    assert len(tile_regions(640, 480, 3)) == 9


def test_part_of_flags_tile_ghosts_on_a_body_but_not_a_neighbour():
    big = _pose(_body(100, 100, 300))  # keypoint box x 100..200, y 100..400
    # a "person" lying on the big one's torso, its face box somewhere outside: contained -> part
    # of it
    torso = _pose(_body(110, 200, 150))
    assert part_of(torso, np.array([50.0, 50.0]), big)
    # face centre inside the big person's keypoint box -> part of it, whatever its own extent
    tall = _pose(_body(150, 90, 600))
    assert part_of(tall, np.array([150.0, 120.0]), big)
    assert not part_of(tall, np.array([150.0, 60.0]), big)
    # a real neighbour overlapping a third of its box, face outside: a new person
    neighbour = _pose(_body(180, 150, 180))  # box x 180..240: 20 of 60 px inside
    assert not part_of(neighbour, np.array([210.0, 140.0]), big)
    assert part_of(neighbour, np.array([210.0, 140.0]), big, min_contained=0.25)


def test_aux_smoother_known_answers():
    sm = AuxSmoother()
    aux = np.array([[100.0, 200.0], [100.0, 150.0]])  # object scale 2 * 50 = 100 px
    np.testing.assert_array_equal(sm.smooth(1, aux), aux)  # first sample passes unchanged
    np.testing.assert_array_equal(sm.smooth(1, aux), aux)  # at rest it stays put
    # a 1 px step in x at 30 Hz: speed 1 * 30 / 100 = 0.3 scale/s; derivative alpha
    # 1 / (1 + 30 / (2 pi)) = 0.17318, so filtered speed 0.051954, cutoff 0.01 + 10 * 0.051954 =
    # 0.52954 Hz, alpha 1 / (1 + 30 / (2 pi 0.52954)) = 0.099830: x moves 0.09983 px of the 1
    out = sm.smooth(1, aux + [1.0, 0.0])
    np.testing.assert_allclose(out[:, 0], 100.0 + 0.0998296, atol=1e-6)
    np.testing.assert_allclose(out[:, 1], aux[:, 1])
    assert not np.shares_memory(out, aux)
    # a fast move is followed much more closely than a slow one (adaptive cutoff)
    fast = AuxSmoother()
    fast.smooth(1, aux)
    assert fast.smooth(1, aux + [60.0, 0.0])[0, 0] - 100.0 > 20 * 0.0998296
    # tracks are independent; keep_only / reset forget state
    np.testing.assert_array_equal(sm.smooth(2, aux + 7.0), aux + 7.0)
    sm.keep_only([2])
    np.testing.assert_array_equal(sm.smooth(1, aux + 3.0), aux + 3.0)
    sm.reset()
    np.testing.assert_array_equal(sm.smooth(2, aux), aux)
    # a slower filter setting moves less for the same step
    slow = AuxSmoother(OneEuroConfig(min_cutoff_hz=0.01, beta=1.0, derivative_of_raw=True))
    slow.smooth(1, aux)
    assert slow.smooth(1, aux + [1.0, 0.0])[0, 0] - 100.0 < 0.0998296


def test_neighbours_with_overlapping_boxes_stay_two_people():
    a = _pose(_body(100, 100, 300), score=0.99)
    beside = _pose(_body(130, 110, 300), score=0.98)  # keypoint boxes IoU ~0.5, landmarks 30 px off
    roi = a.roi
    new = [Candidate(i, roi, tracked=False) for i in range(2)]
    assert select_people(new, [a, beside], 0.5, 0.8, duplicate_iou=0.8) == [0, 1]
    assert select_people(new, [a, beside], 0.5, 0.8, duplicate_iou=0.4) == [0]  # the old rule


def test_a_track_continues_only_on_the_same_body():
    prev = _pose(_body(100, 100, 300))
    assert continues(prev, _pose(_body(110, 95, 300)))  # moved 10 px
    assert continues(prev, _pose(_body(100, 100, 330)))  # came a little closer
    assert not continues(prev, _pose(_body(300, 100, 300)))  # someone else beside
    assert not continues(prev, _pose(_body(120, 150, 90)))  # a small thing in the old crop


def test_a_new_person_is_confirmed_by_a_second_look():
    first = _pose(_body(100, 100, 300), score=0.95)
    assert confirmed(first, _pose(_body(105, 100, 300), score=0.93), 0.8)
    assert not confirmed(first, _pose(_body(105, 100, 300), score=0.6), 0.8)  # faded
    assert not confirmed(first, _pose(_body(160, 140, 300), score=0.95), 0.8)  # moved away


def test_plausible_needs_size_and_the_frame():
    assert plausible(_pose(_body(100, 100, 300)), 640, 480)
    assert not plausible(_pose(_body(100, 100, 10)), 640, 480)  # 10 px tall
    assert not plausible(_pose(_body(500, 300, 400)), 640, 480)  # mostly below the frame
