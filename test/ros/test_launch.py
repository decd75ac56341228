"""The launch file, checked without `launch` (not installable here): it parses, the files it
references exist, every launch argument feeds a declared node parameter or a remapping, and the
RViz config shows the node's topics. It also runs against recording stand-ins of `launch` /
`launch_ros` (test_launch_choices): which node each managed / autostart choice starts."""

import ast
import importlib.util
import sys
import types

import yaml

from factories import REPO_ROOT as ROOT
from pose3d_ros.ros import params

LAUNCH = ROOT / "launch" / "pose.launch.py"
REMAPPABLE = {"image", "image/compressed", "camera_info", "depth"}


def tree():
    return ast.parse(LAUNCH.read_text(), filename=str(LAUNCH))


def calls(name):
    return [
        n
        for n in ast.walk(tree())
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name
    ]


def kw(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def launch_configs(node):
    return {
        c.args[0].value
        for c in ast.walk(node)
        if isinstance(c, ast.Call) and getattr(c.func, "id", None) == "LaunchConfiguration"
    }


def declared_args():
    return {c.args[0].value: c for c in calls("DeclareLaunchArgument")}


def test_parses_and_declares_the_arguments():
    assert set(declared_args()) == {
        "image",
        "camera_info",
        "params_file",
        "backend",
        "namespace",
        "managed",
        "autostart",
        "rviz",
    }
    assert all(kw(c, "description") is not None for c in declared_args().values())


def function(name):
    return next(n for n in ast.walk(tree()) if isinstance(n, ast.FunctionDef) and n.name == name)


def rviz_function():
    return function("_rviz")


def test_every_argument_is_used_and_maps_to_the_node():
    (pose_node,) = [
        n
        for n in ast.walk(function("_pose_node"))
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "node_type"
    ]
    (rviz,) = calls("Node")
    assert kw(pose_node, "name").value == "pose3d_node"
    used = launch_configs(function("_pose_node")) | launch_configs(rviz_function())
    assert used == set(declared_args())
    # parameters: a params file plus overrides whose names are declared node parameters
    param_dicts = [e for e in kw(pose_node, "parameters").elts if isinstance(e, ast.Dict)]
    overrides = {k.value for d in param_dicts for k in d.keys}
    assert overrides and overrides <= set(params.SPEC_BY_NAME)
    # remappings: only topics the node subscribes to
    remaps = {t.elts[0].value for t in kw(pose_node, "remappings").elts}
    assert remaps <= REMAPPABLE and {"image", "camera_info"} <= remaps
    # namespace is the node's namespace; rviz only decides whether RViz starts
    assert launch_configs(kw(pose_node, "namespace")) == {"namespace"}
    assert launch_configs(rviz_function()) == {"rviz"}
    assert kw(rviz, "executable").value == "rviz2"


class Recorded:
    """A launch action stand-in: keeps its positional and keyword arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


class Configuration(Recorded):
    """LaunchConfiguration: perform(context) reads the context's {name: text}."""

    def perform(self, context):
        return context[self.args[0]]


def load_launch_file(monkeypatch):
    """The launch file as a module, over recording stand-ins of launch and launch_ros."""
    kinds = {
        "launch": {"LaunchDescription": type("LaunchDescription", (Recorded,), {})},
        "launch.actions": {
            n: type(n, (Recorded,), {})
            for n in ("DeclareLaunchArgument", "LogInfo", "OpaqueFunction")
        },
        "launch.substitutions": {"LaunchConfiguration": Configuration},
        "launch_ros": {},
        "launch_ros.actions": {n: type(n, (Recorded,), {}) for n in ("Node", "LifecycleNode")},
        "ament_index_python.packages": {"get_package_share_directory": lambda name: "/share"},
    }
    for name, attrs in kinds.items():
        monkeypatch.setitem(sys.modules, name, types.SimpleNamespace(**attrs))
    spec = importlib.util.spec_from_file_location("pose_launch", LAUNCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_launch_choices(monkeypatch):
    """managed / autostart pick the executable, the launch action type and --autostart; the
    defaults start pose3d_node as before."""
    module = load_launch_file(monkeypatch)
    description = module.generate_launch_description()
    actions = description.args[0]
    defaults = {
        a.args[0]: a.kwargs["default_value"]
        for a in actions
        if type(a).__name__ == "DeclareLaunchArgument"
    }
    assert defaults["managed"] == "false" and defaults["autostart"] == "false"
    (pose, rviz) = [a.kwargs["function"] for a in actions if type(a).__name__ == "OpaqueFunction"]
    assert rviz is module._rviz

    def started(**choices):
        out = pose({**defaults, **choices})
        return [type(a).__name__ for a in out], out[-1]

    kinds, node = started()
    assert kinds == ["Node"] and node.kwargs["executable"] == "pose3d_node"
    assert node.kwargs["arguments"] == [] and node.kwargs["name"] == "pose3d_node"
    kinds, node = started(managed="true")
    assert kinds == ["LifecycleNode"] and node.kwargs["executable"] == "pose3d_lifecycle_node"
    assert node.kwargs["arguments"] == [] and node.kwargs["name"] == "pose3d_node"
    kinds, node = started(managed="True", autostart="1")
    assert kinds == ["LifecycleNode"] and node.kwargs["arguments"] == ["--autostart"]
    kinds, node = started(autostart="true")  # ignored without managed, with a warning
    assert kinds == ["LogInfo", "Node"] and node.kwargs["arguments"] == []


def test_rviz_starts_only_where_rviz2_is_installed():
    """The RViz node is created after the installed-check returned; otherwise a warning is
    logged."""
    from pose3d_ros.ros.launch_support import is_true, package_installed

    body = ast.unparse(rviz_function())
    assert body.index("package_installed('rviz2')") < body.index("Node(") and "LogInfo" in body
    assert not package_installed("rviz2")  # this machine has no rviz2: the launch would only warn
    assert not package_installed("no_such_package_here")
    assert is_true(" True") and is_true("1") and not is_true("false") and not is_true("")


def test_console_script_and_referenced_files_exist():
    src = LAUNCH.read_text()
    for rel in ("config/pose3d.yaml", "config/pose3d.rviz"):
        parts = rel.split("/")
        assert f'"{parts[0]}", "{parts[1]}"' in src
        assert (ROOT / rel).is_file()
    setup = ROOT / "setup.py"
    if setup.is_file():
        assert (
            "pose3d_node" in setup.read_text() and "pose3d_ros.ros.node:main" in setup.read_text()
        )
        assert "pose3d_lifecycle_node = pose3d_ros.ros.lifecycle_node:main" in setup.read_text()
        assert "launch" in setup.read_text() and "config" in setup.read_text()


def test_rviz_config_shows_the_node_topics():
    cfg = yaml.safe_load((ROOT / "config" / "pose3d.rviz").read_text())
    displays = cfg["Visualization Manager"]["Displays"]
    classes = {d["Class"]: d for d in displays}
    assert {
        "rviz_default_plugins/TF",
        "rviz_default_plugins/MarkerArray",
        "rviz_default_plugins/Image",
    } <= set(classes)
    assert classes["rviz_default_plugins/MarkerArray"]["Topic"]["Value"] == "/pose3d_node/markers"
    assert classes["rviz_default_plugins/Image"]["Topic"]["Value"] == "/pose3d_node/debug_image"
