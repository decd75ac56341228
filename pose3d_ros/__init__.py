"""pose3d_ros: real-time 3D human skeletons from an ordinary camera, for ROS 2."""

__version__ = "0.1.0"
