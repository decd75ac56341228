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


def write_temporal_onnx(
    path: str | Path,
    layers: list[tuple[np.ndarray, np.ndarray]],
    widths: tuple[int, ...],
    n_features: int,
    input_name: str,
    output_name: str,
    residual_channels: int = 0,
) -> None:
    """The causal temporal lifter (dev/train_temporal.py) as Reshape/Gemm/Relu/Gather/Add.

    Input (N, T, F) with T = prod(widths): the last T frames of a track, oldest first. It is a
    stack of causal dilated convolutions (kernel widths[i], dilation prod(widths[:i])) evaluated
    at the newest frame only, which is the same as grouping: level 0 applies one Gemm to each
    group of widths[0] consecutive frames; block i applies a Gemm to each group of widths[i]
    consecutive level outputs, then a 1x1 Gemm, plus the newest element of the group (residual).
    layers: [expand, (block_a, block_b) * (len(widths) - 1), head], BN folded.
    residual_channels: the output is the head plus the newest frame's first that many inputs.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n_blocks = len(widths) - 1
    if len(layers) != 2 + 2 * n_blocks:
        raise ValueError(f"expected {2 + 2 * n_blocks} layers, got {len(layers)}")
    width = layers[0][0].shape[0]
    inits, nodes = [], []

    def const(name: str, values) -> str:
        inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

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

    nodes.append(
        helper.make_node(
            "Reshape", [input_name, const("shape0", [-1, widths[0] * n_features])], ["g0"]
        )
    )
    h = gemm("g0", 0, True)
    for blk in range(n_blocks):
        k = widths[blk + 1]
        grouped = f"grp{blk}"
        nodes.append(
            helper.make_node("Reshape", [h, const(f"shape_g{blk}", [-1, k * width])], [grouped])
        )
        a = gemm(grouped, 1 + 2 * blk, True)
        c = gemm(a, 2 + 2 * blk, True)
        trip = f"trip{blk}"
        nodes.append(
            helper.make_node("Reshape", [h, const(f"shape_t{blk}", [-1, k, width])], [trip])
        )
        last = f"last{blk}"
        idx = numpy_helper.from_array(np.array(k - 1, dtype=np.int64), f"idx{blk}")
        inits.append(idx)
        nodes.append(helper.make_node("Gather", [trip, f"idx{blk}"], [last], axis=1))
        out = f"res{blk}"
        nodes.append(helper.make_node("Add", [last, c], [out]))
        h = out
    n_frames = int(np.prod(widths))
    if residual_channels:
        head = gemm(h, len(layers) - 1, False)
        nodes[-1].output[0] = "delta"
        inits.append(numpy_helper.from_array(np.array(n_frames - 1, dtype=np.int64), "newest"))
        nodes.append(helper.make_node("Gather", [input_name, "newest"], ["x_newest"], axis=1))
        nodes.append(
            helper.make_node(
                "Slice",
                [
                    "x_newest",
                    const("r_start", [0]),
                    const("r_end", [residual_channels]),
                    const("r_axes", [1]),
                ],
                ["base"],
            )
        )
        nodes.append(helper.make_node("Add", ["base", "delta"], [head]))
    else:
        gemm(h, len(layers) - 1, False)
    n_out = layers[-1][0].shape[0]
    graph = helper.make_graph(
        nodes,
        "lifter_h36m17_temporal",
        [
            helper.make_tensor_value_info(
                input_name, TensorProto.FLOAT, ["batch", n_frames, n_features]
            )
        ],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", n_out])],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pose3d_ros"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
