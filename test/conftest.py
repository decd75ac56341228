"""Shared pytest fixtures for every test folder: shared-data paths and the DDS integration harness.

Layout: test/unit (no ROS import at all), test/ros (ROS messages and the adapter, no DDS process),
test/integration (nodes and the player over DDS, real models and photos, the MediaPipe oracle,
the model build), test/docs (README/docs consistency). Helpers shared by all of them live here in
test/: factories.py (synthetic data and fakes), ros_harness.py (DDS processes and a test node),
node_helpers.py (pose3d_node's argv, waits and body TFs for the integration tests), gpu_fakes.py
(CUDA / TensorRT stand-ins); tests import them by name, never from each other.

ROS fixtures need rclpy (the .venv from `make setup`) and an isolated DDS environment
(scripts/isolated.sh, which `make test` uses). Without either they skip with the reason,
so the pure-numpy tests run anywhere; with POSE3D_REQUIRE_DDS=1 (set by `make test`) a
missing rclpy or missing isolation fails instead of skipping.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

TEST_DIR = Path(__file__).resolve().parent
# test/ holds the shared helpers (factories, ros_harness, gpu_fakes) that tests in every folder
# import by name; dev/ and scripts/ are not installed: tests import them from the checkout
for _path in (TEST_DIR, TEST_DIR.parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from factories import SHARED_DIR, SKIER_JPG  # noqa: E402
from ros_harness import RosProcess, TestNode, group_alive  # noqa: E402


def _require_dds() -> bool:
    return os.environ.get("POSE3D_REQUIRE_DDS", "0") == "1"


def _unavailable(reason: str) -> None:
    if _require_dds():
        pytest.fail(f"{reason} (POSE3D_REQUIRE_DDS=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (or $POSE3D_SHARED); the test skips when it is missing."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared data folder missing: {SHARED_DIR}")
    return SHARED_DIR


@pytest.fixture(scope="session")
def coco_images(shared_dir: Path) -> list[Path]:
    """The sample COCO photos in shared/data/real_images/coco, sorted."""
    images = sorted((shared_dir / "data" / "real_images" / "coco").glob("*.jpg"))
    if not images:
        pytest.skip(f"no COCO sample images under {shared_dir}/data/real_images/coco")
    return images


@pytest.fixture(scope="session")
def engines_dir() -> Path:
    """The folder with the three models pose3d_node loads; the test skips when one is missing."""
    from pose3d_ros.assembly import DETECTOR_FILE, LANDMARK_FILE, LIFTER_FILE, resolve_engines_dir

    d = resolve_engines_dir("")
    missing = [f for f in (DETECTOR_FILE, LANDMARK_FILE, LIFTER_FILE) if not (d / f).is_file()]
    if missing:
        pytest.skip(f"models missing in {d}: {missing} (make models)")
    return d


@pytest.fixture(scope="session")
def skier(shared_dir: Path):
    """(H, W, 3) uint8 RGB photo of one skier and its 60 deg fallback-style intrinsics."""
    import cv2

    from pose3d_ros.core.types import CameraIntrinsics

    if not SKIER_JPG.is_file():
        pytest.skip(f"sample photo missing: {SKIER_JPG}")
    rgb = cv2.cvtColor(cv2.imread(str(SKIER_JPG)), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    return rgb, CameraIntrinsics.default_for(w, h, 60.0)


@pytest.fixture(scope="session")
def dds_ready() -> None:
    """rclpy importable and DDS isolated (scripts/isolated.sh); skips (or fails) otherwise."""
    try:
        import rclpy  # noqa: F401
    except ImportError as err:
        _unavailable(f"rclpy not importable ({err}); run through `make test` (.venv)")
    from dev.dds_env import isolation_problems

    problems = isolation_problems()
    if problems:
        _unavailable("DDS not isolated: " + "; ".join(problems))


@pytest.fixture
def ros_domain(dds_ready: None) -> int:
    """A fresh ROS_DOMAIN_ID per test, so leftovers of one test never meet the next."""
    from dev.dds_env import DOMAIN_ID_MAX, DOMAIN_ID_MIN

    return random.SystemRandom().randint(DOMAIN_ID_MIN, DOMAIN_ID_MAX)


@pytest.fixture
def ros_node(ros_domain: int, request: pytest.FixtureRequest):
    """A TestNode (private rclpy context) on this test's domain; closed at teardown."""
    node = TestNode(
        f"pose3d_test_{request.node.name[:40]}".replace("[", "_")
        .replace("]", "_")
        .replace("-", "_")
        .replace(".", "_"),
        ros_domain,
    )
    yield node
    node.close()


@pytest.fixture
def launch(ros_domain: int, tmp_path: Path):
    """Factory: launch(argv, name) starts a command on this test's domain, isolated.

    Every process started is stopped (its whole process group) at teardown, pass or
    fail; its output is printed then, so pytest shows it for failing tests.
    """
    from dev.dds_env import isolated_env

    started: list[tuple[str, RosProcess]] = []

    def start(argv, name: str = "proc", extra_env: dict[str, str] | None = None) -> RosProcess:
        env = isolated_env(os.environ, domain_id=ros_domain)
        env.update(extra_env or {})
        proc = RosProcess(argv, env, tmp_path / f"{name}_{len(started)}.log")
        started.append((name, proc))
        return proc

    yield start
    leftovers = []
    for name, proc in started:
        code = proc.stop()
        print(f"----- {name} {proc.argv} exit {code} -----\n{proc.output()}")
        if group_alive(proc.pgid):
            leftovers.append(name)
    assert not leftovers, f"processes still alive after teardown: {leftovers}"
