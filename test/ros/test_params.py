"""Parameters: the YAML defaults equal the declared ones, validation refuses bad values."""

import pytest

from factories import config_yaml_values
from pose3d_ros.errors import ConfigError
from pose3d_ros.ros import params


def test_yaml_and_declarations_agree():
    values = config_yaml_values()
    assert set(values) == set(params.SPEC_BY_NAME)
    for name, v in values.items():
        default = params.SPEC_BY_NAME[name].default
        assert v == default and type(v) is type(default), name


def test_every_spec_has_description_and_defaults_validate():
    assert all(s.description for s in params.SPECS)
    st = params.settings_from(config_yaml_values())
    pipe = st.pipeline
    assert (
        pipe.tracker.timeout_s == 1.0
        and pipe.smoothing.enabled
        and pipe.pose2d.detect_every_n == 10
    )
    assert (
        pipe.pose2d.detect_tiles == (2,)
        and pipe.pose2d.person_finder == "movenet"
        and pipe.placement.min_depth_m == 0.2
    )
    assert st.backend == "onnxruntime" and st.outputs.publish_tf


def test_unknown_parameters_are_refused():
    values = config_yaml_values()
    values["max_peple"] = 2
    with pytest.raises(ConfigError, match="max_peple"):
        params.settings_from(values)


def test_mailbox_keeps_every_accepted_change():
    """Two changes accepted before the worker takes them are both applied; a bad one changes
    nothing."""
    box = params.SettingsMailbox(params.settings_from(config_yaml_values()))
    box.propose({"max_people": 3})
    box.propose({"track_timeout_s": 2.5})
    with pytest.raises(ConfigError):
        box.propose({"min_presence": 7.0})
    new = box.take()
    assert new.pipeline.pose2d.max_people == 3 and new.pipeline.tracker.timeout_s == 2.5
    assert box.take() is None


@pytest.mark.parametrize(
    "name,bad",
    [
        ("backend", "cuda"),
        ("threads", 0),
        ("threads", 1.5),
        ("track_timeout_s", -1.0),
        ("min_presence", 1.5),
        ("decoder", "argmax"),
        ("smoothing.enabled", 1),
        ("image_transport", "theora"),
        ("smoothing.min_cutoff_hz", 0.0),
    ],
)
def test_bad_values_are_refused(name, bad):
    values = config_yaml_values()
    values[name] = bad
    with pytest.raises(ConfigError, match=name.split(".")[-1]):
        params.settings_from(values)


def test_descriptor_ranges():
    pytest.importorskip("rcl_interfaces.msg", reason="needs ROS 2 (.venv)")
    d = params.descriptor(params.SPEC_BY_NAME["track_timeout_s"])
    assert (
        d.floating_point_range[0].from_value == 0.0 and d.floating_point_range[0].to_value == 60.0
    )
    d = params.descriptor(params.SPEC_BY_NAME["threads"])
    assert d.integer_range[0].from_value == 1 and d.read_only
    assert "tensorrt" in params.descriptor(params.SPEC_BY_NAME["backend"]).additional_constraints
