"""Track IDs: stable across frames, kept through short occlusions, ended after the timeout,
never reused."""

import numpy as np
import pytest

from pose3d_ros.core.tracks.tracking import Tracker, TrackerConfig, box_iou, greedy_match
from pose3d_ros.errors import ConfigError, InputError


def test_box_iou_known_values():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 0, 0]])
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 50 / 150, 0.0, 0.0]])


def test_greedy_match_prefers_the_best_pair():
    score = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert sorted(greedy_match(score, 0.2)) == [(0, 0)]  # (1,1)=0.1 is below the threshold
    assert sorted(greedy_match(score, 0.05)) == [(0, 0), (1, 1)]


def test_ids_are_letters_and_stable_across_frames():
    tr = Tracker(TrackerConfig(timeout_s=1.0), rng=np.random.default_rng(0))
    u1 = tr.update(np.array([[0, 0, 10, 20], [100, 0, 110, 20]]), 0.0)
    assert len(u1.ids) == 2 and len(set(u1.ids)) == 2
    assert all(len(t) == 5 and t.isalpha() and t.islower() for t in u1.ids)
    # both move a little, and arrive in the other order
    u2 = tr.update(np.array([[102, 0, 112, 20], [2, 0, 12, 20]]), 0.1)
    assert u2.ids == (u1.ids[1], u1.ids[0]) and u2.ended == ()


def test_track_survives_occlusion_then_ends_after_timeout():
    tr = Tracker(TrackerConfig(timeout_s=1.0), rng=np.random.default_rng(1))
    (tid,) = tr.update(np.array([[0, 0, 10, 20]]), 0.0).ids
    assert tr.update(np.zeros((0, 4)), 0.5).ended == ()
    assert tr.update(np.array([[1, 0, 11, 20]]), 0.9).ids == (tid,)  # back within 1 s: same id
    assert tr.update(np.zeros((0, 4)), 1.8).ended == ()  # 0.9 s unseen
    upd = tr.update(np.zeros((0, 4)), 2.0)  # 1.1 s unseen
    assert upd.ended == (tid,) and tr.active_ids == ()
    # the same place again gets a NEW id
    (tid2,) = tr.update(np.array([[1, 0, 11, 20]]), 2.1).ids
    assert tid2 != tid


def test_ids_never_reused_even_with_a_tiny_id_space():
    # 3 letters: 17576 ids; force many creations and check uniqueness
    tr = Tracker(TrackerConfig(timeout_s=0.0, id_length=3), rng=np.random.default_rng(2))
    seen = []
    for k in range(300):
        seen += tr.update(np.array([[k * 100, 0, k * 100 + 10, 10]]), float(k)).ids
    assert len(set(seen)) == 300


def test_stamp_going_back_ends_all_tracks():
    tr = Tracker(rng=np.random.default_rng(3))
    (tid,) = tr.update(np.array([[0, 0, 10, 10]]), 5.0).ids
    upd = tr.update(np.array([[0, 0, 10, 10]]), 1.0)
    assert upd.ended == (tid,) and upd.ids[0] != tid


def test_bad_input_and_config():
    with pytest.raises(InputError):
        Tracker().update(np.array([[0, 0, np.nan, 1]]), 0.0)
    with pytest.raises(ConfigError):
        TrackerConfig(timeout_s=-1)


def test_scene_cut_ends_every_track_before_matching():
    tr = Tracker(TrackerConfig(timeout_s=1.0), rng=np.random.default_rng(3))
    (tid,) = tr.update(np.array([[0, 0, 10, 20]]), 0.0).ids
    assert tr.update(np.array([[0, 0, 10, 20]]), 0.1).ids == (tid,)
    # the same box on another picture: a new person, and the old id ends at once
    upd = tr.update(np.array([[0, 0, 10, 20]]), 0.2, scene_cut=True)
    assert upd.ids[0] != tid and upd.ended == (tid,)
    assert tr.active_ids == upd.ids
