"""The test tree's own rules: tests live in a folder by kind, import helpers only from the shared
modules in test/ (factories, ros_harness, node_helpers, gpu_fakes), never from each other, and
test/unit never imports ROS. Read with ast, so a lazy import inside a function counts too.
"""

import ast

from factories import REPO_ROOT

TEST_DIR = REPO_ROOT / "test"
KINDS = ("unit", "ros", "integration", "docs")
ROS_TOPS = ("rclpy", "rosidl_runtime_py", "rosbag2_py", "tf2_ros", "launch", "launch_ros")


def all_test_files():
    return sorted(TEST_DIR.rglob("test_*.py"))


def imported_modules(path):
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def is_ros(module):
    top = module.split(".")[0]
    return (
        top in ROS_TOPS
        or top.endswith(("_msgs", "_interfaces", "_srvs"))
        or top == "ros_harness"
        or module == "pose3d_ros.ros"
        or module.startswith("pose3d_ros.ros.")
    )


def test_every_test_file_is_in_a_kind_folder_with_a_unique_name():
    misplaced = [
        p
        for p in all_test_files()
        if p.parent.relative_to(TEST_DIR).parts[:1] not in {(k,) for k in KINDS}
    ]
    assert misplaced == [], "move them into test/unit, test/ros, test/integration or test/docs"
    names = [p.name for p in all_test_files()]
    assert len(names) == len(set(names)), (
        "pytest (rootdir import mode) needs unique test file names"
    )


def test_no_test_module_imports_another():
    wrong = [
        f"{p.relative_to(TEST_DIR)}: {m}"
        for p in all_test_files()
        for m in imported_modules(p)
        if m.split(".")[0].startswith(("test_", "conftest"))
    ]
    assert wrong == [], "shared helpers belong in test/factories.py"


def test_unit_tests_import_no_ros():
    wrong = [
        f"{p.relative_to(TEST_DIR)}: {m}"
        for p in sorted((TEST_DIR / "unit").rglob("*.py"))
        for m in imported_modules(p)
        if is_ros(m)
    ]
    assert wrong == [], "tests that need ROS belong in test/ros or test/integration"


def test_shared_helpers_import_no_ros_at_module_level():
    for name in ("factories.py", "gpu_fakes.py", "node_helpers.py"):
        tree = ast.parse((TEST_DIR / name).read_text())
        top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        mods = [a.name for n in top_level if isinstance(n, ast.Import) for a in n.names]
        mods += [n.module for n in top_level if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in mods if is_ros(m)], name
