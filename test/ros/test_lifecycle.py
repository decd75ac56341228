"""pose3d_lifecycle_node in this process with stand-in models (no model files): transitions over
the lifecycle services, no inference while inactive (counted), tracks ended by deactivate, a
failing configure that leaves the node alive, and which parameters may change in which state.
Its run with the real models in its own process is test/integration/test_lifecycle_node.py."""

import threading

import numpy as np
import pytest

pytest.importorskip("lifecycle_msgs.srv", reason="needs the embedded ROS 2 runtime (.venv)")
pytest.importorskip("hri_msgs.msg", reason="needs hri_msgs (make setup)")

from rclpy.parameter import Parameter  # noqa: E402

from factories import (  # noqa: E402
    STAMP_NS,
    VGA_INTRINSICS,
    FakeDetector,
    FakeLandmarks,
    Stub2D,
    StubLifter,
    blank_frame_rgb,
    make_pose2d,
    place_at,
)
from node_helpers import change_state, lifecycle_state  # noqa: E402
from pose3d_ros.core.pipeline import Pose3DPipeline  # noqa: E402
from pose3d_ros.core.pose2d import Pose2DEstimator  # noqa: E402
from pose3d_ros.ros import lifecycle_node, runtime  # noqa: E402

STANDIN = "standin"  # engines_dir that selects the stand-in models below
SCANNING = "scanning"  # the same with the real 2D stage over fake backends (its scan thread)
ONE_PERSON_PX = [(np.array([200.0, 250.0]), np.array([200.0, 150.0]))]  # FakeDetector: hip, scale
WAIT_S = 30.0
PERIOD_NS = 100_000_000


class StandInModels:
    """What runtime.open_models returns, over Stub2D / StubLifter: counts every 2D-stage frame and
    lifter batch (the inference), and close()."""

    def __init__(self, settings):
        self.pose2d = Stub2D([make_pose2d(0.0)])
        self.lifter = StubLifter()
        self.pipeline = Pose3DPipeline(self.pose2d, self.lifter, settings.pipeline, place_at(3.0))
        self.closed = False

    @property
    def inference_runs(self) -> int:
        return self.pose2d.frames + len(self.lifter.batches)

    def close(self):
        self.closed = True


class ConcurrentFakeDetector(FakeDetector):
    """FakeDetector declaring two runs at once safe (as ONNX Runtime does): the 2D stage then
    scans for newcomers on its own thread."""

    concurrent_runs = True


class ScanningModels(StandInModels):
    """The real 2D stage (ROI tracking, newcomer scan on its own thread) over FakeDetector and
    FakeLandmarks, which count their runs."""

    def __init__(self, settings):
        super().__init__(settings)
        self.det, self.lm = ConcurrentFakeDetector(ONE_PERSON_PX), FakeLandmarks()
        self.pose2d = Pose2DEstimator(self.det, self.lm, settings.pipeline.pose2d)
        self.pipeline = Pose3DPipeline(self.pose2d, self.lifter, settings.pipeline, place_at(3.0))

    @property
    def inference_runs(self) -> int:
        return len(self.det.batches) + len(self.lm.batches) + len(self.lifter.batches)

    def close(self):
        self.pose2d.close()
        self.closed = True


class Opener:
    """models_opener: stand-ins for engines_dir STANDIN, else the real loader (which fails on a
    folder without models)."""

    def __init__(self):
        self.opened: list[StandInModels] = []

    def __call__(self, settings, logger):
        if settings.engines_dir == "explode":
            raise RuntimeError("a runtime's own error")
        if settings.engines_dir not in (STANDIN, SCANNING):
            return runtime.open_models(settings, logger)
        kind = ScanningModels if settings.engines_dir == SCANNING else StandInModels
        self.opened.append(kind(settings))
        return self.opened[-1]


@pytest.fixture
def managed(ros_domain):
    """(node, opener): a Pose3DLifecycleNode on this test's domain, spun by its own thread."""
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor

    context = Context()
    rclpy.init(context=context, domain_id=ros_domain)
    opener = Opener()
    node = lifecycle_node.Pose3DLifecycleNode(
        models_opener=opener,
        context=context,
        parameter_overrides=[
            Parameter("engines_dir", value=STANDIN),
            Parameter("track_timeout_s", value=30.0),
        ],
    )
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    yield node, opener
    executor.shutdown(timeout_sec=2.0)
    node.destroy_node()
    context.try_shutdown()
    spinner.join(timeout=5.0)


def workers(prefix: str = "pose3d_worker") -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def subscribed_topics(node) -> set[str]:
    return {s.topic_name for s in node.subscriptions}


class Camera:
    """Publishes stamped blank VGA frames + camera_info from the test node."""

    def __init__(self, ros_node):
        self.ros_node, self.sent = ros_node, 0

    def send(self, n: int = 1) -> None:
        for _ in range(n):
            stamp_ns = STAMP_NS + self.sent * PERIOD_NS
            self.ros_node.publish_frame(blank_frame_rgb(), VGA_INTRINSICS, stamp_ns)
            self.sent += 1
            self.ros_node.spin_for(0.05)

    def send_until(self, predicate, timeout_s: float = WAIT_S) -> bool:
        """Send frames until predicate() holds (True) or timeout_s of frames (False)."""
        for _ in range(int(timeout_s / 0.05)):
            if predicate():
                return True
            self.send()
        return predicate()


