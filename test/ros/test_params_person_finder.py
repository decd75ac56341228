"""The person_finder parameter: passed through to Pose2DConfig, read-only, choices checked."""

import pytest

from factories import config_yaml_values
from pose3d_ros.errors import ConfigError
from pose3d_ros.ros import params


@pytest.mark.parametrize("finder", ["blazepose", "movenet", "both"])
def test_person_finder_reaches_the_2d_config(finder):
    values = config_yaml_values() | {"person_finder": finder}
    assert params.settings_from(values).pipeline.pose2d.person_finder == finder


def test_person_finder_is_read_only_and_checked():
    assert params.SPEC_BY_NAME["person_finder"].read_only
    with pytest.raises(ConfigError, match="person_finder"):
        params.settings_from(config_yaml_values() | {"person_finder": "yolo"})
