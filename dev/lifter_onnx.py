"""Write the trained lifter as ONNX from plain numpy weights (no torch needed to export or run).

Batch norm is folded into the preceding linear layer (eval mode), dropout disappears, so the
graph is Gemm/Relu/Add only, with a dynamic batch dimension:
  x (N, 54) -> Gemm -> Relu -> [Gemm -> Relu -> Gemm -> Relu -> Add(skip)] x blocks
      -> Gemm -> y (N, 48)

With flip_average (horizontal-flip test-time augmentation inside the graph; the input/output
contract stays the same): x and its mirror image (mirror_features) go through the MLP as one
batch of 2N, and the output is the mean of the first half and the un-mirrored second half:
  y = (mlp(x) + mirror_output(mlp(mirror_features(x)))) / 2
as MatMul/Concat ... Reshape (2, N, 48)/MatMul/ReduceSum nodes around the MLP.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pose3d_ros.core.pose3d.lifting import N_FEATURES, N_JOINTS
from pose3d_ros.core.skeleton import H36M_LEFT, H36M_RIGHT

N_OUT = 3 * (N_JOINTS - 1)
_SWAP = np.arange(N_JOINTS)
_SWAP[list(H36M_LEFT)] = H36M_RIGHT
_SWAP[list(H36M_RIGHT)] = H36M_LEFT


def mirror_features(features: np.ndarray) -> np.ndarray:
    """(N, 54) lifter features (core.pose3d.lifting.normalise_2d) of a scene -> the features of
    its mirror image about the camera's y-z plane (x -> -x in the optical frame, left <-> right).

    In the normalised frame (K^-1 pixels) that is exact: each joint's x_n is negated and the
    joint takes its mirror partner's slot; confidences swap slots; the pelvis ray's x is
    negated; its y and log(scale) are unchanged (the RMS radius is symmetric)."""
    f = np.asarray(features)
    j2 = f[:, : 2 * N_JOINTS].reshape(-1, N_JOINTS, 2)[:, _SWAP] * np.array([-1.0, 1.0])
    conf = f[:, 2 * N_JOINTS : 3 * N_JOINTS][:, _SWAP]
    glob = f[:, 3 * N_JOINTS :] * np.array([-1.0, 1.0, 1.0])
    return np.concatenate([j2.reshape(len(f), -1), conf, glob], axis=1).astype(f.dtype)


def mirror_output(out: np.ndarray) -> np.ndarray:
    """(N, 48) lifter output (joints 1..16 x (x, y, z) m, camera frame) -> the mirror image's
    output: x negated, left <-> right joints swapped (the pelvis, joint 0, is not in it)."""
    o = np.asarray(out)
    j = np.concatenate([np.zeros((len(o), 1, 3), o.dtype), o.reshape(-1, N_JOINTS - 1, 3)], 1)
    j = j[:, _SWAP] * np.array([-1.0, 1.0, 1.0])
    return j[:, 1:].reshape(len(o), N_OUT).astype(o.dtype)


def mirror_matrices() -> tuple[np.ndarray, np.ndarray]:
    """The mirrors as signed permutation matrices: mirror_features(x) == x @ m_in (54, 54),
    mirror_output(y) == y @ m_out (48, 48)."""
    return mirror_features(np.eye(N_FEATURES)), mirror_output(np.eye(N_OUT))


def onnx_layers(path: str | Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (W (out, in), b (out,)) Gemm layers of an exported lifter, in graph order (the
    flip-averaged graph has the same layers)."""
    import onnx
    from onnx import numpy_helper

    init = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    n = sum(1 for k in init if re.fullmatch(r"w\d+", k))
    return [(init[f"w{i}"].astype(np.float64), init[f"b{i}"].astype(np.float64)) for i in range(n)]


