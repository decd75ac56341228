"""User tools installed with the package: models (download + convert), engines (TensorRT build),
play.

play.py is the pose3d_play command line; it imports player_node (the ROS publisher), which imports
play_inputs (frames and calibration, no ROS). Research tools live in dev/ at the repo root.
"""
