"""Start-up checks that must pass before rclpy reads the command line (no ROS imports).

rcl refuses a missing or malformed params file with a raw traceback and a second error line from
rcl itself; checking first gives the user one line that names the file and the problem. And rcl
silently drops a `-p name:=value` whose type differs from the same name's in a params file
(`-p max_people:=abc` with config/pose3d.yaml starts with max_people 8), so the command-line values
are read here too, as rcl reads them, for the node to validate.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def params_files(argv: list[str]) -> list[str]:
    """The paths given with --params-file after --ros-args (every occurrence)."""
    if "--ros-args" not in argv:
        return []
    rest = argv[argv.index("--ros-args") + 1 :]
    return [rest[i + 1] for i, a in enumerate(rest[:-1]) if a == "--params-file"]


def ros_args(argv: list[str]) -> list[str]:
    """The arguments inside every `--ros-args ... [--]` section, in order."""
    out, inside = [], False
    for a in argv:
        if a == "--ros-args":
            inside = True
        elif a == "--":
            inside = False
        elif inside:
            out.append(a)
    return out


def command_line_params(argv: list[str], node_name: str = "pose3d_node") -> dict[str, object]:
    """{name: value} of every `-p/--param [node:]name:=value` for this node, typed as rcl types
    them: true/yes/on and false/no/off (any case) are bools, then integers (0x.. too), then floats
    (nan, inf, .inf too), a quoted or any other text a string, [..] a list."""
    args, out = ros_args(argv), {}
    for flag, rule in zip(args, args[1:]):
        if flag not in ("-p", "--param") or ":=" not in rule:
            continue
        name, text = rule.split(":=", 1)
        if ":" in name:  # node-qualified: node:name
            node, name = name.rsplit(":", 1)
            if node.rsplit("/", 1)[-1] != node_name:
                continue
        out[name] = _rcl_value(text)
    return out


def _rcl_value(text: str) -> object:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    low = t.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if "_" not in t:  # Python reads 1_000 as a number, rcl as text
        for parse in (lambda v: int(v, 0), float):
            try:
                return parse(t)
            except ValueError:
                pass
    if low.lstrip("+-") in (".inf", ".nan"):
        return float(low.replace(".", "", 1))
    if t.startswith("["):
        try:
            return yaml.safe_load(t)
        except yaml.YAMLError:
            pass
    return t


def params_file_problem(argv: list[str]) -> str | None:
    """Why a --params-file cannot be used (missing, unreadable, not YAML, not a mapping), or
    None."""
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
            return (
                f"params file {name} must map node names (or /**) to a ros__parameters mapping, "
                f"as config/pose3d.yaml does"
            )
    return None


def _has_ros_parameters(node: dict) -> bool:
    return "ros__parameters" in node or any(
        isinstance(v, dict) and _has_ros_parameters(v) for v in node.values()
    )
