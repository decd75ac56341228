"""Detector post-processing: anchors, decoding, weighted NMS, ROI geometry (known answers)."""

import numpy as np
import pytest

from pose3d_ros.core.geometry import alignment_roi, box_iou, normalize_radians
from pose3d_ros.core.pose2d.finder import (
    RawDetections,
    decode_detections,
    ssd_anchors,
    weighted_nms,
)


def test_anchor_count_and_first_last_centres():
    a = ssd_anchors()
    assert a.shape == (2254, 2)
    # 28x28 map, 2 anchors per cell: first two anchors share the first cell centre.
    np.testing.assert_allclose(a[0], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(a[1], [0.5 / 28, 0.5 / 28])
    np.testing.assert_allclose(a[2], [1.5 / 28, 0.5 / 28])  # x varies fastest
    np.testing.assert_allclose(a[2 * 28], [0.5 / 28, 1.5 / 28])
    # 14x14 map starts after 28*28*2 anchors.
    np.testing.assert_allclose(a[1568], [0.5 / 14, 0.5 / 14])
    # 7x7 map, 6 anchors per cell: the last six are the last cell.
    np.testing.assert_allclose(a[-6:], np.tile([6.5 / 7, 6.5 / 7], (6, 1)))
    np.testing.assert_allclose(a[1568 + 392], [0.5 / 7, 0.5 / 7])


def test_decode_hand_made_vector():
    anchors = np.array([[0.5, 0.5], [0.25, 0.75]])
    raw = np.zeros((2, 12))
    # anchor 1: centre offset (+22.4, -11.2) px, box 44.8 x 22.4 px, keypoints offset
    raw[1, :4] = [22.4, -11.2, 44.8, 22.4]
    raw[1, 4:] = [0, 0, 0, -44.8, 22.4, 0, 0, 22.4]
    logits = np.array([[-3.0], [2.0]])  # sigmoid 0.047, 0.881
    d = decode_detections(raw, logits, anchors, min_score=0.5)
    assert d.scores.shape == (1,)
    np.testing.assert_allclose(d.scores, [1 / (1 + np.exp(-2.0))])
    cx, cy = 0.25 + 0.1, 0.75 - 0.05
    np.testing.assert_allclose(d.boxes[0], [cx - 0.1, cy - 0.05, cx + 0.1, cy + 0.05])
    np.testing.assert_allclose(
        d.keypoints[0], [[0.25, 0.75], [0.25, 0.55], [0.35, 0.75], [0.25, 0.85]]
    )


def test_decode_clips_huge_logits_without_overflow():
    anchors = np.array([[0.5, 0.5]])
    with np.errstate(over="raise"):
        d = decode_detections(np.zeros((1, 12)), np.array([[-1e6]]), anchors, min_score=0.0)
    assert d.scores[0] == pytest.approx(1 / (1 + np.exp(100.0)))


def test_box_iou_known():
    a = np.array([0.0, 0.0, 2.0, 2.0])
    b = np.array([[1.0, 1.0, 3.0, 3.0], [5.0, 5.0, 6.0, 6.0], [0.0, 0.0, 2.0, 2.0]])
    np.testing.assert_allclose(box_iou(a, b), [[1 / 7, 0.0, 1.0]])


def test_weighted_nms_merges_overlaps_and_keeps_separate_people():
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [3.0, 3.0, 4.0, 4.0]])
    kps = np.stack([np.full((4, 2), v) for v in (0.0, 1.0, 10.0)])
    scores = np.array([0.6, 0.9, 0.7])
    out = weighted_nms(RawDetections(boxes, kps, scores), iou_threshold=0.3)
    assert out.scores.tolist() == [0.9, 0.7]  # merged group keeps the best score
    w = np.array([0.9, 0.6]) / 1.5
    np.testing.assert_allclose(out.boxes[0], w[0] * boxes[1] + w[1] * boxes[0])
    np.testing.assert_allclose(out.keypoints[0], np.full((4, 2), w[0] * 1.0))
    np.testing.assert_allclose(out.boxes[1], boxes[2])


def test_weighted_nms_empty():
    out = weighted_nms(RawDetections(np.zeros((0, 4)), np.zeros((0, 4, 2)), np.zeros((0,))), 0.3)
    assert out.scores.shape == (0,)


def test_roi_upright_person():
    # hip centre at (100, 200), full-body point straight above at distance 80 px
    roi = alignment_roi(np.array([100.0, 200.0]), np.array([100.0, 120.0]))
    np.testing.assert_allclose(roi.center_px, [100.0, 200.0])
    assert roi.size_px == pytest.approx(2 * 80 * 1.25)
    assert roi.rotation_rad == pytest.approx(0.0)


def test_roi_rotations():
    c = np.array([0.0, 0.0])
    # scale point to the right of the centre: body lies along +x, rotation pi/2
    assert alignment_roi(c, np.array([10.0, 0.0])).rotation_rad == pytest.approx(np.pi / 2)
    # upside down (point below the centre in image coordinates): rotation -pi (wrapped)
    assert abs(alignment_roi(c, np.array([0.0, 10.0])).rotation_rad) == pytest.approx(np.pi)
    assert normalize_radians(3 * np.pi / 2) == pytest.approx(-np.pi / 2)
