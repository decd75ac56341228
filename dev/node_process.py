"""pose3d_node as a child process for the benchmarks (dev/bench_e2e.py, dev/soak.py).

Started in its own process group with config/pose3d.yaml and its image and camera_info topics
remapped under a namespace of the caller's choice; stopped with SIGINT (as Ctrl-C would), then
SIGKILL if it does not exit in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_node(
    log_path: Path,
    extra_params: list[str],
    topic_ns: str,
    module: str = "pose3d_ros.ros.node",
    node_args: tuple[str, ...] = (),
) -> subprocess.Popen:
    """Start the node (`module`: pose3d_ros.ros.lifecycle_node for the managed one, with its own
    arguments node_args); its input topics are `/<topic_ns>/image` and `/<topic_ns>/camera_info`."""
    cmd = [
        sys.executable,
        "-m",
        module,
        *node_args,
        "--ros-args",
        "--params-file",
        str(ROOT / "config" / "pose3d.yaml"),
        "-r",
        f"image:=/{topic_ns}/image",
        "-r",
        f"camera_info:=/{topic_ns}/camera_info",
    ]
    for p in extra_params:
        cmd += ["-p", p]
    return subprocess.Popen(
        cmd, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_node(proc: subprocess.Popen, timeout_s: float = 15.0) -> int:
    """SIGINT, then SIGKILL after timeout_s; the exit code (negative: killed)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode
