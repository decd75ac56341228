"""House rule 1: pose3d_ros.core and pose3d_ros.backends import with rclpy and every message
package blocked."""

import subprocess
import sys

from factories import REPO_ROOT

PROBE = r"""
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if (
            top in ("rclpy", "rosidl_runtime_py", "tf2_ros")
            or top.endswith("_msgs")
            or top.endswith("_interfaces")
        ):
            raise ImportError(f"blocked: {name}")
        return None
sys.meta_path.insert(0, Block())
import pose3d_ros.assembly, pose3d_ros.core, pose3d_ros.backends
names = []
for pkg in (pose3d_ros.core, pose3d_ros.backends):
    for m in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
        if m.name.endswith("tensorrt_backend"):
            continue  # imports tensorrt (absent here), never ROS
        importlib.import_module(m.name)
        names.append(m.name.split(".")[-1])
print(" ".join(sorted(names)))
"""


def test_core_and_backends_import_without_ros():
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    for name in (
        "pipeline",
        "tracking",
        "smoothing",
        "body_frame",
        "estimator",
        "finder",
        "factory",
    ):
        assert name in out.stdout.split()
