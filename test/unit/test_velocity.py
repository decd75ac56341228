"""core/tracks/velocity.py: finite differences over image stamps, per track, zero on a track's first
frame."""

import numpy as np
import pytest

from pose3d_ros.core.tracks.velocity import NS_PER_S, TrackVelocities

T0_NS = 1_700_000_000 * NS_PER_S


def test_first_frame_is_zero_then_finite_difference_over_stamps():
    v = TrackVelocities()
    assert np.array_equal(v.update("abcde", T0_NS, [1.0, 0.0, 3.0]), np.zeros(3))
    # 0.2 s later, moved 0.1 m right and 0.3 m away: (0.5, 0, 1.5) m/s
    got = v.update("abcde", T0_NS + NS_PER_S // 5, [1.1, 0.0, 3.3])
    assert got == pytest.approx([0.5, 0.0, 1.5])
    # the stamps, not the call rate, set the time base: 0.5 s gap, 0.5 m back
    got = v.update("abcde", T0_NS + NS_PER_S // 5 + NS_PER_S // 2, [1.1, 0.0, 2.8])
    assert got == pytest.approx([0.0, 0.0, -1.0])


def test_tracks_are_independent_and_end_forgets():
    v = TrackVelocities()
    v.update("aaaaa", T0_NS, [0.0, 0.0, 2.0])
    v.update("bbbbb", T0_NS, [5.0, 0.0, 2.0])
    assert v.update("bbbbb", T0_NS + NS_PER_S, [6.0, 0.0, 2.0]) == pytest.approx([1.0, 0.0, 0.0])
    assert v.update("aaaaa", T0_NS + NS_PER_S, [0.0, 1.0, 2.0]) == pytest.approx([0.0, 1.0, 0.0])
    v.end(["aaaaa", "zzzzz"])
    assert v.track_ids == ("bbbbb",)
    # an ended id seen again (never happens with real ids) starts from zero
    assert np.array_equal(v.update("aaaaa", T0_NS + 2 * NS_PER_S, [9.0, 9.0, 9.0]), np.zeros(3))


def test_repeated_or_older_stamp_keeps_the_last_velocity():
    v = TrackVelocities()
    v.update("abcde", T0_NS, [0.0, 0.0, 2.0])
    v.update("abcde", T0_NS + NS_PER_S, [1.0, 0.0, 2.0])
    for stamp in (T0_NS + NS_PER_S, T0_NS):  # same stamp, then an older one
        assert v.update("abcde", stamp, [50.0, 0.0, 2.0]) == pytest.approx([1.0, 0.0, 0.0])
    # the state was not replaced: the next frame differences against (1, 0, 2) at T0 + 1 s
    assert v.update("abcde", T0_NS + 2 * NS_PER_S, [1.0, 2.0, 2.0]) == pytest.approx(
        [0.0, 2.0, 0.0]
    )


@pytest.mark.parametrize("bad", [[np.nan, 0.0, 1.0], [0.0, 1.0], [[0.0, 0.0, 1.0]]])
def test_bad_positions_are_refused(bad):
    with pytest.raises(ValueError):
        TrackVelocities().update("abcde", T0_NS, bad)
