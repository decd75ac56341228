"""Start pose3d_node (and optionally RViz): `ros2 launch pose3d_ros pose.launch.py image:=/camera/image_raw`."""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

SHARE = get_package_share_directory("pose3d_ros")


def generate_launch_description():
    args = [
        DeclareLaunchArgument("image", default_value="/camera/image_raw", description="input image topic"),
        DeclareLaunchArgument("camera_info", default_value="/camera/camera_info", description="its CameraInfo"),
        DeclareLaunchArgument("params_file", default_value=os.path.join(SHARE, "config", "pose3d.yaml"),
                              description="node parameters (YAML)"),
        DeclareLaunchArgument("backend", default_value="onnxruntime", description="onnxruntime | tensorrt"),
        DeclareLaunchArgument("namespace", default_value="", description="namespace of the node"),
        DeclareLaunchArgument("rviz", default_value="false", description="also start RViz with config/pose3d.rviz"),
    ]
    node = Node(
        package="pose3d_ros",
        executable="pose3d_node",
        name="pose3d_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[LaunchConfiguration("params_file"), {"backend": LaunchConfiguration("backend")}],
        remappings=[
            ("image", LaunchConfiguration("image")),
            ("image/compressed", [LaunchConfiguration("image"), "/compressed"]),
            ("camera_info", LaunchConfiguration("camera_info")),
        ],
        output="screen",
    )
    rviz = Node(
        package="rviz2",
        executable="rviz2",
        name="rviz2",
        arguments=["-d", os.path.join(SHARE, "config", "pose3d.rviz")],
        condition=IfCondition(LaunchConfiguration("rviz")),
    )
    return LaunchDescription(args + [node, rviz])