def test_transitions_and_no_inference_while_inactive(managed, ros_node):
    node, opener = managed
    camera = Camera(ros_node)
    assert lifecycle_state(ros_node) == "unconfigured"
    assert opener.opened == [] and node.runtime is None

    assert change_state(ros_node, "configure")
    assert lifecycle_state(ros_node) == "inactive"
    (models,) = opener.opened
    # publishers exist from configure; nothing subscribes to the camera, no worker thread
    assert ros_node.wait_for(lambda: ros_node.node.count_publishers("/humans/bodies/tracked"), 20)
    assert "/image" not in subscribed_topics(node) and not workers()
    camera.send(5)

    assert change_state(ros_node, "activate")
    assert lifecycle_state(ros_node) == "active"
    assert {"/image", "/camera_info"} <= subscribed_topics(node) and len(workers()) == 1
    assert camera.send_until(lambda: node.runtime.frames_processed >= 3)
    assert models.inference_runs > 0

    assert change_state(ros_node, "deactivate")
    assert lifecycle_state(ros_node) == "inactive"
    assert "/image" not in subscribed_topics(node) and not workers()
    processed, runs = node.runtime.frames_processed, models.inference_runs
    camera.send(20)  # 1 s of frames at 20 Hz while inactive
    assert (node.runtime.frames_processed, models.inference_runs) == (processed, runs)

    assert change_state(ros_node, "activate")  # the same models and publishers again
    assert camera.send_until(lambda: node.runtime.frames_processed > processed)
    assert models.inference_runs > runs and opener.opened == [models]

    assert change_state(ros_node, "deactivate")
    assert change_state(ros_node, "cleanup")
    assert lifecycle_state(ros_node) == "unconfigured"
    assert models.closed and node.runtime is None and not workers()
    assert change_state(ros_node, "shutdown")
    assert lifecycle_state(ros_node) == "finalized"


def test_deactivate_stops_the_2d_stage_scan_thread_too(managed, ros_node):
    """The newcomer scan runs on the 2D stage's own thread: after deactivate neither it nor the
    worker exists, and no backend runs while frames keep coming."""
    node, opener = managed
    camera = Camera(ros_node)
    assert node.set_parameters([Parameter("engines_dir", value=SCANNING)])[0].successful
    assert change_state(ros_node, "configure") and change_state(ros_node, "activate")
    assert camera.send_until(lambda: workers("pose2d-scan"))  # a scan thread while active
    assert change_state(ros_node, "deactivate")
    assert not workers("pose2d-scan") and not workers()
    (models,) = opener.opened
    runs = models.inference_runs
    camera.send(20)
    assert models.inference_runs == runs
    assert change_state(ros_node, "activate")  # and it all starts again
    assert camera.send_until(lambda: models.inference_runs > runs and workers("pose2d-scan"))


def test_deactivate_ends_every_track(managed, ros_node):
    from hri_msgs.msg import IdsList

    node, _ = managed
    tracked = ros_node.collect(IdsList, "/humans/bodies/tracked")
    camera = Camera(ros_node)
    assert change_state(ros_node, "configure") and change_state(ros_node, "activate")
    assert camera.send_until(lambda: any(m.ids for m in tracked.msgs))
    (body_id,) = next(m.ids for m in tracked.msgs if m.ids)
    assert change_state(ros_node, "deactivate")
    # the track ends at once (track_timeout_s is 30 s): an empty list follows the last one with it
    assert ros_node.wait_for(lambda: tracked.msgs and not tracked.msgs[-1].ids, WAIT_S)
    topic = f"/humans/bodies/{body_id}/position"
    assert ros_node.wait_for(lambda: ros_node.node.count_publishers(topic) == 0, WAIT_S)


def test_shutdown_from_active_frees_everything(managed, ros_node):
    node, opener = managed
    assert change_state(ros_node, "configure") and change_state(ros_node, "activate")
    assert change_state(ros_node, "shutdown")
    assert lifecycle_state(ros_node) == "finalized"
    assert opener.opened[0].closed and node.runtime is None and not workers()


def test_failed_configure_keeps_the_node_unconfigured_and_alive(managed, ros_node, tmp_path):
    node, opener = managed
    assert node.set_parameters([Parameter("engines_dir", value=str(tmp_path))])[0].successful
    assert not change_state(ros_node, "configure")  # the real loader: no model files there
    assert lifecycle_state(ros_node) == "unconfigured" and node.runtime is None
    assert opener.opened == [] and not workers()
    # an error that is not ours: also FAILURE, also still unconfigured
    assert node.set_parameters([Parameter("engines_dir", value="explode")])[0].successful
    assert not change_state(ros_node, "configure")
    assert lifecycle_state(ros_node) == "unconfigured" and node.runtime is None
    # fix the parameter and configure again, same process
    assert node.set_parameters([Parameter("engines_dir", value=STANDIN)])[0].successful
    assert change_state(ros_node, "configure") and lifecycle_state(ros_node) == "inactive"


def test_startup_parameters_change_only_while_unconfigured(managed, ros_node):
    node, _ = managed
    bad = node.set_parameters([Parameter("threads", value=0)])[0]
    assert not bad.successful and "threads" in bad.reason  # validated while unconfigured too
    assert change_state(ros_node, "configure")
    refused = node.set_parameters([Parameter("backend", value="tensorrt")])[0]
    assert not refused.successful and "unconfigured" in refused.reason
    assert node.set_parameters([Parameter("max_people", value=2)])[0].successful  # run-time
    assert change_state(ros_node, "cleanup")
    assert node.set_parameters([Parameter("threads", value=2)])[0].successful
