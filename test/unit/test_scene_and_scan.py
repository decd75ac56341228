"""Scene cuts (pose2d/scene.py) and the newcomer scan's worker (pose2d/scan.py)."""

import time

import numpy as np
import pytest

from pose3d_ros.core.pose2d.scan import NewcomerScan
from pose3d_ros.core.pose2d.scene import SceneCutDetector
from pose3d_ros.errors import ModelError


def _photo(seed: int, shape=(240, 320, 3)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)  # a coarse picture, not pixel noise
    return np.kron(small, np.ones((shape[0] // 8, shape[1] // 8, 1), np.uint8))


def _wait_idle(scan: NewcomerScan) -> None:
    for _ in range(3000):
        if not scan.busy:
            return
        time.sleep(0.01)
    raise AssertionError("the scan never finished")


def test_scene_cuts_on_another_picture_or_size_not_on_exposure():
    cuts = SceneCutDetector(min_corr=0.6)
    a = _photo(1)
    assert cuts.update(a)  # the first frame is a cut
    assert not cuts.update(a.copy())
    brighter = np.clip(a.astype(int) * 11 // 10 + 5, 0, 255).astype(np.uint8)
    assert not cuts.update(brighter)  # a global exposure change is the same scene
    assert cuts.update(_photo(2))  # another picture
    assert cuts.update(_photo(2, shape=(480, 640, 3)))  # another size
    blank = np.zeros((240, 320, 3), np.uint8)
    assert cuts.update(blank) and not cuts.update(blank)  # flat frames compare by brightness
    cuts.reset()
    assert cuts.update(blank)


def test_scan_inline_runs_at_once_and_is_taken_once():
    calls = []
    scan = NewcomerScan(lambda f, r: calls.append(len(r)) or ["found"], asynchronous=False)
    frame = np.zeros((64, 64, 3), np.uint8)
    assert scan.start(frame, [1, 2]) and calls == [2]
    assert not scan.start(frame, [])  # its result is not taken yet
    assert scan.take() == ["found"] and scan.take() is None
    assert scan.start(frame, [])
    scan.cancel()  # a scene cut: the result is forgotten
    assert scan.take() is None
    scan.close()


def test_scan_on_the_worker_copies_the_frame_and_reports_errors():
    seen = []

    def find(frame, regions):
        seen.append(int(frame[0, 0, 0]))
        if regions:
            raise ModelError("detector failed")
        return ["ok"]

    scan = NewcomerScan(find, asynchronous=True)
    frame = np.full((64, 64, 3), 7, np.uint8)
    assert scan.start(frame, [])
    frame[:] = 0  # the caller reuses its buffer: the scan saw its own copy
    _wait_idle(scan)
    assert scan.take() == ["ok"] and seen == [7]
    assert scan.start(frame, [1])
    _wait_idle(scan)
    with pytest.raises(ModelError):
        scan.take()
    scan.close()
    scan.close()  # idempotent
