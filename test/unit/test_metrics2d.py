"""Known-answer tests of the 2D metrics (OKS, PCK, greedy matching, COCO-style AP)."""

import math

import numpy as np
import pytest

from dev.metrics2d import IGNORED, UNMATCHED, average_precision, greedy_match, oks_matrix, pck
from pose3d_ros.errors import InputError


def _gt(xy: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    v = np.full(17, 2.0) if v is None else v
    return np.concatenate([xy, v[:, None]], axis=1)[None]


def test_oks_of_perfect_prediction_is_one():
    xy = np.random.default_rng(0).uniform(0, 100, (17, 2))
    assert oks_matrix(xy[None], _gt(xy), [[0, 0, 100, 100]], [5000.0])[0, 0] == pytest.approx(1.0)


def test_oks_single_labelled_keypoint_by_hand():
    xy = np.zeros((17, 2))
    v = np.zeros(17)
    v[0] = 2  # only the nose (sigma 0.026) is labelled
    pred = xy.copy()
    pred[0] = [1.0, 0.0]  # 1 px off
    pred[5] = [50.0, 50.0]  # unlabelled keypoints do not count
    # exp(-d^2 / (2 * area * (2 sigma)^2)) = exp(-1 / (2 * 100 * 0.052^2))
    expected = math.exp(-1.0 / (2 * 100 * 0.052**2))
    got = oks_matrix(pred[None], _gt(xy, v), [[0, 0, 10, 10]], [100.0])[0, 0]
    assert got == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.15738, abs=1e-5)


def test_oks_ignore_region_without_keypoints():
    gt = _gt(np.zeros((17, 2)), np.zeros(17))  # no labelled keypoint: box x,y,w,h = 10,10,10,10
    inside = np.full((17, 2), 25.0)  # inside the box grown to [0, 30] x [0, 30]
    outside = np.tile([40.0, 15.0], (17, 1))  # 10 px right of it on every keypoint
    sig = np.array(
        [
            0.026,
            0.025,
            0.025,
            0.035,
            0.035,
            0.079,
            0.079,
            0.072,
            0.072,
            0.062,
            0.062,
            0.107,
            0.107,
            0.087,
            0.087,
            0.089,
            0.089,
        ]
    )
    expected = np.mean(np.exp(-100.0 / (2 * 50.0 * (2 * sig) ** 2)))
    got = oks_matrix(np.stack([inside, outside]), gt, [[10, 10, 10, 10]], [50.0])
    assert got[0, 0] == pytest.approx(1.0)
    assert got[1, 0] == pytest.approx(expected, rel=1e-9)


def test_pck_threshold_is_alpha_times_longer_bbox_side():
    gt_xy = np.zeros((17, 2))
    v = np.zeros(17)
    v[:4] = [2, 1, 2, 2]
    pred = gt_xy.copy()
    pred[:5, 0] = [0.0, 19.9, 20.0, 20.1, 999.0]  # 5th is unlabelled: ignored
    # bbox 100 x 50 -> threshold 0.2 * 100 = 20 px; 3 of 4 labelled keypoints within it
    assert pck(pred[None], _gt(gt_xy, v), [[0, 0, 100, 50]])[0] == pytest.approx(0.75)
    assert np.isnan(pck(pred[None], _gt(gt_xy, np.zeros(17)), [[0, 0, 100, 50]])[0])


def test_greedy_match_by_score_then_oks():
    oks = np.array([[0.8, 0.7], [0.9, 0.6]])
    scores = np.array([0.9, 0.5])  # pred 0 picks first and takes GT 0 despite pred 1's better OKS
    ignore = np.array([False, False])
    assert greedy_match(oks, scores, 0.5, ignore).tolist() == [0, 1]
    assert greedy_match(oks, scores, 0.65, ignore).tolist() == [0, UNMATCHED]


def test_greedy_match_prefers_real_people_over_ignore_regions():
    oks = np.array([[0.99, 0.6], [0.95, 0.0]])
    ignore = np.array([True, False])
    assert greedy_match(oks, np.array([0.9, 0.8]), 0.5, ignore).tolist() == [1, IGNORED]


def test_average_precision_by_hand():
    # 2 GT people; 3 predictions: TP (0.9), FP (0.8), TP (0.7)
    # precision at recall 0.5 is 1, at recall 1 it is 2/3 -> (51 * 1 + 50 * 2/3) / 101
    oks = np.array([[0.9, 0.0], [0.0, 0.0], [0.0, 0.9]])
    aps = average_precision([(oks, np.array([0.9, 0.8, 0.7]), np.array([False, False]))], [0.5])
    assert aps[0.5] == pytest.approx((51 + 50 * 2 / 3) / 101)


def test_average_precision_pools_images_and_skips_ignored():
    img1 = (np.array([[0.95]]), np.array([0.9]), np.array([False]))
    img2 = (
        np.array([[0.0, 0.9]]),
        np.array([0.8]),
        np.array([False, True]),
    )  # lands on an ignore region
    aps = average_precision([img1, img2])
    assert len(aps) == 10
    # image 2's GT is missed and its prediction is ignored: recall 0.5 with precision 1
    assert aps[0.5] == pytest.approx(51 / 101)
    assert aps[0.95] == pytest.approx(51 / 101)
    perfect = average_precision([(np.array([[1.0]]), np.array([0.5]), np.array([False]))])
    assert all(v == pytest.approx(1.0) for v in perfect.values())


def test_shapes_are_checked():
    with pytest.raises(InputError):
        oks_matrix(np.zeros((1, 33, 2)), np.zeros((1, 17, 3)), [[0, 0, 1, 1]], [1.0])
    with pytest.raises(InputError):
        pck(np.zeros((2, 17, 2)), np.zeros((1, 17, 3)), [[0, 0, 1, 1]])
