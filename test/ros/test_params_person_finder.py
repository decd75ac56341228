"""The person_finder parameter: passed through to Pose2DConfig, read-only, choices checked."""

import pytest
import yaml

from factories import REPO_ROOT
from pose3d_ros.errors import ConfigError
from pose3d_ros.ros import params


def _defaults() -> dict:
    raw = yaml.safe_load((REPO_ROOT / "config" / "pose3d.yaml").read_text())
    out = {}

    def walk(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                out[prefix + k] = v

    walk(raw["/**"]["ros__parameters"])
    return out


@pytest.mark.parametrize("finder", ["blazepose", "movenet", "both"])
def test_person_finder_reaches_the_2d_config(finder):
    values = _defaults() | {"person_finder": finder}
    assert params.settings_from(values).pipeline.pose2d.person_finder == finder


def test_person_finder_is_read_only_and_checked():
    assert params.SPEC_BY_NAME["person_finder"].read_only
    with pytest.raises(ConfigError, match="person_finder"):
        params.settings_from(_defaults() | {"person_finder": "yolo"})
