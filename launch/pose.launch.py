"""Start pose3d_node (and optionally RViz):
`ros2 launch pose3d_ros pose.launch.py image:=/camera/image_raw`.

managed:=true starts the managed (lifecycle) variant, pose3d_lifecycle_node, unconfigured: a
lifecycle manager or `ros2 lifecycle set /pose3d_node configure` (then activate) starts it;
autostart:=true makes it configure and activate itself. rviz:=true starts RViz only where rviz2 is
installed; elsewhere one warning, and the node runs alone.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, LogInfo, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node

from launch import LaunchDescription
from pose3d_ros.ros.launch_support import (
    AUTOSTART_IGNORED,
    RVIZ_MISSING,
    autostart_ignored,
    is_true,
    node_arguments,
    node_executable,
    package_installed,
)

SHARE = get_package_share_directory("pose3d_ros")


def _pose_node(context):
    """pose3d_node, or with managed:=true pose3d_lifecycle_node (same name, parameters, topics)."""
    managed = LaunchConfiguration("managed").perform(context)
    autostart = LaunchConfiguration("autostart").perform(context)
    node_type = LifecycleNode if is_true(managed) else Node
    node = node_type(
        package="pose3d_ros",
        executable=node_executable(managed),
        name="pose3d_node",
        namespace=LaunchConfiguration("namespace"),
        arguments=node_arguments(managed, autostart),
        parameters=[
            LaunchConfiguration("params_file"),
            {"backend": LaunchConfiguration("backend")},
        ],
        remappings=[
            ("image", LaunchConfiguration("image")),
            ("image/compressed", [LaunchConfiguration("image"), "/compressed"]),
            ("camera_info", LaunchConfiguration("camera_info")),
        ],
        output="screen",
    )
    if autostart_ignored(managed, autostart):
        return [LogInfo(msg=f"[WARN] {AUTOSTART_IGNORED}"), node]
    return [node]


def _rviz(context):
    """RViz with config/pose3d.rviz when asked for and installed; otherwise a warning
    (or nothing)."""
    if not is_true(LaunchConfiguration("rviz").perform(context)):
        return []
    if not package_installed("rviz2"):
        return [LogInfo(msg=f"[WARN] {RVIZ_MISSING}")]
    return [
        Node(
            package="rviz2",
            executable="rviz2",
            name="rviz2",
            arguments=["-d", os.path.join(SHARE, "config", "pose3d.rviz")],
        )
    ]


def generate_launch_description():
    args = [
        DeclareLaunchArgument(
            "image", default_value="/camera/image_raw", description="input image topic"
        ),
        DeclareLaunchArgument(
            "camera_info", default_value="/camera/camera_info", description="its CameraInfo"
        ),
        DeclareLaunchArgument(
            "params_file",
            default_value=os.path.join(SHARE, "config", "pose3d.yaml"),
            description="node parameters (YAML)",
        ),
        DeclareLaunchArgument(
            "backend",
            default_value="onnxruntime",
            description="onnxruntime | onnxruntime_cuda | tensorrt",
        ),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the node"),
        DeclareLaunchArgument(
            "managed",
            default_value="false",
            description="start the managed (lifecycle) node pose3d_lifecycle_node, unconfigured",
        ),
        DeclareLaunchArgument(
            "autostart",
            default_value="false",
            description="with managed:=true: configure and activate it at start",
        ),
        DeclareLaunchArgument(
            "rviz", default_value="false", description="also start RViz with config/pose3d.rviz"
        ),
    ]
    return LaunchDescription(
        args + [OpaqueFunction(function=_pose_node), OpaqueFunction(function=_rviz)]
    )
