"""dev/eval2d_finders' bound and Thunder helpers without models: the ground-truth finder seeds
one crop per annotated person (>= 2 labelled keypoints) centred on the mid-hip, and the variant
list names the landmark model and gives Thunder methods no landmark model."""

from __future__ import annotations

import numpy as np

from dev.eval2d import CocoImage
from dev.eval2d_finders import GroundTruthFinder, variants


def _person(cx: float, top: float, labelled: int) -> np.ndarray:
    kp = np.zeros((17, 3))
    kp[:, 0] = cx
    kp[:, 1] = np.linspace(top, top + 160.0, 17)  # head first, ankles last
    kp[:labelled, 2] = 2
    return kp


def test_ground_truth_finder_seeds_one_crop_per_labelled_person():
    kp = np.stack([_person(100.0, 20.0, 17), _person(300.0, 40.0, 1)])
    image = CocoImage(
        "x",
        np.zeros((240, 400, 3), np.uint8),
        kp,
        np.array([[80.0, 20.0, 40.0, 160.0], [280.0, 40.0, 40.0, 160.0]]),
        np.array([6400.0, 6400.0]),
    )
    finder = GroundTruthFinder()
    finder.image = image
    found = finder.find(image.rgb)
    assert len(found) == 1 and finder.calls == 1
    mid_hip = kp[0, [11, 12], :2].mean(axis=0)
    np.testing.assert_allclose(found[0].roi.center_px, mid_hip, atol=1e-6)
    assert found[0].roi.size_px > 160.0  # the whole body fits in the crop


def test_variants_name_the_landmark_model_and_thunder_has_none():
    rows = variants(
        ["blazepose", "gt+thunder", "movenet+thunder"], [256], ["0", "2"], ["full", "heavy"]
    )
    labels = [r[0] for r in rows]
    assert labels == [
        "blazepose",
        "blazepose [heavy]",
        "gt+thunder",
        "movenet+thunder 256px",
        "movenet+thunder 256px tiles 2",
    ]
    assert [r[4] for r in rows] == ["full", "heavy", "full", "full", "full"]
