"""ament_python build of pose3d_ros
(colcon on a ROS 2 install; pip install into .venv otherwise)."""

import re
from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

PACKAGE = "pose3d_ros"
HERE = Path(__file__).resolve().parent
VERSION = re.search(r"<version>([^<]+)</version>", (HERE / "package.xml").read_text()).group(1)


def share(subdir, *patterns):
    """(install dir, files) for data_files; patterns that match nothing install nothing."""
    files = sorted(f for pattern in patterns for f in glob(pattern))
    return (f"share/{PACKAGE}/{subdir}".rstrip("/"), files)


setup(
    name=PACKAGE,
    version=VERSION,
    # the runtime and the user tools only:
    # dev/ (evaluation, training, benchmarks) and test/ stay in the repo
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        share("", "package.xml"),
        share("launch", "launch/*.launch.py"),
        share("config", "config/*.yaml", "config/*.rviz", "config/*.xml"),
        # the committed lifter, plus the BlazePose ONNX models
        # when `pose3d_models` ran before the build
        share("engines", "engines/README.md", "engines/*.onnx", "engines/*.json"),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="pose3d_ros maintainers",
    maintainer_email="pose3d@example.com",
    description="Real-time 3D human skeletons from an ordinary camera: BlazePose 2D + learned "
    "2D->3D lifter, published as TF, markers and REP-155 topics.",
    license="Apache-2.0",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            "pose3d_node = pose3d_ros.ros.node:main",
            "pose3d_lifecycle_node = pose3d_ros.ros.lifecycle_node:main",
            "pose3d_play = pose3d_ros.tools.play:main",
            "pose3d_models = pose3d_ros.tools.models:main",
            "pose3d_engines = pose3d_ros.tools.build_engines:main",
            "pose3d_greeter = pose3d_ros.tools.greeter:main",
        ],
    },
)
