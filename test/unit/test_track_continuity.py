"""people.continues' size measure (people.size_ratio) for keypoint models whose lower-body
visibility flickers around the threshold (MoveNet Thunder / Lightning in the 33 slots): the
track goes on while the body stays, and still ends when the pose in the crop is another size."""

import numpy as np
import pytest

from pose3d_ros.core.pose2d.people import MAX_TRACK_SCALE, body_size_px, continues, size_ratio
from pose3d_ros.core.types import Pose2D, Roi

# y of the 33 slots as a fraction of a standing body's height (head 0, feet 1): slots 0-10 face,
# 11-22 arms and hands, 23-24 hips, 25-28 knees and ankles, 29-32 feet
SLOT_Y = np.r_[
    np.full(11, 0.03), np.linspace(0.15, 0.45, 12), 0.5, 0.5, 0.75, 0.75, 1, 1, 1, 1, 1, 1
]
LOWER_BODY = np.arange(25, 33)  # knees, ankles, heels, foot index


def _pose(x0_px: float, y0_px: float, height_px: float, lower_visible: bool = True) -> Pose2D:
    """A standing body's 33 landmarks; the lower body's visibility 0.6 or 0.4 (seen / not)."""
    side = np.where(np.arange(33) % 2 == 1, 1.0, -1.0)
    kp = np.stack([x0_px + side * 0.12 * height_px, y0_px + SLOT_Y * height_px], axis=-1)
    vis = np.full(33, 0.9)
    vis[LOWER_BODY] = 0.6 if lower_visible else 0.4
    roi = Roi(np.array([x0_px, y0_px + height_px / 2]), height_px * 1.2, 0.0)
    return Pose2D(kp, np.zeros(33), vis, vis.copy(), 0.9, roi, np.zeros((2, 2)))


def test_lower_body_flicker_does_not_end_the_track():
    whole = _pose(200.0, 100.0, 300.0, lower_visible=True)
    upper = _pose(203.0, 101.0, 300.0, lower_visible=False)
    # the visible box halves: the old measure would end the track
    assert body_size_px(whole) / body_size_px(upper) > MAX_TRACK_SCALE
    assert size_ratio(whole, upper) == pytest.approx(1.0, abs=0.02)
    assert continues(whole, upper) and continues(upper, whole)


def test_a_different_size_still_ends_the_track():
    prev = _pose(200.0, 100.0, 300.0)
    assert size_ratio(prev, _pose(200.0, 100.0, 330.0)) == pytest.approx(1.1)
    assert continues(prev, _pose(205.0, 100.0, 330.0))  # came a little closer
    assert not continues(prev, _pose(200.0, 150.0, 120.0))  # a smaller person in the old crop
    assert not continues(prev, _pose(100.0, 0.0, 600.0, lower_visible=False))  # a bigger one


def test_size_ratio_uses_all_landmarks_when_few_are_shared():
    a, b = _pose(200.0, 100.0, 300.0), _pose(200.0, 100.0, 150.0)
    a.visibility[:] = 0.0
    assert size_ratio(a, b) == pytest.approx(0.5)
    assert np.isfinite(size_ratio(a, a))
