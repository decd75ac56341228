"""DDS isolation helper: environment for children, and the refusal to run without isolation."""

import random

import pytest

from dev import dds_env
from pose3d_ros.errors import ConfigError


def test_isolated_env_sets_everything_without_touching_the_input():
    base = {"PATH": "/bin", "FASTDDS_BUILTIN_TRANSPORTS": "UDPv4", "ROS_STATIC_PEERS": "10.0.0.1"}
    env = dds_env.isolated_env(base, domain_id=42)
    assert base == {
        "PATH": "/bin",
        "FASTDDS_BUILTIN_TRANSPORTS": "UDPv4",
        "ROS_STATIC_PEERS": "10.0.0.1",
    }
    assert env["ROS_DOMAIN_ID"] == "42" and env["PATH"] == "/bin"
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST" and env["ROS_LOCALHOST_ONLY"] == "1"
    assert "FASTDDS_BUILTIN_TRANSPORTS" not in env and "ROS_STATIC_PEERS" not in env
    assert env["FASTDDS_DEFAULT_PROFILES_FILE"].endswith("config/fastdds_shm.xml")
    # Fast DDS 2.x (Jazzy) reads only the older name; 3.x (Kilted) warns when it is set
    if dds_env.uses_fastdds2():
        assert env["FASTRTPS_DEFAULT_PROFILES_FILE"] == env["FASTDDS_DEFAULT_PROFILES_FILE"]
    else:
        assert "FASTRTPS_DEFAULT_PROFILES_FILE" not in env


def test_domain_id_kept_drawn_or_rejected():
    assert dds_env.isolated_env({"ROS_DOMAIN_ID": "7"})["ROS_DOMAIN_ID"] == "7"
    drawn = int(dds_env.isolated_env({})["ROS_DOMAIN_ID"])
    assert dds_env.DOMAIN_ID_MIN <= drawn <= dds_env.DOMAIN_ID_MAX
    assert dds_env.random_domain_id(random.Random(3)) == dds_env.random_domain_id(random.Random(3))
    with pytest.raises(ConfigError, match="233"):
        dds_env.isolated_env({}, domain_id=233)


def test_isolation_problems_name_each_missing_step(monkeypatch):
    monkeypatch.setattr(dds_env, "non_loopback_interfaces", lambda: [])
    problems = dds_env.isolation_problems({"FASTDDS_BUILTIN_TRANSPORTS": "LARGE_DATA"})
    assert len(problems) == 4
    assert dds_env.isolation_problems(dds_env.isolated_env({}, domain_id=5)) == []
    with pytest.raises(ConfigError, match="isolated.sh"):
        dds_env.assert_isolated({})


def test_root_outside_a_namespace_is_refused(monkeypatch):
    monkeypatch.setattr(dds_env.os, "geteuid", lambda: 0)
    monkeypatch.setattr(dds_env, "non_loopback_interfaces", lambda: ["eth0"])
    problems = dds_env.isolation_problems(dds_env.isolated_env({}, domain_id=5))
    assert len(problems) == 1 and "eth0" in problems[0]


def test_interfaces_read_from_proc_net_dev(tmp_path):
    dev = tmp_path / "dev"
    dev.write_text(
        "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n"
        "    lo:  10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n  eth0: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n"
    )
    assert dds_env.non_loopback_interfaces(dev) == ["eth0"]
    assert dds_env.non_loopback_interfaces(tmp_path / "missing") == []
