"""The node's command-line parameters read as rcl reads them (ros/startup.py), so that a `-p` value
rcl would drop silently (its type differs from the params file's) is still validated."""

import pytest

from pose3d_ros.errors import ConfigError
from pose3d_ros.ros import params
from pose3d_ros.ros.startup import command_line_params, ros_args


def test_ros_args_sections():
    argv = ["--help", "--ros-args", "-p", "a:=1", "--", "-p", "b:=2", "--ros-args", "-r", "x:=y"]
    assert ros_args(argv) == ["-p", "a:=1", "-r", "x:=y"]
    assert ros_args(["-p", "a:=1"]) == []


@pytest.mark.parametrize(
    "text, value",
    [
        ("abc", "abc"),
        ("3", 3),
        ("0x10", 16),
        ("-3", -3),
        ("0.5", 0.5),
        ("1e-3", 0.001),
        ("2.", 2.0),
        (".inf", float("inf")),
        ("On", True),
        ("FALSE", False),
        ("yes", True),
        ('"5"', "5"),
        ("1_000", "1_000"),
        ("[1, 2]", [1, 2]),
    ],
)
def test_values_are_typed_as_rcl_types_them(text, value):
    assert command_line_params(["--ros-args", "-p", f"x:={text}"]) == {"x": value}


def test_node_qualified_rules_and_other_nodes():
    argv = [
        "--ros-args",
        "--params-file",
        "f.yaml",
        "-p",
        "pose3d_node:max_people:=2",
        "--param",
        "/robot1/pose3d_node:threads:=4",
        "-p",
        "other_node:max_people:=abc",
    ]
    assert command_line_params(argv) == {"max_people": 2, "threads": 4}


@pytest.mark.parametrize(
    "rule", ["max_people:=abc", "threads:=0", "max_peple:=2", "min_presence:=1"]
)
def test_bad_command_line_values_are_refused(rule):
    with pytest.raises(ConfigError):
        params.validate_overrides(command_line_params(["--ros-args", "-p", rule]))


def test_good_command_line_values_pass():
    argv = ["--ros-args", "-p", "max_people:=3", "-p", "min_presence:=0.6", "-p", "use_depth:=true"]
    params.validate_overrides(command_line_params(argv))
