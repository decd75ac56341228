"""Write the trained lifter as ONNX from plain numpy weights (no torch needed to export or run).

Batch norm is folded into the preceding linear layer (eval mode), dropout disappears, so the
graph is Gemm/Relu/Add only, with a dynamic batch dimension:
  x (N, 54) -> Gemm -> Relu -> [Gemm -> Relu -> Gemm -> Relu -> Add(skip)] x blocks
      -> Gemm -> y (N, 48)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def fold_bn(
    weight: np.ndarray,
    bias: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Linear (out, in) followed by eval-mode BatchNorm -> one equivalent linear layer."""
    k = gamma / np.sqrt(var + eps)
    return weight * k[:, None], (bias - mean) * k + beta


def write_mlp_onnx(
    path: str | Path,
    layers: list[tuple[np.ndarray, np.ndarray]],
    n_blocks: int,
    input_name: str,
    output_name: str,
) -> None:
    """layers: [stem, (block_a, block_b) * n_blocks, head] as
    (W (out, in), b (out,)) with BN folded."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if len(layers) != 2 + 2 * n_blocks:
        raise ValueError(f"expected {2 + 2 * n_blocks} layers, got {len(layers)}")
    inits, nodes = [], []

    def gemm(x: str, i: int, relu: bool) -> str:
        w, b = layers[i]
        inits.append(numpy_helper.from_array(np.ascontiguousarray(w, np.float32), f"w{i}"))
        inits.append(numpy_helper.from_array(np.ascontiguousarray(b, np.float32), f"b{i}"))
        y = output_name if i == len(layers) - 1 else f"h{i}"
        nodes.append(
            helper.make_node(
                "Gemm", [x, f"w{i}", f"b{i}"], [y + ("_pre" if relu else "")], transB=1
            )
        )
        if relu:
            nodes.append(helper.make_node("Relu", [y + "_pre"], [y]))
        return y

    h = gemm(input_name, 0, True)
    for blk in range(n_blocks):
        a = gemm(h, 1 + 2 * blk, True)
        c = gemm(a, 2 + 2 * blk, True)
        out = f"res{blk}"
        nodes.append(helper.make_node("Add", [h, c], [out]))
        h = out
    gemm(h, len(layers) - 1, False)
    n_in, n_out = layers[0][0].shape[1], layers[-1][0].shape[0]
    graph = helper.make_graph(
        nodes,
        "lifter_h36m17",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch", n_in])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", n_out])],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pose3d_ros"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
