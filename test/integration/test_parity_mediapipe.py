"""Parity of our 2D stage with MediaPipe 0.10.21's own `mp.solutions.pose` (model_complexity=1).

MediaPipe runs in the separate test-only venv `.venv-mediapipe` (scripts/setup_mediapipe_oracle.sh)
through a subprocess; its answers are cached under .cache/mediapipe_oracle/. The photos are the
real ones that ship inside the scikit-image and matplotlib wheels, decoded once in that venv and
stored as PNG so both sides read the same pixels. Skips when the venv or the engines are missing.
"""

import numpy as np
import pytest

from dev import oracle_client

ENGINES = oracle_client.default_engines_dir()
ORACLE = oracle_client.oracle_python()
# mp.solutions.pose as shipped: see docs/accuracy.md for which of our decoders reproduces it.
PARITY_DECODER = "refine"
MAX_MEAN_PX = 1.0

pytestmark = [
    pytest.mark.skipif(
        ORACLE is None, reason="no .venv-mediapipe: run scripts/setup_mediapipe_oracle.sh"
    ),
    pytest.mark.skipif(
        not (ENGINES / "pose_landmark_full.onnx").exists()
        or not (ENGINES / "pose_detection.onnx").exists(),
        reason=f"no converted models in {ENGINES}: run the model tool first",
    ),
]


@pytest.fixture(scope="module")
def samples():
    import cv2

    paths = oracle_client.dump_samples(oracle_client.repo_root() / ".cache" / "samples")
    return {
        n: np.ascontiguousarray(cv2.imread(str(p), cv2.IMREAD_COLOR)[:, :, ::-1])
        for n, p in paths.items()
    }


@pytest.fixture(scope="module")
def mediapipe_people(samples):
    return dict(zip(samples, oracle_client.oracle_landmarks(list(samples.values()), "static")))


@pytest.fixture(scope="module")
def estimator():
    from pose3d_ros.assembly import open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    est = open_pose2d(
        ENGINES,
        "onnxruntime",
        1,
        # MediaPipe's person finder is the BlazePose detector (the default finder is MoveNet:
        # other crops, so other landmarks within the landmark model's own crop tolerance)
        Pose2DConfig(
            tracking=False, detect_tiles=0, decoder=PARITY_DECODER, person_finder="blazepose"
        ),
    )
    yield est
    est.close()


@pytest.mark.parametrize("name", ["astronaut", "camera", "grace_hopper"])
def test_all_33_landmarks_within_1px_mean_of_mediapipe(name, samples, mediapipe_people, estimator):
    ref = mediapipe_people[name]
    assert len(ref) == 1, f"MediaPipe found {len(ref)} people on {name}"
    ref_kp = ref[0]["keypoints_px"]
    estimator.reset()
    poses = estimator.process(samples[name])
    assert poses, f"our 2D stage found nobody on {name}"
    dists = [np.linalg.norm(p.keypoints_px - ref_kp, axis=1) for p in poses]
    best = min(dists, key=lambda d: d.mean())
    assert best.shape == (33,)
    assert best.mean() <= MAX_MEAN_PX, (
        f"{name}: mean {best.mean():.3f} px, max {best.max():.2f} px (landmark {best.argmax()}) "
        "from MediaPipe"
    )
    # visibility agrees too (both are sigmoid probabilities of the same logits)
    best_pose = poses[int(np.argmin([d.mean() for d in dists]))]
    assert np.abs(best_pose.visibility - ref[0]["visibility"]).max() < 0.05


@pytest.mark.parametrize("tracking", [False, True])
def test_default_config_finds_exactly_one_person_on_each_sample(samples, tracking):
    # the default config runs zoomed detector tiles too; on these upper-body photos they used to add
    # a ghost (an upside-down "person" on the astronaut) and to move the real person's ROI
    from pose3d_ros.assembly import open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    est = open_pose2d(ENGINES, "onnxruntime", 1, Pose2DConfig(tracking=tracking))
    ref = open_pose2d(ENGINES, "onnxruntime", 1, Pose2DConfig(tracking=False, detect_tiles=0))
    for name, frame in samples.items():
        est.reset()
        poses, whole = est.process(frame), ref.process(frame)
        assert len(poses) == 1, f"{name}: {len(poses)} people"
        np.testing.assert_allclose(poses[0].roi.center_px, whole[0].roi.center_px, atol=1e-6)
        if tracking:
            assert len(est.process(frame)) == 1
    est.close()
    ref.close()
