"""The landmark_model parameter: its choices are Pose2DConfig's (thunder among them), it reaches
Pose2DConfig, it is read-only, and a bad value is refused naming the parameter."""

import pytest

from factories import config_yaml_values
from pose3d_ros.core.pose2d.config import LANDMARK_MODELS
from pose3d_ros.errors import ConfigError
from pose3d_ros.ros import params


def test_choices_are_the_config_models_with_thunder():
    spec = params.SPEC_BY_NAME["landmark_model"]
    assert tuple(spec.range) == LANDMARK_MODELS and "thunder" in spec.range
    assert spec.read_only and spec.default == "full"


@pytest.mark.parametrize("model", ["full", "heavy", "thunder", "lightning"])
def test_landmark_model_reaches_the_2d_config(model):
    values = config_yaml_values() | {"landmark_model": model}
    assert params.settings_from(values).pipeline.pose2d.landmark_model == model


def test_thunder_with_a_direct_3d_source_is_accepted():
    """thunder has no world landmarks; source3d direct/fused then lift those people (the
    documented fallback, core/pose3d/source3d.py), so the combination is valid."""
    values = config_yaml_values() | {"landmark_model": "thunder", "source3d": "direct"}
    assert params.settings_from(values).pipeline.source3d == "direct"


def test_unknown_landmark_model_is_refused():
    with pytest.raises(ConfigError, match="landmark_model"):
        params.settings_from(config_yaml_values() | {"landmark_model": "lite"})
    with pytest.raises(ConfigError, match="landmark_model"):
        params.validate_overrides({"landmark_model": "lite"})
