"""Placement and 3D-source parameters: defaults from the core dataclasses, each reaches the
pipeline config, and a bad value is one ConfigError that names the parameter."""

import numpy as np
import pytest

from pose3d_ros.core.pipeline import PipelineConfig
from pose3d_ros.core.pose3d.floor import floor_from_angles
from pose3d_ros.core.pose3d.placement import PlacementConfig
from pose3d_ros.errors import ConfigError
from pose3d_ros.ros import params

NAMES = (
    "source3d",
    "body_height_m",
    "camera_height_m",
    "camera_pitch_deg",
    "camera_roll_deg",
    "reprojection_weight",
)


def defaults():
    return {s.name: s.default for s in params.SPECS}


def test_defaults_are_the_core_dataclasses_own():
    st = params.settings_from(defaults())
    assert st.pipeline.placement == PlacementConfig()
    assert st.pipeline.source3d == PipelineConfig().source3d == "lifter"
    assert st.pipeline.placement.floor_plane() is None  # no floor unless the camera height is set


def test_values_reach_the_pipeline_config():
    v = defaults()
    v.update(
        source3d="fused",
        body_height_m=1.6,
        camera_height_m=2.5,
        camera_pitch_deg=30.0,
        camera_roll_deg=-4.0,
        reprojection_weight=1.0,
    )
    st = params.settings_from(v)
    pl = st.pipeline.placement
    assert st.pipeline.source3d == "fused"
    assert (pl.body_height_m, pl.reprojection_weight) == (1.6, 1.0)
    np.testing.assert_allclose(pl.floor_plane().up_cam, floor_from_angles(2.5, 30.0, -4.0).up_cam)
    assert params.settings_from({**v, "body_height_m": 0.0}).pipeline.placement.body_height_m == 0


@pytest.mark.parametrize(
    "name, value",
    [
        ("source3d", "both"),
        ("body_height_m", 0.3),  # in the declared range 0..2.5 but neither 0 nor 0.5..2.5
        ("body_height_m", 3.0),
        ("camera_height_m", -1.0),
        ("camera_pitch_deg", 120.0),
        ("camera_roll_deg", 181.0),
        ("reprojection_weight", 2.0),
        ("camera_height_m", "high"),
    ],
)
def test_bad_values_raise_one_config_error_naming_the_parameter(name, value):
    with pytest.raises(ConfigError, match=name):
        params.settings_from({**defaults(), name: value})
    mailbox = params.SettingsMailbox(params.settings_from(defaults()))
    with pytest.raises(ConfigError):
        mailbox.propose({name: value})
    assert mailbox.take() is None  # nothing kept


def test_start_up_overrides_are_checked_too():
    with pytest.raises(ConfigError, match="camera_pitch_deg"):
        params.validate_overrides({"camera_pitch_deg": 91.0})
    params.validate_overrides({n: params.SPEC_BY_NAME[n].default for n in NAMES})
