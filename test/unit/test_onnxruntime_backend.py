"""OnnxRuntimeBackend's session options: idle intra-op threads do not spin unless asked."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from pose3d_ros.backends.onnxruntime_backend import SPIN_CONFIG_KEY, OnnxRuntimeBackend


@pytest.fixture
def doubling_model(tmp_path):
    """A model y = x + x over (N, 4) float32."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["y"])],
        "double",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "double.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("threads", [1, 2])
def test_idle_threads_do_not_spin_by_default(doubling_model, threads):
    with OnnxRuntimeBackend(doubling_model, threads=threads) as be:
        assert be.session_config[SPIN_CONFIG_KEY] == "0"
        x = np.arange(8, dtype=np.float32).reshape(2, 4)
        np.testing.assert_array_equal(be.run({"x": x})["y"], 2 * x)


def test_spinning_can_be_asked_for(doubling_model):
    with OnnxRuntimeBackend(doubling_model, threads=2, allow_spinning=True) as be:
        assert be.session_config[SPIN_CONFIG_KEY] == "1"
        np.testing.assert_array_equal(be.run({"x": np.ones((1, 4), np.float32)})["y"], 2.0)
