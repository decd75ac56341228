"""`pose3d_node --help` prints usage and exits before any DDS participant exists."""

import pytest

rclpy = pytest.importorskip("rclpy")

from pose3d_ros.ros import node  # noqa: E402


def test_help_exits_without_initialising_rclpy(capsys, monkeypatch):
    monkeypatch.setattr(
        node.rclpy, "init", lambda **kw: pytest.fail("rclpy.init called for --help")
    )
    assert node.main(["--help"]) == 0
    assert "pose3d_node" in capsys.readouterr().out
