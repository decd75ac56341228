"""Posture and gesture of tracked people from their 3D skeletons over time (numpy only, no ROS).

Reading order:
  labels.py    Posture, Gesture: the REP-155 (hri_msgs BodyPosture / Gesture) classes + UNDEFINED
  features.py  joint geometry shared by the rules (angles, heights, the body frame)
  posture.py   one skeleton -> a posture (geometric rules)
  gesture.py   one skeleton -> a static gesture; WaveDetector: a raised hand swinging over time
  debounce.py  a label changes only after the new one held for hold_s (no flicker)
  tracker.py   BehaviourTracker: per-track state, (track id, stamp, joints) -> Behaviour
"""

from pose3d_ros.core.behaviour.labels import Gesture, Posture
from pose3d_ros.core.behaviour.tracker import Behaviour, BehaviourConfig, BehaviourTracker

__all__ = ["Behaviour", "BehaviourConfig", "BehaviourTracker", "Gesture", "Posture"]
