"""Start pose3d_node (and optionally RViz):
`ros2 launch pose3d_ros pose.launch.py image:=/camera/image_raw`.

rviz:=true starts RViz only where rviz2 is installed; elsewhere one warning,
and the node runs alone.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, LogInfo, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription
from pose3d_ros.ros.launch_support import RVIZ_MISSING, is_true, package_installed

SHARE = get_package_share_directory("pose3d_ros")


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
            "rviz", default_value="false", description="also start RViz with config/pose3d.rviz"
        ),
    ]
    node = Node(
        package="pose3d_ros",
        executable="pose3d_node",
        name="pose3d_node",
        namespace=LaunchConfiguration("namespace"),
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
    return LaunchDescription(args + [node, OpaqueFunction(function=_rviz)])
