"""pose3d_node: camera image (+ camera_info, optional depth) in; TF, markers, REP-155, debug image
out.

A thin adapter: the subscription callbacks only store the newest frame (counting the ones it
replaces and the ones missing by stamp); one worker thread converts it (ros/conversions), runs the
core pipeline (2D, 3D, ids, smoothing) and publishes (ros/outputs). Every dropped frame or person
and every fallback is counted and logged by reason (ros/drops.py); missing models or bad
parameters stop the node at start-up with one FATAL line naming the fix (exit code 2).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import rclpy
from rcl_interfaces.msg import SetParametersResult
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header

from pose3d_ros.assembly import Models, resolve_engines_dir
from pose3d_ros.errors import ConfigError, InputError, ModelError, Pose3DError
from pose3d_ros.ros import conversions, log_bridge, params, startup
from pose3d_ros.ros.camera_inputs import CameraInputs
from pose3d_ros.ros.diagnostics import Diagnostics
from pose3d_ros.ros.drops import DropLog
from pose3d_ros.ros.frame_sync import LatestSlot, StampGaps
from pose3d_ros.ros.outputs import Outputs
from pose3d_ros.ros.stats import RunStats

NS_PER_S = 1_000_000_000
DEFAULT_FRAME = "camera_optical_frame"
WORKER_POLL_S = 0.1  # how often an idle worker applies settings and ends idle tracks
WORKER_JOIN_S = 5.0  # how long shutdown waits for the frame in progress


class Pose3DNode(Node):
    """The node; every publisher, subscription and timer is created here."""

    def __init__(self, **kwargs):
        super().__init__("pose3d_node", **kwargs)
        self._log_handler = log_bridge.attach(
            self.get_logger()
        )  # core/backends log through `logging`
        self._settings = params.settings_from(params.declare_all(self))
        s = self._settings
        engines_dir = _engines_dir(s.engines_dir)
        self._models = Models(engines_dir, s.backend, s.threads, s.pipeline, s.engine_cache_dir)
        self.get_logger().info(
            f"models loaded from {engines_dir} ({s.backend}, {s.threads} thread(s))"
        )
        self._pipeline = self._models.pipeline
        self._mailbox = params.SettingsMailbox(s)
        self.add_on_set_parameters_callback(self._on_set_parameters)

        qos = (
            QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
            if s.reliable_qos
            else qos_profile_sensor_data
        )
        self._slot = LatestSlot()
        self._gaps = StampGaps()
        self._camera = CameraInputs()
        image_type, image_topic = (
            (CompressedImage, "image/compressed")
            if s.image_transport == "compressed"
            else (Image, "image")
        )
        self.create_subscription(image_type, image_topic, self._on_image, qos)
        self.create_subscription(CameraInfo, "camera_info", self._camera.add_camera_info, qos)
        if s.use_depth:
            self.create_subscription(Image, "depth", self._camera.add_depth, qos)
        self._outputs = Outputs(self, s.outputs.publish_rep155)
        self._stats = RunStats()
        self._drops = DropLog(self.get_logger())
        self._diagnostics = Diagnostics(
            self,
            self._stats,
            self._slot,
            self._drops,
            self._gaps,
            self.resolve_topic_name(image_topic),
            s.no_input_warn_s,
        )
        self.create_timer(s.diagnostics_period_s, self._diagnostics.report)
        self._warned: set[str] = set()
        self._last = None  # (stamp_ns, frame_id, monotonic s) of the last processed frame
        self.context.on_shutdown(self._slot.close)  # the worker stops before the context is gone
        self._worker = threading.Thread(target=self._run, name="pose3d_worker", daemon=True)
        self._worker.start()

    # --- callbacks (executor thread): store only -------------------------------------------------
    def _on_image(self, msg) -> None:
        self._gaps.observe(conversions.stamp_to_ns(msg.header.stamp))
        self._slot.put(msg)

    def _on_set_parameters(self, changes) -> SetParametersResult:
        try:
            self._mailbox.propose({p.name: p.value for p in changes})  # the worker applies it
        except ConfigError as e:
            return SetParametersResult(successful=False, reason=str(e))
        return SetParametersResult(successful=True)

    # --- worker thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._slot.closed:
            msg = self._slot.take(timeout_s=WORKER_POLL_S)
            self._apply_pending()
            try:
                if msg is None:
                    self._expire_idle_tracks()
                else:
                    self._process(msg)
            except Exception as e:  # noqa: BLE001 - the worker must survive any single frame
                if self._slot.closed or not self.context.ok():
                    return  # shutting down: publishers may already be gone
                self._stats.frame_failed()
                self._drops.report("unexpected_error", f"frame dropped, unexpected error: {e!r}")

    def _apply_pending(self) -> None:
        new = self._mailbox.take()
        if new is not None:
            self._settings = new
            self._pipeline.set_config(new.pipeline)

    def _process(self, msg) -> None:
        s = self._settings
        header = self._header_for(msg.header)
        stamp_ns = conversions.stamp_to_ns(header.stamp)
        try:
            if isinstance(msg, CompressedImage):
                rgb = conversions.compressed_to_rgb(msg, s.max_image_pixels)
            else:
                rgb = conversions.image_to_rgb(msg, s.max_image_pixels)
        except conversions.ImageTooLargeError as e:
            return self._drop("image_too_large", f"frame dropped: {e}")
        except InputError as e:
            return self._drop("bad_image", f"bad image, frame dropped: {e}")
        h, w = rgb.shape[:2]
        intr = self._camera.intrinsics(
            stamp_ns, w, h, s.camera_info_timeout_s, s.camera_info_wait_s, s.fallback_hfov_deg
        )
        if intr.problem:
            self._drops.report(
                "camera_info_fallback",
                f"{intr.problem}; using fallback intrinsics with a horizontal "
                f"FOV of {s.fallback_hfov_deg} deg (parameter fallback_hfov_deg): metric 3D is "
                "approximate",
                level="warning",
            )
        depth = None
        if s.use_depth:
            matched = self._camera.depth_m(stamp_ns, w, h, s.camera_info_wait_s, s.max_image_pixels)
            depth = matched.value
            if matched.problem:
                self._drops.report(
                    "depth_unusable", f"{matched.problem}: placing without depth", level="warning"
                )
        try:
            result = self._pipeline.process(rgb, intr.value, stamp_ns, depth)
        except InputError as e:
            return self._drop("bad_frame", f"bad input, frame dropped: {e}")
        except ModelError as e:
            return self._drop("inference_error", f"inference failed, frame dropped: {e}")
        for reason in result.rejected:
            self._drops.report("person_rejected", f"person dropped: {reason}", level="warning")
        published = self._outputs.publish(
            result.people, result.ended_ids, result.active_ids, header, (w, h), s.outputs
        )
        self._last = (stamp_ns, header.frame_id, time.monotonic())
        self._stats.frame_done(result.timings_s, len(published))
        if self._outputs.debug_wanted(s.outputs.debug_max_fps):
            fps = self._stats.fps() if s.outputs.debug_draw_fps else None
            self._outputs.publish_debug(rgb, published, header, fps)

    def _drop(self, reason: str, text: str) -> None:
        self._stats.frame_failed()
        self._drops.report(reason, text)

    def _expire_idle_tracks(self) -> None:
        """No frames coming: end tracks by the image clock extrapolated with wall time."""
        if self._last is None or not self._pipeline.active_ids:
            return
        stamp_ns, frame_id, t_s = self._last
        elapsed_s = time.monotonic() - t_s
        if elapsed_s <= self._settings.pipeline.tracker.timeout_s:
            return
        now_ns = stamp_ns + int(elapsed_s * NS_PER_S)
        ended = self._pipeline.expire(now_ns)
        if ended:
            header = Header(stamp=conversions.ns_to_stamp(now_ns), frame_id=frame_id)
            self._outputs.publish(
                [], ended, self._pipeline.active_ids, header, None, self._settings.outputs
            )

    # --- helpers ------------------------------------------------------------------------------
    def _header_for(self, src: Header) -> Header:
        header = Header(stamp=src.stamp, frame_id=src.frame_id)
        if not header.frame_id:
            self._warn_once(
                "frame", f"image has no header.frame_id: outputs are parented to {DEFAULT_FRAME!r}"
            )
            header.frame_id = DEFAULT_FRAME
        if conversions.stamp_to_ns(header.stamp) == 0:
            self._warn_once(
                "stamp", "image stamp is 0: using the node clock for outputs and tracking"
            )
            header.stamp = self.get_clock().now().to_msg()
        return header

    def _warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.get_logger().warning(text)

    def destroy_node(self) -> None:
        """Stop the worker first (it may be publishing), then free the models and the node."""
        slot = getattr(self, "_slot", None)
        if slot is not None:
            slot.close()
            if self._worker.is_alive():
                self._worker.join(timeout=WORKER_JOIN_S)
        models = getattr(self, "_models", None)
        if models is not None:
            models.close()
        handler = getattr(self, "_log_handler", None)
        if handler is not None:
            log_bridge.detach(handler)
        super().destroy_node()


def _engines_dir(param: str):
    """resolve_engines_dir(), and on a colcon install without one: share/pose3d_ros/engines."""
    d = resolve_engines_dir(param)
    if param or d.is_dir():
        return d
    try:
        from ament_index_python.packages import get_package_share_directory

        share = Path(get_package_share_directory("pose3d_ros")) / "engines"
    except (ImportError, LookupError):
        return d
    return share if share.is_dir() else d


USAGE = (
    "usage: pose3d_node [--ros-args --params-file config/pose3d.yaml -r image:=/cam/image_raw "
    """...]

