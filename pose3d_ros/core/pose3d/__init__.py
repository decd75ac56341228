"""2D people -> metric 3D: lifting (2D -> root-relative 3D), the 3D source (lifter, the landmark
model's own 3D, or both fused), body size and the floor, placement in the camera frame."""
