"""The project's exception types: one for bad input, one for models, one for configuration."""


class Pose3DError(Exception):
    """Base class of every error pose3d_ros raises on purpose."""


class InputError(Pose3DError, ValueError):
    """A frame, intrinsics or message the pipeline cannot use (wrong shape, NaN, empty...)."""


class ModelError(Pose3DError, RuntimeError):
    """A model file is missing, corrupt, or an inference backend failed."""


class ConfigError(Pose3DError, ValueError):
    """A parameter or configuration value is out of range or inconsistent."""
