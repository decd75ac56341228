"""Small decisions the launch file makes, importable (and testable) without `launch` installed."""

from __future__ import annotations

TRUE_WORDS = ("true", "1", "yes", "on")


def is_true(text: str) -> bool:
    """A launch argument's text as a bool, as launch's IfCondition reads it."""
    return text.strip().lower() in TRUE_WORDS


def package_installed(name: str) -> bool:
    """True when the ament index knows the package (a ROS install or an overlay that has it)."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    except ImportError:
        return False
    try:
        get_package_prefix(name)
    except (
        PackageNotFoundError,
        LookupError,
        ValueError,
        OSError,
    ):  # OSError: no AMENT_PREFIX_PATH
        return False
    return True


RVIZ_MISSING = (
    "rviz:=true, but rviz2 is not installed (apt install ros-$ROS_DISTRO-rviz2); "
    "pose3d_node runs without it"
)