pose3d_node: camera image (+camera_info, optional depth) in; REP-155 TF frames, RViz markers,
/humans/bodies/* and ~/debug_image out. Parameters and topics: README.md, config/pose3d.yaml.
Usually started with `ros2 launch pose3d_ros pose.launch.py`.
"""
)


def main(args=None) -> int:
    argv = sys.argv[1:] if args is None else list(args)
    user_args = argv[: argv.index("--ros-args")] if "--ros-args" in argv else argv
    if "-h" in user_args or "--help" in user_args:
        print(USAGE, end="")
        return 0
    log = rclpy.logging.get_logger("pose3d_node")
    problem = startup.params_file_problem(argv)
    if problem is not None:
        log.fatal(f"cannot start: {problem}")
        return 2
    try:  # rcl would drop a -p value whose type differs from the params file's, silently
        params.validate_overrides(startup.command_line_params(argv))
    except ConfigError as e:
        log.fatal(f"cannot start: {e}")
        return 2
    try:
        rclpy.init(args=args)
    except Exception as e:  # noqa: BLE001 - rcl refuses the command line: one line, no traceback
        log.fatal(f"cannot start: bad ROS arguments: {e}")
        return 2
    node = None
    code = 0
    try:
        node = Pose3DNode()
        rclpy.spin(node)
    except (Pose3DError, ParameterException) as e:
        log.fatal(f"cannot start: {e}")
        code = 2
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except RuntimeError:  # rclpy's RCLError
        if rclpy.ok():
            raise
        # SIGINT/SIGTERM shut the context down while spin was building its wait set: a normal
        # shutdown (an rclpy race: ros2/rclpy#398, ros-visualization/rqt#357)
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
