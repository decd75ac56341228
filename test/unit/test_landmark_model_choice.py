"""Pose2DConfig.landmark_model: validated, mapped to one engines file, the same name the TF.js
build writes, and a missing heavy model is named with its fix before any model is opened."""

from __future__ import annotations

import pytest

from pose3d_ros.assembly import LANDMARK_FILE, LANDMARK_FILES, open_pose2d
from pose3d_ros.core.pose2d import Pose2DConfig
from pose3d_ros.core.pose2d.config import LANDMARK_MODELS
from pose3d_ros.errors import ConfigError, ModelError
from pose3d_ros.models.tfjs.build import onnx_file_name
from pose3d_ros.models.tfjs.npm_package import BLAZEPOSE_HEAVY


def test_landmark_model_is_validated_and_full_by_default():
    assert Pose2DConfig().landmark_model == "full"
    assert Pose2DConfig(landmark_model="heavy").landmark_model == "heavy"
    with pytest.raises(ConfigError, match="landmark_model"):
        Pose2DConfig(landmark_model="lite")


def test_every_landmark_model_has_a_file_and_heavy_is_what_the_build_writes():
    assert set(LANDMARK_FILES) == set(LANDMARK_MODELS)
    assert LANDMARK_FILES["full"] == LANDMARK_FILE
    assert onnx_file_name(BLAZEPOSE_HEAVY.name) == LANDMARK_FILES["heavy"]


def test_missing_heavy_model_names_the_tool_flag(tmp_path):
    with pytest.raises(ModelError, match="--blazepose-heavy"):
        open_pose2d(tmp_path, config=Pose2DConfig(landmark_model="heavy"))
