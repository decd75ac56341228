"""Start-up checks that must pass before rclpy reads the command line (no ROS imports).

rcl refuses a missing or malformed params file with a raw traceback and a second error line from
rcl itself; checking first gives the user one line that names the file and the problem.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def params_files(argv: list[str]) -> list[str]:
    """The paths given with --params-file after --ros-args (every occurrence)."""
    if "--ros-args" not in argv:
        return []
    rest = argv[argv.index("--ros-args") + 1:]
    return [rest[i + 1] for i, a in enumerate(rest[:-1]) if a == "--params-file"]


def params_file_problem(argv: list[str]) -> str | None:
    """Why a --params-file cannot be used (missing, unreadable, not YAML, not a mapping), or None."""
    for name in params_files(argv):
        path = Path(name)
        if not path.is_file():
            return f"params file {name} does not exist; pass an existing YAML file to --params-file"
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, UnicodeDecodeError) as e:
            return f"params file {name} cannot be read: {e}"
        except yaml.YAMLError as e:
            return f"params file {name} is not valid YAML: {e}".replace("\n", " ")
        if not isinstance(data, dict) or not _has_ros_parameters(data):
            return (f"params file {name} must map node names (or /**) to a ros__parameters mapping, "
                    f"as config/pose3d.yaml does")
    return None


def _has_ros_parameters(node: dict) -> bool:
    return "ros__parameters" in node or any(isinstance(v, dict) and _has_ros_parameters(v) for v in node.values())
