"""The ROS 2 adapter: message conversions, naming, parameters, markers, TF, the node."""
