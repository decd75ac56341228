"""pose3d_node: camera image (+ camera_info, optional depth) in; TF, markers, REP-155, debug image
out.

A thin adapter: the node declares its parameters, loads the models and runs from its constructor;
the work itself (subscriptions, the worker thread, publishing) is ros/runtime.py's NodeRuntime,
which the managed variant (ros/lifecycle_node.py) drives from its lifecycle transitions instead.
Missing models or bad parameters stop the node at start-up with one FATAL line naming the fix
(exit code 2); run() holds the start-up checks both executables share.
"""

from __future__ import annotations

import sys
from typing import Callable

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from pose3d_ros.errors import ConfigError, Pose3DError
from pose3d_ros.ros import log_bridge, params, startup
from pose3d_ros.ros.runtime import NodeRuntime, open_models

NODE_NAME = "pose3d_node"


class Pose3DNode(Node):
    """The node: configured and active from construction until destroy_node()."""

    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        self._log_handler = log_bridge.attach(
            self.get_logger()
        )  # core/backends log through `logging`
        settings = params.settings_from(params.declare_all(self))
        self._runtime = NodeRuntime(self, settings, open_models(settings, self.get_logger()))
        self.add_on_set_parameters_callback(self._runtime.on_set_parameters)
        # the worker stops before the context is gone
        self.context.on_shutdown(self._runtime.ask_worker_to_stop)
        self._runtime.activate()

    def destroy_node(self) -> None:
        """Stop the worker first (it may be publishing), then free the models and the node."""
        runtime = getattr(self, "_runtime", None)
        if runtime is not None:
            runtime.release()
        handler = getattr(self, "_log_handler", None)
        if handler is not None:
            log_bridge.detach(handler)
        super().destroy_node()


USAGE = (
    "usage: pose3d_node [--ros-args --params-file config/pose3d.yaml -r image:=/cam/image_raw "
    """...]

pose3d_node: camera image (+camera_info, optional depth) in; REP-155 TF frames, RViz markers,
/humans/bodies/* and ~/debug_image out. Parameters and topics: README.md, config/pose3d.yaml.
Usually started with `ros2 launch pose3d_ros pose.launch.py`.
"""
)


def main(args=None) -> int:
    return run(Pose3DNode, USAGE, args)


def user_args(argv: list[str]) -> list[str]:
    """The arguments before --ros-args (the executable's own)."""
    return argv[: argv.index("--ros-args")] if "--ros-args" in argv else argv


def run(
    node_class: Callable[[], Node],
    usage: str,
    args=None,
    started: Callable[[Node], None] | None = None,
) -> int:
    """The executables' main: --help, the start-up checks (params files, -p values, ROS
    arguments: one FATAL line and exit code 2 each), then node_class() spun until Ctrl-C or
    shutdown; started(node) runs once the node exists, before spinning."""
    argv = sys.argv[1:] if args is None else list(args)
    if "-h" in user_args(argv) or "--help" in user_args(argv):
        print(usage, end="")
        return 0
    log = rclpy.logging.get_logger(NODE_NAME)
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
        node = node_class()
        if started is not None:
            started(node)
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
