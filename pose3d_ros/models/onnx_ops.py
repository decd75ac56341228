"""One ONNX emitter per TFLite builtin op (NHWC semantics kept, NCHW inside; see onnx_graph).

Each builder reads a TFLite OpInfo, emits ONNX opset-17 nodes through a GraphBuilder and binds
the op's output tensor. Weights arrive as folded float constants in TFLite layout:
CONV_2D [O, KH, KW, I], DEPTHWISE_CONV_2D [1, KH, KW, C*M] (output channel c*M + m).
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.errors import ModelError
from pose3d_ros.models.onnx_graph import GraphBuilder
from pose3d_ros.models.onnx_names import NCHW_TO_NHWC, NHWC_TO_NCHW
from pose3d_ros.models.tflite_reader import OpInfo

PADDING_SAME, PADDING_VALID = 0, 1
# ActivationFunctionType -> (ONNX op, clip bounds or None)
_ACTIVATIONS = {
    1: ("Relu", None),
    2: ("Clip", (-1.0, 1.0)),
    3: ("Clip", (0.0, 6.0)),
    4: ("Tanh", None),
}
_NHWC_AXIS_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}


def same_pads(in_size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite/TF SAME padding along one axis: (before, after); the odd pixel goes after."""
    out_size = -(-in_size // stride)
    effective_kernel = (kernel - 1) * dilation + 1
    total = max((out_size - 1) * stride + effective_kernel - in_size, 0)
    return total // 2, total - total // 2


def _spatial_pads(
    g: GraphBuilder, op: OpInfo, kernel_hw: tuple[int, int], dilation_hw=(1, 1)
) -> list[int]:
    """ONNX `pads` [top, left, bottom, right] for the op's padding mode and static input size."""
    o = op.options
    if o["padding"] == PADDING_VALID:
        return [0, 0, 0, 0]
    if o["padding"] != PADDING_SAME:
        raise ModelError(f"{op.opcode}: unknown padding mode {o['padding']}")
    _, in_h, in_w, _ = g.shape(op.inputs[0])
    top, bottom = same_pads(in_h, kernel_hw[0], o["stride_h"], dilation_hw[0])
    left, right = same_pads(in_w, kernel_hw[1], o["stride_w"], dilation_hw[1])
    return [top, left, bottom, right]


def _emit(g: GraphBuilder, op: OpInfo, op_type: str, inputs: list[str], **attrs) -> None:
    """Emit `op_type` for op's output 0, followed by the op's fused activation if any."""
    out_index = op.outputs[0]
    final = g.output_name(out_index)
    act = op.options.get("activation", 0)
    if act == 0:
        g.node(op_type, inputs, final, **attrs)
    else:
        if act not in _ACTIVATIONS:
            raise ModelError(f"{op.opcode}: unsupported fused activation {act}")
        pre = g.node(
            op_type, inputs, g.unique(g.model.tensors[out_index].name + "__preact"), **attrs
        )
        act_type, bounds = _ACTIVATIONS[act]
        act_inputs = [pre] + ([g.scalar(bounds[0]), g.scalar(bounds[1])] if bounds else [])
        g.node(act_type, act_inputs, final)
    g.bind(out_index, final)


def _bias(g: GraphBuilder, op: OpInfo, channels: int) -> list[str]:
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return []
    bias = np.asarray(g.const_array(op.inputs[2]), np.float32).reshape(-1)
    if bias.size != channels:
        raise ModelError(f"{op.opcode}: bias has {bias.size} values for {channels} channels")
    return [g.add_const(g.model.tensors[op.inputs[2]].name, bias)]


def conv_2d(g: GraphBuilder, op: OpInfo) -> None:
    w = np.asarray(g.const_array(op.inputs[1]), np.float32)  # [O, KH, KW, I]
    in_channels = g.shape(op.inputs[0])[3]
    if w.ndim != 4 or in_channels % w.shape[3]:
        raise ModelError(
            f"CONV_2D: weight shape {w.shape} does not fit {in_channels} input channels"
        )
    o = op.options
    dil = (o["dilation_h"], o["dilation_w"])
    inputs = [
        g.value(op.inputs[0]),
        g.add_const(g.model.tensors[op.inputs[1]].name, w.transpose(NHWC_TO_NCHW)),
    ]
    _emit(
        g,
        op,
        "Conv",
        inputs + _bias(g, op, w.shape[0]),
        kernel_shape=list(w.shape[1:3]),
        strides=[o["stride_h"], o["stride_w"]],
        dilations=list(dil),
        pads=_spatial_pads(g, op, w.shape[1:3], dil),
        group=in_channels // w.shape[3],
    )


def depthwise_conv_2d(g: GraphBuilder, op: OpInfo) -> None:
    w = np.asarray(g.const_array(op.inputs[1]), np.float32)  # [1, KH, KW, C*M]
    in_channels = g.shape(op.inputs[0])[3]
    if w.ndim != 4 or w.shape[0] != 1 or w.shape[3] % in_channels:
        raise ModelError(
            f"DEPTHWISE_CONV_2D: weight shape {w.shape} does not fit {in_channels} channels"
        )
    o = op.options
    dil = (o["dilation_h"], o["dilation_w"])
    inputs = [
        g.value(op.inputs[0]),
        g.add_const(g.model.tensors[op.inputs[1]].name, w.transpose(3, 0, 1, 2)),
    ]
    _emit(
        g,
        op,
        "Conv",
        inputs + _bias(g, op, w.shape[3]),
        kernel_shape=list(w.shape[1:3]),
        strides=[o["stride_h"], o["stride_w"]],
        dilations=list(dil),
        pads=_spatial_pads(g, op, w.shape[1:3], dil),
        group=in_channels,
    )


def max_pool_2d(g: GraphBuilder, op: OpInfo) -> None:
    o = op.options
    kernel = (o["filter_h"], o["filter_w"])
    _emit(
        g,
        op,
        "MaxPool",
        [g.value(op.inputs[0])],
        kernel_shape=list(kernel),
        strides=[o["stride_h"], o["stride_w"]],
        pads=_spatial_pads(g, op, kernel),
    )


def add(g: GraphBuilder, op: OpInfo) -> None:
    rank = g.rank(op.outputs[0])
    _emit(g, op, "Add", [g.operand(op.inputs[0], rank), g.operand(op.inputs[1], rank)])


def logistic(g: GraphBuilder, op: OpInfo) -> None:
    _emit(g, op, "Sigmoid", [g.value(op.inputs[0])])


def pad(g: GraphBuilder, op: OpInfo) -> None:
    rank = g.rank(op.inputs[0])
    pads = np.asarray(g.const_array(op.inputs[1]), np.int64).reshape(rank, 2)
    if pads[0].any():
        raise ModelError("PAD: padding the batch dimension is not supported")
    if rank == 4:
        pads = pads[list(NHWC_TO_NCHW)]
    pads_name = g.add_const(
        g.model.tensors[op.inputs[1]].name, np.concatenate([pads[:, 0], pads[:, 1]])
    )
    _emit(g, op, "Pad", [g.value(op.inputs[0]), pads_name], mode="constant")


def reshape(g: GraphBuilder, op: OpInfo) -> None:
    """Reshape with NHWC semantics; the batch dim is copied (0) so it stays dynamic."""
    src, dst = op.inputs[0], op.outputs[0]
    in_shape, out_shape = g.shape(src), g.shape(dst)
    if not in_shape or not out_shape or in_shape[0] != 1 or out_shape[0] != 1:
        raise ModelError(
            f"RESHAPE {in_shape} -> {out_shape}: only batch-preserving reshapes are supported"
        )
    x = g.value(src)
    if len(in_shape) == 4:
        x = g.transpose(x, NCHW_TO_NHWC, g.model.tensors[src].name + "__nhwc")
    target = g.add_const(
        g.model.tensors[dst].name + "__shape", np.array([0, *out_shape[1:]], np.int64)
    )
    if len(out_shape) != 4:
        _emit(g, op, "Reshape", [x, target])
        return
    nhwc = g.node("Reshape", [x, target], g.unique(g.model.tensors[dst].name + "__nhwc"))
    final = g.output_name(dst)
    g.node("Transpose", [nhwc], final, perm=list(NHWC_TO_NCHW))
    g.bind(dst, final)


def concatenation(g: GraphBuilder, op: OpInfo) -> None:
    rank = g.rank(op.outputs[0])
    axis = op.options["axis"] % rank
    if rank == 4:
        axis = _NHWC_AXIS_TO_NCHW[axis]
    _emit(g, op, "Concat", [g.operand(i, rank) for i in op.inputs], axis=axis)


def depth_to_space(g: GraphBuilder, op: OpInfo) -> None:
    """TFLite DEPTH_TO_SPACE is DCR: out[h*b+i, w*b+j, c] = in[h, w, (i*b+j)*C + c]
    (= ONNX mode DCR)."""
    _emit(
        g,
        op,
        "DepthToSpace",
        [g.value(op.inputs[0])],
        blocksize=op.options["block_size"],
        mode="DCR",
    )


def resize_bilinear(g: GraphBuilder, op: OpInfo) -> None:
    _, in_h, in_w, _ = g.shape(op.inputs[0])
    out_h, out_w = (int(v) for v in np.asarray(g.const_array(op.inputs[1])).reshape(-1)[:2])
    if op.options["align_corners"]:
        mode = "align_corners"
    elif op.options["half_pixel_centers"]:
        mode = "half_pixel"
    else:
        mode = "asymmetric"
    scales = np.array([1.0, 1.0, out_h / in_h, out_w / in_w], np.float32)
    if int(np.floor(in_h * scales[2])) != out_h or int(np.floor(in_w * scales[3])) != out_w:
        raise ModelError(
            f"RESIZE_BILINEAR {in_h}x{in_w} -> {out_h}x{out_w}: size not reachable by a float scale"
        )
    scales_name = g.add_const(g.model.tensors[op.outputs[0]].name + "__scales", scales)
    _emit(
        g,
        op,
        "Resize",
        [g.value(op.inputs[0]), "", scales_name],
        mode="linear",
        coordinate_transformation_mode=mode,
    )


BUILDERS = {
    "ADD": add,
    "CONCATENATION": concatenation,
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "DEPTH_TO_SPACE": depth_to_space,
    "LOGISTIC": logistic,
    "MAX_POOL_2D": max_pool_2d,
    "PAD": pad,
    "RESHAPE": reshape,
    "RESIZE_BILINEAR": resize_bilinear,
}
