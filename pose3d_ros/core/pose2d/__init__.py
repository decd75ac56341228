"""Stage 1, frame -> 2D people: read estimator.py first, then the modules in the order
it calls them.

config.py     the stage's settings (the only place their defaults live)
finder.py     the person detector on the whole frame and zoomed tiles -> one ROI per person
landmarks.py  the landmark model on every ROI in one batch, decoded by decode.py
people.py     which results are people: presence, duplicates, tile ghosts
roi_tracker.py  the next frame's crops from this frame's landmarks
tensors.py    what each model tensor means, matched by shape
"""

from pose3d_ros.core.pose2d.config import Pose2DConfig
from pose3d_ros.core.pose2d.estimator import Pose2DEstimator

__all__ = ["Pose2DConfig", "Pose2DEstimator"]