def is_flip_averaged(path: str | Path) -> bool:
    """Whether an exported lifter averages over the horizontal flip (write_mlp_onnx)."""
    import onnx

    return any(t.name == "mirror_in" for t in onnx.load(str(path)).graph.initializer)


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
    flip_average: bool = False,
) -> None:
    """layers: [stem, (block_a, block_b) * n_blocks, head] as
    (W (out, in), b (out,)) with BN folded. flip_average: average with the mirrored input's
    un-mirrored output inside the graph (module docstring; needs the lifter's 54 -> 48 layout)."""
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

    n_in, n_out = layers[0][0].shape[1], layers[-1][0].shape[0]
    x = input_name
    if flip_average:
        if (n_in, n_out) != (N_FEATURES, N_OUT):
            raise ValueError(f"flip_average needs {N_FEATURES} -> {N_OUT}, got {n_in} -> {n_out}")
        m_in, m_out = mirror_matrices()
        inits.append(numpy_helper.from_array(m_in.astype(np.float32), "mirror_in"))
        # [0.5 I, 0.5 m_out]: row 0 keeps the direct output, row 1 un-mirrors the flipped one
        pair = 0.5 * np.stack([np.eye(N_OUT), m_out]).astype(np.float32)
        inits.append(numpy_helper.from_array(pair, "unmirror_pair"))
        inits.append(numpy_helper.from_array(np.array([2, -1, n_out], np.int64), "pair_shape"))
        inits.append(numpy_helper.from_array(np.array([0], np.int64), "pair_axis"))
        nodes.append(helper.make_node("MatMul", [input_name, "mirror_in"], ["x_mirrored"]))
        nodes.append(helper.make_node("Concat", [input_name, "x_mirrored"], ["x_both"], axis=0))
        x = "x_both"
    h = gemm(x, 0, True)
    for blk in range(n_blocks):
        a = gemm(h, 1 + 2 * blk, True)
        c = gemm(a, 2 + 2 * blk, True)
        out = f"res{blk}"
        nodes.append(helper.make_node("Add", [h, c], [out]))
        h = out
    gemm(h, len(layers) - 1, False)
    if flip_average:
        nodes[-1].output[0] = "y_both"
        nodes.append(helper.make_node("Reshape", ["y_both", "pair_shape"], ["y_pair"]))
        nodes.append(helper.make_node("MatMul", ["y_pair", "unmirror_pair"], ["y_halves"]))
        nodes.append(
            helper.make_node("ReduceSum", ["y_halves", "pair_axis"], [output_name], keepdims=0)
        )
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


def rewrite_flip_averaged(src: str | Path, dst: str | Path, input_name: str, output_name: str):
    """Write the lifter `src` (.onnx, plain or flip-averaged) again as a flip-averaged graph with
    the same layers; returns the max |difference| (m) between the plain network's mean over the
    flip, computed in numpy, and the written graph on 512 random feature rows."""
    import onnxruntime as ort

    layers = onnx_layers(src)
    write_mlp_onnx(dst, layers, (len(layers) - 2) // 2, input_name, output_name, True)
    x = np.random.default_rng(0).normal(size=(512, N_FEATURES)).astype(np.float32)
    ref = 0.5 * (mlp_forward(layers, x) + mirror_output(mlp_forward(layers, mirror_features(x))))
    sess = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    return float(np.abs(sess.run(None, {input_name: x})[0] - ref).max())


def mlp_forward(layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """The plain (no flip) exported network in numpy float64: (N, in) -> (N, out)."""
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    h = relu(np.asarray(x, np.float64) @ layers[0][0].T + layers[0][1])
    for i in range(1, len(layers) - 1, 2):
        a = relu(h @ layers[i][0].T + layers[i][1])
        h = h + relu(a @ layers[i + 1][0].T + layers[i + 1][1])
    return h @ layers[-1][0].T + layers[-1][1]


def main(argv=None) -> None:
    import argparse

    p = argparse.ArgumentParser(description="Rewrite an exported lifter with the flip average.")
    p.add_argument("src", help="exported lifter .onnx")
    p.add_argument("dst", help="output .onnx (its .json is not written)")
    p.add_argument("--input-name", default="features")
    p.add_argument("--output-name", default="joints3d_rel_m")
    a = p.parse_args(argv)
    diff = rewrite_flip_averaged(a.src, a.dst, a.input_name, a.output_name)
    print(f"wrote {a.dst}; max |graph - numpy flip mean| = {diff:.3g} m")


if __name__ == "__main__":
    main()
