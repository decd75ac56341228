"""DDS isolation for tests, demos and benchmarks: keep every packet on loopback.

Everything pose3d_ros starts for itself (tests, the demo, benchmarks) must pin
ROS 2 discovery to this host, use its own ``ROS_DOMAIN_ID`` and, when running
as root, live in a private network namespace (``unshare -n`` with ``lo`` up),
so nothing can leave the machine. ``scripts/isolated.sh`` sets that up for a
whole command; this module gives Python code the same environment for child
processes and a check that refuses to run when it is missing.

No ROS import here: usable before (and without) rclpy.
"""

from __future__ import annotations

import os
import random
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Mapping

from pose3d_ros.errors import ConfigError

#: Domain ids handed out for isolated runs. 0..101 (and 215..232) are the ranges
#: whose RTPS ports never collide with the Linux ephemeral port range; 0 is the
#: default everybody else uses, so start above it.
DOMAIN_ID_MIN = 1
DOMAIN_ID_MAX = 101

#: Fast DDS profile with a 16 MiB shared-memory segment for image topics.
FASTDDS_PROFILE = Path(__file__).resolve().parents[1] / "config" / "fastdds_shm.xml"

#: Set by scripts/isolated.sh once the private network namespace is up.
NETNS_MARKER = "POSE3D_ISOLATED_NETNS"


def random_domain_id(rng: random.Random | None = None) -> int:
    """A domain id in [DOMAIN_ID_MIN, DOMAIN_ID_MAX] for one isolated run."""
    chooser = rng if rng is not None else random.SystemRandom()
    return chooser.randint(DOMAIN_ID_MIN, DOMAIN_ID_MAX)


def uses_fastdds2() -> bool:
    """Whether this interpreter's ROS 2 runtime has Fast DDS 2.x (Jazzy), not 3.x (Kilted)."""
    try:
        return version("ros-fastrtps").startswith("2.")
    except PackageNotFoundError:
        return False


def isolated_env(
    base_env: Mapping[str, str], domain_id: int | None = None, profile: Path | None = None
) -> dict[str, str]:
    """A copy of ``base_env`` with the DDS isolation variables set.

    Args:
        base_env: environment to start from (e.g. ``os.environ``); not modified.
        domain_id: ROS_DOMAIN_ID to use; None keeps the one in ``base_env`` or,
            if there is none, draws a random one.
        profile: Fast DDS XML profile; None uses ``config/fastdds_shm.xml``
            when the file exists (it is shipped in the repository).

    Returns:
        A new dict suitable for ``subprocess.Popen(env=...)``.

    Raises:
        ConfigError: domain_id outside 0..232 (the range ROS 2 accepts).
    """
    env = dict(base_env)
    if domain_id is None:
        existing = env.get("ROS_DOMAIN_ID", "")
        domain_id = int(existing) if existing.isdigit() else random_domain_id()
    if not 0 <= domain_id <= 232:
        raise ConfigError(f"ROS_DOMAIN_ID {domain_id} is outside 0..232")
    env["ROS_DOMAIN_ID"] = str(domain_id)
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    env["ROS_LOCALHOST_ONLY"] = "1"
    env.pop("ROS_STATIC_PEERS", None)
    env.pop("FASTDDS_BUILTIN_TRANSPORTS", None)  # UDPv4 / LARGE_DATA leave loopback
    chosen = profile if profile is not None else FASTDDS_PROFILE
    if chosen.is_file():
        env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(chosen)
        if uses_fastdds2():  # Jazzy's Fast DDS reads only the older name; 3.x warns when it is set
            env["FASTRTPS_DEFAULT_PROFILES_FILE"] = str(chosen)
    return env


def isolation_problems(env: Mapping[str, str] | None = None) -> list[str]:
    """Why the given (default: current) environment is not isolated; empty when it is.

    Checks the discovery variables, and, when running as root, that the process
    sits in a private network namespace (only ``lo`` present) as set up by
    ``scripts/isolated.sh``.
    """
    current = os.environ if env is None else env
    problems = []
    if current.get("ROS_AUTOMATIC_DISCOVERY_RANGE") != "LOCALHOST":
        problems.append("ROS_AUTOMATIC_DISCOVERY_RANGE is not LOCALHOST")
    if current.get("ROS_LOCALHOST_ONLY") != "1":
        problems.append("ROS_LOCALHOST_ONLY is not 1")
    if not current.get("ROS_DOMAIN_ID", "").isdigit():
        problems.append("ROS_DOMAIN_ID is not set")
    if current.get("FASTDDS_BUILTIN_TRANSPORTS"):
        problems.append("FASTDDS_BUILTIN_TRANSPORTS is set (it can send off loopback)")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        others = non_loopback_interfaces()
        if others:
            problems.append(
                "running as root outside a private network namespace "
                f"(interfaces {', '.join(others)}); run under scripts/isolated.sh"
            )
    return problems


def non_loopback_interfaces(net_dev: Path = Path("/proc/self/net/dev")) -> list[str]:
    """Names of network interfaces other than ``lo`` in this process's network namespace.

    Reads ``/proc/self/net/dev`` (per namespace); ``/sys/class/net`` would show
    the host's interfaces even inside ``unshare -n``.
    """
    if not net_dev.is_file():
        return []
    names = []
    for line in net_dev.read_text().splitlines()[2:]:
        name = line.split(":", 1)[0].strip()
        if name and name != "lo":
            names.append(name)
    return sorted(names)


def assert_isolated(env: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError naming every missing isolation step; return if isolated.

    Tests, the demo and benchmarks call this before creating any DDS participant.
    """
    problems = isolation_problems(env)
    if problems:
        raise ConfigError(
            "refusing to start DDS without isolation: "
            + "; ".join(problems)
            + ". Run the command through scripts/isolated.sh (make test does)."
        )
