"""ROS-free core: frame + intrinsics -> people with 2D and metric 3D joints (numpy only)."""
