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


PLAIN_EXECUTABLE = "pose3d_node"
MANAGED_EXECUTABLE = "pose3d_lifecycle_node"
AUTOSTART_FLAG = "--autostart"  # pose3d_lifecycle_node configures and activates itself


def node_executable(managed: str) -> str:
    """pose3d_lifecycle_node for managed:=true, else pose3d_node."""
    return MANAGED_EXECUTABLE if is_true(managed) else PLAIN_EXECUTABLE


def node_arguments(managed: str, autostart: str) -> list[str]:
    """The node's own arguments: --autostart for a managed node asked to start itself."""
    return [AUTOSTART_FLAG] if is_true(managed) and is_true(autostart) else []


def autostart_ignored(managed: str, autostart: str) -> bool:
    """autostart:=true without managed:=true (pose3d_node always runs): worth one warning."""
    return is_true(autostart) and not is_true(managed)


AUTOSTART_IGNORED = "autostart:=true applies to managed:=true only; pose3d_node runs from the start"

RVIZ_MISSING = (
    "rviz:=true, but rviz2 is not installed (apt install ros-$ROS_DISTRO-rviz2); "
    "pose3d_node runs without it"
)
