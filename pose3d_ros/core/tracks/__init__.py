"""People over time: letter ids that follow a person, One-Euro smoothing of the 3D joints,
velocities from consecutive stamps."""
