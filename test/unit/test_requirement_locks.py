"""The per-distribution locks agree with requirements/common.txt and with each other.

Kilted (requirements.txt -> requirements/constraints.txt) and Jazzy (requirements/jazzy.txt ->
requirements/constraints-jazzy.txt) share every non-ROS pin through requirements/common.txt; a
pin bumped there and re-locked for one distribution only would make the other's setup fail.
"""

import re

from factories import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements"
LOCKS = {
    "kilted": REQUIREMENTS / "constraints.txt",
    "jazzy": REQUIREMENTS / "constraints-jazzy.txt",
}


def _pins(path) -> dict[str, str]:
    """{normalised name: version} of the `name==version` lines in a requirements file."""
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line.strip())
        if m:
            pins[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(3)
    return pins


def test_every_common_pin_is_locked_at_that_version_for_every_distribution():
    common = _pins(REQUIREMENTS / "common.txt")
    assert "numpy" in common and "ros-wheels-bootstrapper" in common
    for distro, lock in LOCKS.items():
        locked = _pins(lock)
        wrong = {n: (v, locked.get(n)) for n, v in common.items() if locked.get(n) != v}
        assert wrong == {}, f"{lock.name} ({distro}) disagrees with common.txt: make lock"


def test_the_locks_differ_only_in_ros_wheels():
    kilted, jazzy = (_pins(p) for p in LOCKS.values())
    assert kilted["ros-rclpy"] != jazzy["ros-rclpy"]
    non_ros = {n for n in kilted.keys() | jazzy.keys() if not n.startswith("ros-")}
    differ = sorted(n for n in non_ros if kilted.get(n) != jazzy.get(n))
    assert differ == [], "non-ROS pins differ between the Kilted and Jazzy locks"


def test_each_distribution_pins_its_own_rclpy():
    top = {"kilted": REPO_ROOT / "requirements.txt", "jazzy": REQUIREMENTS / "jazzy.txt"}
    for distro, path in top.items():
        assert _pins(path)["ros-rclpy"] == _pins(LOCKS[distro])["ros-rclpy"], distro
