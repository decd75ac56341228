"""Stage 1, frame -> 2D people: read estimator.py first, then the modules in the order
it calls them.

config.py     the stage's settings (the only place their defaults live)
scene.py      scene cuts: a frame unlike the last one ends every track
finder.py     the BlazePose person detector on the whole frame and zoomed tiles -> one ROI each
movenet.py    MoveNet MultiPose as the person finder (the default): the same Detections
scan.py       the newcomer scan while people are tracked (worker thread)
landmarks.py  the BlazePose landmark model on every ROI in one batch, decoded by decode.py
movenet_single.py  MoveNet Thunder / Lightning as the keypoint model instead (COCO-17 in 33 slots)
people.py     which results are people: same body, presence, duplicates, tile ghosts
roi_tracker.py  the next frame's crops from this frame's landmarks
tensors.py    what each model tensor means, matched by shape
"""

from pose3d_ros.core.pose2d.config import Pose2DConfig
from pose3d_ros.core.pose2d.estimator import Pose2DEstimator

__all__ = ["Pose2DConfig", "Pose2DEstimator"]
