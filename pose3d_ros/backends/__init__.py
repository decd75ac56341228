"""Inference backends behind one small interface keyed by tensor name.

Each implementation imports its runtime only inside its own module.
"""

from pose3d_ros.backends.base import InferenceBackend, create_backend

__all__ = ["InferenceBackend", "create_backend"]
