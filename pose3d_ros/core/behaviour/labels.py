"""The classes reported: the constants of hri_msgs/BodyPosture and hri_msgs/Gesture (same values),
plus UNDEFINED for a skeleton that is not trusted (published as OTHER: the messages have no
"unknown")."""

from __future__ import annotations

from enum import IntEnum


class Posture(IntEnum):
    """hri_msgs/BodyPosture.posture values; UNDEFINED is ours (not enough trusted joints)."""

    UNDEFINED = -1
    OTHER = 0
    STANDING = 1
    SITTING = 2
    CROUCHING = 3
    LAYING = 4


class Gesture(IntEnum):
    """hri_msgs/Gesture.gesture values; UNDEFINED is ours (not enough trusted joints)."""

    UNDEFINED = -1
    OTHER = 0
    HANDS_ON_FACE = 1
    ARMS_CROSSED = 2
    LEFT_HAND_RAISED = 3
    RIGHT_HAND_RAISED = 4
    BOTH_HANDS_RAISED = 5
    WAVING = 6
