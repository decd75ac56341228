"""The work of a configured pose3d node, shared by pose3d_node and its managed (lifecycle) variant.

    NodeRuntime(node, settings, models)   configure: the models, every publisher, diagnostics
      .activate()      subscriptions, the /diagnostics timer, the worker thread
      .deactivate()    no subscription, no timer, worker joined: nothing runs; every track ends
      .close()         deactivate, then free the models and the publishers made since configure
      .release()       at exit: stop the worker, free the models

pose3d_node (ros/node.py) configures and activates in its constructor; pose3d_lifecycle_node
(ros/lifecycle_node.py) does it from its lifecycle transitions. Either way: the subscription
callbacks only store the newest frame (counting the ones it replaces and the ones missing by
stamp); one worker thread converts it (ros/conversions), runs the core pipeline (2D, 3D, ids,
smoothing) and publishes (ros/outputs). Every dropped frame or person and every fallback is counted
and logged by reason (ros/drops.py).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rcl_interfaces.msg import SetParametersResult
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header

from pose3d_ros.assembly import Models, resolve_engines_dir
from pose3d_ros.errors import ConfigError, InputError, ModelError
from pose3d_ros.ros import conversions, params
from pose3d_ros.ros.camera_inputs import CameraInputs
from pose3d_ros.ros.diagnostics import Diagnostics
from pose3d_ros.ros.drops import DropLog
from pose3d_ros.ros.floor_tf import TfFloor
from pose3d_ros.ros.frame_sync import LatestSlot, StampGaps
from pose3d_ros.ros.outputs import Outputs
from pose3d_ros.ros.stats import RunStats

NS_PER_S = 1_000_000_000
DEFAULT_FRAME = "camera_optical_frame"
WORKER_POLL_S = 0.1  # how often an idle worker applies settings and ends idle tracks
WORKER_JOIN_S = 5.0  # how long deactivate / shutdown waits for the frame in progress
END_MARGIN_S = 1.0  # deactivate ends tracks as if this long past their timeout had passed


def open_models(settings: params.NodeSettings, logger) -> Models:
    """The models named by the settings (engines_dir, backend, threads, engine cache); raises
    ModelError naming the missing or unreadable file and the fix."""
    s = settings
    engines_dir = engines_dir_for(s.engines_dir)
    models = Models(
        engines_dir,
        s.backend,
        s.threads,
        s.pipeline,
        s.engine_cache_dir,
        temporal_lifter=s.temporal_lifter,
    )
    lifter = "temporal lifter" if s.temporal_lifter else "single-frame lifter"
    logger.info(f"models loaded from {engines_dir} ({s.backend}, {s.threads} thread(s), {lifter})")
    return models


def engines_dir_for(param: str) -> Path:
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


def input_qos(settings: params.NodeSettings) -> QoSProfile:
    """Reliable (depth 5) with reliable_qos, else sensor-data best effort."""
    if settings.reliable_qos:
        return QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    return qos_profile_sensor_data


def image_input(settings: params.NodeSettings) -> tuple[type, str]:
    """(message type, relative topic) of the colour image the settings ask for."""
    if settings.image_transport == "compressed":
        return CompressedImage, "image/compressed"
    return Image, "image"


class NodeRuntime:
    """Everything a configured node owns, on `node` (an rclpy Node or LifecycleNode).

    Takes ownership of `models` (an object with .pipeline, its 2D stage .pose2d and .close(), as
    assembly.Models): close() frees them, and so does a failing constructor. Not thread-safe:
    call activate / deactivate / close from one thread (the executor's); the worker thread is
    this object's own.
    """

    def __init__(self, node, settings: params.NodeSettings, models):
        self._node = node
        self._models = models
        self._publishers_before = set(node.publishers)
        try:
            self._configure(settings)
        except BaseException:
            self._destroy_new_publishers()
            models.close()
            raise

    def _configure(self, s: params.NodeSettings) -> None:
        self._settings = s
        self._pipeline = self._models.pipeline
        self._mailbox = params.SettingsMailbox(s)
        self._slot = LatestSlot()
        self._slot.close()  # open while active only
        self._gaps = StampGaps()
        self._camera = CameraInputs()
        self._image_type, self._image_topic = image_input(s)
        self._outputs = Outputs(self._node, s.outputs.publish_rep155)
        self._stats = RunStats()
        self._drops = DropLog(self._node.get_logger())
        self._diagnostics = Diagnostics(
            self._node,
            self._stats,
            self._slot,
            self._drops,
            self._gaps,
            self._node.resolve_topic_name(self._image_topic),
            s.no_input_warn_s,
        )
        self._warned: set[str] = set()
        self._last = None  # (stamp_ns, frame_id, monotonic s) of the last processed frame
        self._subscriptions: list = []
        self._tf_floor: TfFloor | None = None
        self._timer = None
        self._worker: threading.Thread | None = None

    # --- state -----------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """True between activate() and deactivate()."""
        return self._worker is not None

    @property
    def frames_processed(self) -> int:
        """Frames that went through the pipeline since configure."""
        return self._stats.processed

    def activate(self) -> None:
        """Subscribe to the camera topics, start the /diagnostics timer and the worker thread."""
        if self.active:
            return
        s, node = self._settings, self._node
        qos = input_qos(s)
        self._slot.reopen()
        self._subscriptions = [
            node.create_subscription(self._image_type, self._image_topic, self._on_image, qos),
            node.create_subscription(CameraInfo, "camera_info", self._camera.add_camera_info, qos),
        ]
        if s.use_depth:
            self._subscriptions.append(
                node.create_subscription(Image, "depth", self._camera.add_depth, qos)
            )
        if s.floor_frame:
            self._tf_floor = TfFloor(node, s.floor_frame)
            self._subscriptions += self._tf_floor.subscriptions
        self._timer = node.create_timer(s.diagnostics_period_s, self._diagnostics.report)
        self._worker = threading.Thread(target=self._run, name="pose3d_worker", daemon=True)
        self._worker.start()

    def deactivate(self) -> None:
        """Unsubscribe, stop the timer, stop the worker (after the frame in progress), then end
        every track: its id leaves /humans/bodies/tracked, its per-body topics and markers go, so
        nobody acts on a stale person while nothing runs. No inference after this returns."""
        if not self.active:
            return
        for sub in self._subscriptions:
            self._node.destroy_subscription(sub)
        self._subscriptions = []
        self._node.destroy_timer(self._timer)
        self._timer = None
        self.stop_worker()
        self._worker = None
        self._stop_background_inference()
        self._end_all_tracks()

    def _stop_background_inference(self) -> None:
        """The 2D stage runs its newcomer scan on a thread of its own (core/pose2d/scan.py, with
        async_scan): restarting the stage with its current settings stops that thread, waiting
        for a scan in progress, and forgets ROI tracking; the next scan starts it again."""
        self._models.pose2d.set_config(self._pipeline.config.pose2d)

    def ask_worker_to_stop(self) -> None:
        """Close the frame slot: the worker ends after the frame in progress, publishing nothing
        more (the context's on-shutdown hook: the worker must stop before the context is gone)."""
        self._slot.close()

    def stop_worker(self) -> None:
        """ask_worker_to_stop(), then wait for the worker."""
        self.ask_worker_to_stop()
        worker = self._worker
        if worker is not None and worker.is_alive() and worker is not threading.current_thread():
            worker.join(timeout=WORKER_JOIN_S)
            if worker.is_alive():
                self._node.get_logger().warning(
                    f"the worker did not stop within {WORKER_JOIN_S} s (a frame still running)"
                )

    def close(self) -> None:
        """Deactivate, destroy every publisher made since configure and free the models (a
        managed node's cleanup and shutdown)."""
        self.deactivate()
        self._destroy_new_publishers()
        self._models.close()

    def release(self) -> None:
        """Stop the worker and free the models, nothing else (the process is ending; the node's
        destroy_node() frees its entities)."""
        self.stop_worker()
        self._models.close()

    def _destroy_new_publishers(self) -> None:
        for pub in set(self._node.publishers) - self._publishers_before:
            self._node.destroy_publisher(pub)

    # --- callbacks (executor thread): store only -------------------------------------------------
    def _on_image(self, msg) -> None:
        self._gaps.observe(conversions.stamp_to_ns(msg.header.stamp))
        self._slot.put(msg)

    def on_set_parameters(self, changes) -> SetParametersResult:
        """Validate run-time changes; the worker applies them between frames."""
        try:
            self._mailbox.propose({p.name: p.value for p in changes})
        except ConfigError as e:
            return SetParametersResult(successful=False, reason=str(e))
        return SetParametersResult(successful=True)

    # --- worker thread ---------------------------------------------------------------------------
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
                if self._slot.closed or not self._node.context.ok():
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
        floor = self._floor(header.frame_id)
        try:
            result = self._pipeline.process(rgb, intr.value, stamp_ns, depth, floor)
        except InputError as e:
            return self._drop("bad_frame", f"bad input, frame dropped: {e}")
        except ModelError as e:
            return self._drop("inference_error", f"inference failed, frame dropped: {e}")
        for reason in result.rejected:
            self._drops.report("person_rejected", f"person dropped: {reason}", level="warning")
        published = self._outputs.publish(
            result.people,
            result.ended_ids,
            result.active_ids,
            header,
            (w, h),
            s.outputs,
            None if floor is None else floor.up_cam,
        )
        self._last = (stamp_ns, header.frame_id, time.monotonic())
        self._stats.frame_done(result.timings_s, len(published))
        if self._outputs.debug_wanted(s.outputs.debug_max_fps):
            fps = self._stats.fps() if s.outputs.debug_draw_fps else None
            self._outputs.publish_debug(rgb, published, header, fps)

    def _floor(self, frame_id: str):
        """The floor under this frame's camera from TF when floor_frame is set and connected
        (warned once while it is not), else None: the pipeline then uses the camera_* parameters'
        floor, if any."""
        if self._tf_floor is None:
            return self._settings.pipeline.placement.floor_plane()
        floor = self._tf_floor.floor(frame_id)
        if floor is None:
            self._warn_once(
                "no_floor_tf",
                f"no transform from {self._tf_floor.floor_frame!r} to {frame_id!r} with the "
                "camera above its z = 0 yet: placing with camera_height_m's floor, if set",
            )
        return floor

    def _drop(self, reason: str, text: str) -> None:
        self._stats.frame_failed()
        self._drops.report(reason, text)

    def _image_clock_now(self) -> tuple[int, str]:
        """(the image clock now, ns: the last frame's stamp + the wall time since, its frame)."""
        stamp_ns, frame_id, t_s = self._last
        return stamp_ns + int((time.monotonic() - t_s) * NS_PER_S), frame_id

    def _expire_idle_tracks(self) -> None:
        """No frames coming: end tracks by the image clock extrapolated with wall time."""
        if self._last is None or not self._pipeline.active_ids:
            return
        if time.monotonic() - self._last[2] <= self._settings.pipeline.tracker.timeout_s:
            return
        now_ns, frame_id = self._image_clock_now()
        self._publish_ended(self._pipeline.expire(now_ns), now_ns, frame_id)

    def _end_all_tracks(self) -> None:
        """Deactivated (the worker has stopped): end every track now and forget ROI tracking."""
        self._pipeline.reset()
        if self._last is None or not self._pipeline.active_ids:
            return
        now_ns, frame_id = self._image_clock_now()
        past_timeout_ns = int((self._settings.pipeline.tracker.timeout_s + END_MARGIN_S) * NS_PER_S)
        self._publish_ended(self._pipeline.expire(now_ns + past_timeout_ns), now_ns, frame_id)

    def _publish_ended(self, ended: tuple[str, ...], now_ns: int, frame_id: str) -> None:
        if ended:
            header = Header(stamp=conversions.ns_to_stamp(now_ns), frame_id=frame_id)
            self._outputs.publish(
                [], ended, self._pipeline.active_ids, header, None, self._settings.outputs
            )

    # --- helpers ---------------------------------------------------------------------------------
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
            header.stamp = self._node.get_clock().now().to_msg()
        return header

    def _warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self._node.get_logger().warning(text)
