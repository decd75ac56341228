"""pose3d_lifecycle_node: pose3d_node as a managed (lifecycle) node, for robots that pause it.

The same node (name, parameters, topics, outputs: ros/runtime.py's NodeRuntime), driven by the ROS 2
lifecycle (`ros2 lifecycle set /pose3d_node configure`, a nav2 lifecycle manager, or the
/pose3d_node/change_state service):

    unconfigured --configure--> inactive    settings read, models loaded, publishers created
    inactive     --activate---> active      camera subscriptions, /diagnostics timer, worker thread
    active       --deactivate-> inactive    no subscription, no timer, no worker: no inference at
                                            all; every track ends (ids leave /humans/bodies/tracked)
    inactive     --cleanup----> unconfigured  publishers destroyed, models freed
    any          --shutdown---> finalized   as deactivate + cleanup

A configure that fails (a missing model, a bad parameter) logs one error line naming the fix and
returns FAILURE: the node stays alive, unconfigured. Parameters read at configure (backend,
engines_dir, threads, image_transport, QoS, depth, ...) can be changed while unconfigured only; the
run-time ones at any time. With --autostart the node configures and activates itself at start.
"""

from __future__ import annotations

import sys
from typing import Callable

from rcl_interfaces.msg import SetParametersResult
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn

from pose3d_ros.errors import ConfigError, Pose3DError
from pose3d_ros.ros import log_bridge, params
from pose3d_ros.ros.launch_support import AUTOSTART_FLAG
from pose3d_ros.ros.node import NODE_NAME, run, user_args
from pose3d_ros.ros.runtime import NodeRuntime, open_models

ModelOpener = Callable[[params.NodeSettings, object], object]  # (settings, logger) -> models


class Pose3DLifecycleNode(LifecycleNode):
    """pose3d_node's managed variant; `models_opener` (settings, logger) -> an object like
    assembly.Models (.pipeline, .pose2d, .close()) loads the models at configure
    (runtime.open_models: the model files)."""

    def __init__(self, models_opener: ModelOpener = open_models, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        self._log_handler = log_bridge.attach(self.get_logger())
        params.declare_all(self, lock_read_only=False)  # start-up values checked here already
        self._open_models = models_opener
        self._runtime: NodeRuntime | None = None
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.context.on_shutdown(self._ask_worker_to_stop)

    @property
    def runtime(self) -> NodeRuntime | None:
        """The configured work (None while unconfigured or finalized)."""
        return self._runtime

    # --- transitions (executor thread) -----------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Read the parameters, load the models, create the publishers."""
        try:
            settings = params.settings_from(self._parameter_values())
            self._runtime = NodeRuntime(
                self, settings, self._open_models(settings, self.get_logger())
            )
        except Exception as e:  # noqa: BLE001 - one error line; the node stays up, unconfigured
            reason = str(e) if isinstance(e, Pose3DError) else repr(e)
            self.get_logger().error(f"configure failed, still unconfigured: {reason}")
            return TransitionCallbackReturn.FAILURE
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Subscribe and start processing."""
        if not self._attempt("activate", self._runtime.activate):
            return TransitionCallbackReturn.ERROR
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop every subscription and the worker; end every track."""
        if not self._attempt("deactivate", self._runtime.deactivate):
            return TransitionCallbackReturn.ERROR
        return super().on_deactivate(state)

    def _attempt(self, what: str, step: Callable[[], None]) -> bool:
        """Run a transition's step; an exception is logged (rclpy would drop it) and gives False:
        the transition returns ERROR and on_error cleans up to unconfigured."""
        try:
            step()
        except Exception as e:  # noqa: BLE001 - logged here, handled by the state machine
            self.get_logger().error(f"{what} failed: {e!r}")
            return False
        return True

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Destroy the publishers, free the models."""
        self._close_runtime()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        """From any state: deactivate and clean up what exists."""
        self._close_runtime()
        return super().on_shutdown(state)

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        """A transition raised: free everything and go back to unconfigured."""
        self.get_logger().error(f"error while leaving {state.label}: cleaning up to unconfigured")
        self._close_runtime()
        return TransitionCallbackReturn.SUCCESS

    def _close_runtime(self) -> None:
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.close()

    # --- parameters ------------------------------------------------------------------------------
    def _parameter_values(self) -> dict:
        return {s.name: self.get_parameter(s.name).value for s in params.SPECS}

    def _on_set_parameters(self, changes) -> SetParametersResult:
        """Unconfigured: any valid value (read at the next configure). Configured: run-time
        parameters only, applied by the worker between frames."""
        ours = [p for p in changes if p.name in params.SPEC_BY_NAME]
        runtime = self._runtime
        if runtime is not None:
            fixed = [p.name for p in ours if params.SPEC_BY_NAME[p.name].read_only]
            if fixed:
                return SetParametersResult(
                    successful=False,
                    reason=f"{', '.join(fixed)} is read at configure: change it while the node "
                    "is unconfigured (cleanup first)",
                )
            return runtime.on_set_parameters(ours)
        try:
            params.settings_from({**self._parameter_values(), **{p.name: p.value for p in ours}})
        except ConfigError as e:
            return SetParametersResult(successful=False, reason=str(e))
        return SetParametersResult(successful=True)

    # --- exit -----------------------------------------------------------------------------------
    def _ask_worker_to_stop(self) -> None:
        if self._runtime is not None:
            self._runtime.ask_worker_to_stop()

    def destroy_node(self) -> None:
        """Stop the worker, free the models, then the node (the process is ending)."""
        runtime, self._runtime = getattr(self, "_runtime", None), None
        if runtime is not None:
            runtime.release()
        handler = getattr(self, "_log_handler", None)
        if handler is not None:
            log_bridge.detach(handler)
        super().destroy_node()


def autostart(node: Pose3DLifecycleNode) -> None:
    """configure, then activate; a failing configure leaves the node unconfigured (logged)."""
    if node.trigger_configure() == TransitionCallbackReturn.SUCCESS:
        node.trigger_activate()


USAGE = (
    f"usage: pose3d_lifecycle_node [{AUTOSTART_FLAG}] [--ros-args --params-file "
    "config/pose3d.yaml -r image:=/cam/image_raw ...]"
    """

pose3d_node as a managed (lifecycle) node: starts unconfigured; configure loads the models,
activate subscribes and processes, deactivate stops all inference, cleanup frees the models.
--autostart configures and activates at start. Drive it with `ros2 lifecycle set /pose3d_node
<transition>` or the /pose3d_node/change_state service. Usually started with
`ros2 launch pose3d_ros pose.launch.py managed:=true [autostart:=true]`.
"""
)


def main(args=None) -> int:
    argv = sys.argv[1:] if args is None else list(args)
    started = autostart if AUTOSTART_FLAG in user_args(argv) else None
    return run(Pose3DLifecycleNode, USAGE, args, started)


if __name__ == "__main__":
    sys.exit(main())
