"""BlazePose-33 -> H36M-17 mapping: measured joints copied, synthesised joints as documented."""

import numpy as np

from pose3d_ros.core.skeleton import (
    BLAZEPOSE_JOINTS,
    H36M_JOINTS,
    H36M_PARENTS,
    blazepose_conf_to_h36m,
    blazepose_to_h36m,
)


def test_mapping_known_answers():
    kp = np.arange(33 * 2, dtype=float).reshape(33, 2) * [1.0, 10.0]
    j = blazepose_to_h36m(kp)
    assert j.shape == (17, 2)
    name = {n: i for i, n in enumerate(H36M_JOINTS)}
    bp = {n: i for i, n in enumerate(BLAZEPOSE_JOINTS)}
    for h36m, blaze in [
        ("r_hip", "right_hip"),
        ("r_knee", "right_knee"),
        ("r_ankle", "right_ankle"),
        ("l_hip", "left_hip"),
        ("l_knee", "left_knee"),
        ("l_ankle", "left_ankle"),
        ("l_shoulder", "left_shoulder"),
        ("l_elbow", "left_elbow"),
        ("l_wrist", "left_wrist"),
        ("r_shoulder", "right_shoulder"),
        ("r_elbow", "right_elbow"),
        ("r_wrist", "right_wrist"),
    ]:
        np.testing.assert_allclose(j[name[h36m]], kp[bp[blaze]])
    pelvis = (kp[23] + kp[24]) / 2
    thorax = (kp[11] + kp[12]) / 2
    neck = (kp[7] + kp[8]) / 2
    np.testing.assert_allclose(j[name["pelvis"]], pelvis)
    np.testing.assert_allclose(j[name["thorax"]], thorax)
    np.testing.assert_allclose(j[name["spine"]], (pelvis + thorax) / 2)
    np.testing.assert_allclose(j[name["neck"]], neck)
    eyes, mouth = (kp[2] + kp[5]) / 2, (kp[9] + kp[10]) / 2
    np.testing.assert_allclose(j[name["head"]], neck + 2 * (eyes - mouth))


def test_mapping_batches_and_3d():
    kp = np.random.default_rng(0).normal(size=(4, 33, 3))
    j = blazepose_to_h36m(kp)
    assert j.shape == (4, 17, 3)
    np.testing.assert_allclose(j[2], blazepose_to_h36m(kp[2]))


def test_confidence_of_synthesised_joints_is_the_min_of_sources():
    conf = np.ones(33)
    conf[23] = 0.2  # left hip
    c = blazepose_conf_to_h36m(conf)
    assert c.shape == (17,)
    name = {n: i for i, n in enumerate(H36M_JOINTS)}
    assert c[name["pelvis"]] == 0.2 and c[name["spine"]] == 0.2 and c[name["l_hip"]] == 0.2
    assert c[name["r_hip"]] == 1.0 and c[name["thorax"]] == 1.0


def test_parents_form_a_tree_rooted_at_pelvis():
    assert H36M_PARENTS[0] == -1 and len(H36M_PARENTS) == 17
    assert all(0 <= p < i for i, p in enumerate(H36M_PARENTS) if i > 0)
