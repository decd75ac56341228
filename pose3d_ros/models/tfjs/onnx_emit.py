"""One ONNX (opset 17) emitter per TF.js op, with TensorFlow's semantics (see reference.py).

Each emitter takes the OnnxBuilder and the node, emits ONNX nodes and returns the node's outputs
as (ONNX name, layout) pairs. Filters arrive as folded constants in TensorFlow layout: Conv2D
HWIO -> ONNX OIHW; depthwise HWCM -> [C*M, 1, KH, KW] with group C (output channel c*M + m, as
in TensorFlow). Integer FloorDiv is exact for any signs (a - mod(a, b)) / b, ONNX Mod being
Python's modulo. An op not in EMITTERS raises ModelError naming it.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.errors import ModelError
from pose3d_ros.models.tfjs.builder import NCHW, NHWC, OnnxBuilder, onnx_dtype
from pose3d_ros.models.tfjs.graph import Node
from pose3d_ros.models.tfjs.reference import check_nhwc, spatial_pads, strided_slice_index

_INT64_MIN = np.iinfo(np.int64).min


def _out(b: OnnxBuilder, node: Node, port: int = 0) -> np.ndarray:
    return b.dry_run[node.name][port]


def _activation(b: OnnxBuilder, node: Node, x: str, op: str) -> str:
    if op == "Relu":
        return b.node("Relu", [x], node.name + "__relu")
    if op == "Relu6":
        return b.node("Clip", [x, b.scalar(0.0), b.scalar(6.0)], node.name + "__relu6")
    if op == "Elu":
        return b.node("Elu", [x], node.name + "__elu")
    if op == "LeakyRelu":
        alpha = float(node.attrs.get("leakyrelu_alpha", 0.2))
        return b.node("LeakyRelu", [x], node.name + "__leaky", alpha=alpha)
    raise ModelError(f"{node.op} {node.name!r}: unsupported fused op {op!r}")


def _conv(b: OnnxBuilder, node: Node, depthwise: bool) -> list[tuple[str, str]]:
    check_nhwc(node)
    x_ref, w_ref = node.inputs[0], node.inputs[1]
    w = np.asarray(b.const(w_ref, f"{node.op} {node.name!r} filter"), np.float32)
    in_shape = b.shape(x_ref)
    if w.ndim != 4 or len(in_shape) != 4:
        raise ModelError(f"{node.op} {node.name!r}: expects a 4-D input and filter")
    kh, kw = w.shape[:2]
    if depthwise:
        channels = w.shape[2]
        weight = w.reshape(kh, kw, -1).transpose(2, 0, 1)[:, None]  # [C*M, 1, KH, KW]
        group = channels
    else:
        weight = w.transpose(3, 2, 0, 1)  # HWIO -> OIHW
        group = in_shape[3] // w.shape[2]
    (pt, pb), (pl, pr) = spatial_pads(node, in_shape[1:3], (kh, kw))
    s = node.attrs.get("strides", [1, 1, 1, 1])
    d = node.attrs.get("dilations", [1, 1, 1, 1])
    inputs = [b.get(x_ref, NCHW), b.add_const(str(w_ref) + "__onnx", weight)]
    fused = list(node.attrs.get("fused_ops", []))
    extra = list(node.inputs[2:])
    if fused and fused[0] == "BiasAdd":
        bias = np.asarray(b.const(extra.pop(0), f"{node.name!r} bias"), np.float32).reshape(-1)
        inputs.append(b.add_const(node.name + "__bias", bias))
        fused.pop(0)
    y = b.node(
        "Conv",
        inputs,
        node.name,
        kernel_shape=[kh, kw],
        strides=[s[1], s[2]],
        dilations=[d[1], d[2]],
        pads=[pt, pl, pb, pr],
        group=group,
    )
    for op in fused:
        y = _activation(b, node, y, op)
    return [(y, NCHW)]


def max_pool(b: OnnxBuilder, node: Node):
    check_nhwc(node)
    k = node.attrs["ksize"]
    if k[0] != 1 or k[3] != 1:
        raise ModelError(f"MaxPool {node.name!r}: pooling over batch/channels is not supported")
    (pt, pb), (pl, pr) = spatial_pads(node, b.shape(node.inputs[0])[1:3], (k[1], k[2]))
    s = node.attrs["strides"]
    y = b.node(
        "MaxPool",
        [b.get(node.inputs[0], NCHW)],
        node.name,
        kernel_shape=[k[1], k[2]],
        strides=[s[1], s[2]],
        pads=[pt, pl, pb, pr],
    )
    return [(y, NCHW)]


def resize_bilinear(b: OnnxBuilder, node: Node):
    if node.attrs.get("align_corners"):
        mode = "align_corners"
    elif node.attrs.get("half_pixel_centers"):
        mode = "half_pixel"
    else:
        mode = "asymmetric"
    n, _, _, c = b.shape(node.inputs[0])
    out_h, out_w = (int(v) for v in b.const(node.inputs[1], f"{node.name!r} size"))
    y = b.node(
        "Resize",
        [b.get(node.inputs[0], NCHW), "", "", b.int64(node.name + "__sizes", [n, c, out_h, out_w])],
        node.name,
        mode="linear",
        coordinate_transformation_mode=mode,
    )
    return [(y, NCHW)]


_UNARY = {
    "Sigmoid": "Sigmoid",
    "Exp": "Exp",
    "Abs": "Abs",
    "Sqrt": "Sqrt",
    "Reciprocal": "Reciprocal",
    "Relu": "Relu",
    "Neg": "Neg",
    "Tanh": "Tanh",
    "Log": "Log",
    "Floor": "Floor",
    "Identity": "Identity",
    "LogicalNot": "Not",
}
_BINARY = {
    "Add": "Add",
    "AddV2": "Add",
    "Sub": "Sub",
    "Mul": "Mul",
    "RealDiv": "Div",
    "Maximum": "Max",
    "Minimum": "Min",
    "Less": "Less",
    "LessEqual": "LessOrEqual",
    "Greater": "Greater",
    "GreaterEqual": "GreaterOrEqual",
    "Equal": "Equal",
    "LogicalAnd": "And",
    "LogicalOr": "Or",
}


def unary(b: OnnxBuilder, node: Node):
    x = node.inputs[0]
    layout = b.layout(x)
    src = b.get(x, layout)
    if node.op == "Relu6":
        y = b.node("Clip", [src, b.scalar(0.0), b.scalar(6.0)], node.name)
    elif node.op == "Rsqrt":
        y = b.node("Reciprocal", [b.node("Sqrt", [src], node.name + "__sqrt")], node.name)
    elif node.op == "Square":
        y = b.node("Mul", [src, src], node.name)
    elif node.op == "Cast":
        y = b.node("Cast", [src], node.name, to=onnx_dtype(node.attrs["DstT"]))
    else:
        y = b.node(_UNARY[node.op], [src], node.name)
    return [(y, layout)]


def _operands(b: OnnxBuilder, node: Node, refs=None):
    refs = list(node.inputs if refs is None else refs)
    rank = _out(b, node).ndim
    layout = b.elementwise_layout(refs, rank)
    return [b.operand(r, layout, rank) for r in refs], layout


def binary(b: OnnxBuilder, node: Node):
    (x, y), layout = _operands(b, node)
    if node.op == "SquaredDifference":
        d = b.node("Sub", [x, y], node.name + "__diff")
        return [(b.node("Mul", [d, d], node.name), layout)]
    if node.op == "FloorDiv":
        if np.issubdtype(_out(b, node).dtype, np.integer):
            rem = b.node("Mod", [x, y], node.name + "__mod", fmod=0)
            num = b.node("Sub", [x, rem], node.name + "__exact")
            return [(b.node("Div", [num, y], node.name), layout)]
        q = b.node("Div", [x, y], node.name + "__div")
        return [(b.node("Floor", [q], node.name), layout)]
    if node.op == "NotEqual":
        eq = b.node("Equal", [x, y], node.name + "__eq")
        return [(b.node("Not", [eq], node.name), layout)]
    return [(b.node(_BINARY[node.op], [x, y], node.name), layout)]


def add_n(b: OnnxBuilder, node: Node):
    xs, layout = _operands(b, node)
    acc = xs[0]
    for k, x in enumerate(xs[1:], 1):
        acc = b.node("Add", [acc, x], node.name if k == len(xs) - 1 else f"{node.name}__{k}")
    return [(acc, layout)]


def select(b: OnnxBuilder, node: Node):
    cond, x, y = node.inputs
    if len(b.shape(cond)) == 1 and len(b.shape(x)) > 1:  # Select v1: a vector picks rows
        c = b.reshape(b.get(cond), [-1] + [1] * (len(b.shape(x)) - 1), node.name + "__cond")
        return [(b.node("Where", [c, b.get(x), b.get(y)], node.name), NHWC)]
    (c, xv, yv), layout = _operands(b, node)
    return [(b.node("Where", [c, xv, yv], node.name), layout)]


def static_reshape(b: OnnxBuilder, node: Node):
    """Reshape / Squeeze / ExpandDims / Identity-like shape changes: to the dry-run shape."""
    return [(b.reshape(b.get(node.inputs[0]), _out(b, node).shape, node.name), NHWC)]


def strided_slice(b: OnnxBuilder, node: Node):
    x_ref = node.inputs[0]
    begin, end, strides = (
        b.const(r, f"StridedSlice {node.name!r} bounds") for r in node.inputs[1:]
    )
    index = strided_slice_index(node, begin, end, strides)
    in_shape = b.shape(x_ref)
    consumed = sum(1 for e in index if e is not None and e is not Ellipsis)
    starts, ends, axes, steps = [], [], [], []
    dim = 0
    for entry in index:
        if entry is None:
            continue
        if entry is Ellipsis:
            dim += len(in_shape) - consumed
            continue
        size = in_shape[dim]
        if isinstance(entry, int):
            i = entry % size if size else 0
            starts.append(i), ends.append(i + 1), axes.append(dim), steps.append(1)
        else:
            start, stop, step = entry.indices(size)
            if (start, stop, step) != (0, size, 1):
                if step < 0 and stop < 0:
                    stop = _INT64_MIN
                starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
        dim += 1
    x = b.get(x_ref)
    if axes:
        x = b.node(
            "Slice",
            [
                x,
                b.int64(node.name + "__starts", starts),
                b.int64(node.name + "__ends", ends),
                b.int64(node.name + "__axes", axes),
                b.int64(node.name + "__steps", steps),
            ],
            node.name + "__slice",
        )
    return [(b.reshape(x, _out(b, node).shape, node.name), NHWC)]


def pack(b: OnnxBuilder, node: Node):
    out = _out(b, node)
    axis = node.attrs.get("axis", 0) % out.ndim
    parts = []
    for k, ref in enumerate(node.inputs):
        shape = list(b.shape(ref))
        shape.insert(axis, 1)
        parts.append(b.reshape(b.get(ref), shape, f"{node.name}__in{k}"))
    return [(b.node("Concat", parts, node.name, axis=axis), NHWC)]


def unpack(b: OnnxBuilder, node: Node):
    x_ref = node.inputs[0]
    rank = len(b.shape(x_ref))
    axis = node.attrs.get("axis", 0) % rank
    num = b.shape(x_ref)[axis]
    parts = b.node(
        "Split",
        [b.get(x_ref), b.int64(node.name + "__split", [1] * num)],
        node.name,
        n_out=num,
        axis=axis,
    )
    parts = [parts] if num == 1 else parts
    return [
        (b.reshape(p, _out(b, node, k).shape, f"{node.name}__out{k}"), NHWC)
        for k, p in enumerate(parts)
    ]


def concat(b: OnnxBuilder, node: Node):
    refs, axis_ref = node.inputs[:-1], node.inputs[-1]
    rank = _out(b, node).ndim
    axis = int(b.const(axis_ref, f"ConcatV2 {node.name!r} axis")) % rank
    layout = b.elementwise_layout(refs, rank)
    if layout == NCHW:
        axis = (0, 2, 3, 1)[axis]
    return [(b.node("Concat", [b.get(r, layout) for r in refs], node.name, axis=axis), layout)]


def split(b: OnnxBuilder, node: Node):
    dim_ref, x_ref = node.inputs
    rank = len(b.shape(x_ref))
    axis = int(b.const(dim_ref, f"Split {node.name!r} axis")) % rank
    num = node.attrs["num_split"]
    size = b.shape(x_ref)[axis] // num
    outs = b.node(
        "Split",
        [b.get(x_ref), b.int64(node.name + "__split", [size] * num)],
        node.name,
        n_out=num,
        axis=axis,
    )
    return [(o, NHWC) for o in ([outs] if num == 1 else outs)]


def gather_nd(b: OnnxBuilder, node: Node):
    x_ref, i_ref = node.inputs
    idx = b.node("Cast", [b.get(i_ref)], node.name + "__idx", to=onnx_dtype(np.int64))
    return [(b.node("GatherND", [b.get(x_ref), idx], node.name), NHWC)]


def top_k(b: OnnxBuilder, node: Node):
    k = int(b.const(node.inputs[1], f"TopKV2 {node.name!r} k"))
    values, idx = b.node(
        "TopK",
        [b.get(node.inputs[0]), b.int64(node.name + "__k", [k])],
        node.name,
        n_out=2,
        axis=-1,
        largest=1,
        sorted=1,
    )
    idx32 = b.node("Cast", [idx], node.name + "__indices", to=onnx_dtype(np.int32))
    return [(values, NHWC), (idx32, NHWC)]


def arg_max(b: OnnxBuilder, node: Node):
    axis = int(b.const(node.inputs[1], f"ArgMax {node.name!r} axis"))
    y = b.node("ArgMax", [b.get(node.inputs[0])], node.name + "__i64", axis=axis, keepdims=0)
    out_type = _out(b, node).dtype
    if out_type != np.int64:
        y = b.node("Cast", [y], node.name, to=onnx_dtype(out_type))
    return [(y, NHWC)]


def reduce(b: OnnxBuilder, node: Node):
    x_ref, a_ref = node.inputs
    rank = len(b.shape(x_ref))
    axes = [int(a) % rank for a in np.atleast_1d(b.const(a_ref, f"{node.op} {node.name!r} axes"))]
    keep = int(bool(node.attrs.get("keep_dims", False)))
    x = b.get(x_ref)
    if node.op == "Sum":
        y = b.node("ReduceSum", [x, b.int64(node.name + "__axes", axes)], node.name, keepdims=keep)
    else:
        op = {"Max": "ReduceMax", "Mean": "ReduceMean"}[node.op]
        y = b.node(op, [x], node.name, axes=axes, keepdims=keep)
    return [(y, NHWC)]


def range_op(b: OnnxBuilder, node: Node):
    start, limit, delta = (
        b.reshape(b.get(r), [], f"{node.name}__s{k}") for k, r in enumerate(node.inputs)
    )
    return [(b.node("Range", [start, limit, delta], node.name), NHWC)]


def tile(b: OnnxBuilder, node: Node):
    x_ref, m_ref = node.inputs
    reps = b.node("Cast", [b.get(m_ref)], node.name + "__reps", to=onnx_dtype(np.int64))
    return [(b.node("Tile", [b.get(x_ref), reps], node.name), NHWC)]


def fill(b: OnnxBuilder, node: Node):
    s_ref, v_ref = node.inputs
    shape = b.node("Cast", [b.get(s_ref)], node.name + "__shape", to=onnx_dtype(np.int64))
    return [(b.node("Expand", [b.get(v_ref), shape], node.name), NHWC)]


def like(b: OnnxBuilder, node: Node):
    out = _out(b, node)
    fill_value = b.add_const(
        node.name + "__value", np.array(0 if node.op == "ZerosLike" else 1, out.dtype)
    )
    shape = b.node("Shape", [b.get(node.inputs[0])], node.name + "__shape")
    return [(b.node("Expand", [fill_value, shape], node.name), NHWC)]


def pad(b: OnnxBuilder, node: Node):
    """Pad / PadV2 (constant value, 0 for Pad): TF paddings [rank, 2] (before, after) per dim,
    in the layout the input already has (an NCHW input stays NCHW)."""
    x_ref, pads_ref = node.inputs[0], node.inputs[1]
    pads = np.asarray(b.const(pads_ref, f"{node.op} {node.name!r} paddings"), np.int64)
    layout = b.layout(x_ref)
    if layout == NCHW and pads.shape[0] == 4:
        pads = pads[[0, 3, 1, 2]]  # NHWC dims -> NCHW dims
    dtype = _out(b, node).dtype
    if node.op == "PadV2":
        value = np.asarray(b.const(node.inputs[2], f"PadV2 {node.name!r} value"), dtype)
    else:
        value = np.zeros((), dtype)
    y = b.node(
        "Pad",
        [
            b.get(x_ref, layout),
            b.int64(node.name + "__pads", list(pads[:, 0]) + list(pads[:, 1])),
            b.add_const(node.name + "__value", value.reshape(())),
        ],
        node.name,
        mode="constant",
    )
    return [(y, layout)]


def _bias_add(b: OnnxBuilder, node: Node):
    return binary(b, Node(node.name, "AddV2", node.inputs, node.attrs))


EMITTERS = {
    "_FusedConv2D": lambda b, n: _conv(b, n, depthwise=False),
    "Conv2D": lambda b, n: _conv(b, n, depthwise=False),
    "FusedDepthwiseConv2dNative": lambda b, n: _conv(b, n, depthwise=True),
    "DepthwiseConv2dNative": lambda b, n: _conv(b, n, depthwise=True),
    "BiasAdd": _bias_add,
    "MaxPool": max_pool,
    "ResizeBilinear": resize_bilinear,
    "Cast": unary,
    "Relu6": unary,
    "Rsqrt": unary,
    "Square": unary,
    "AddN": add_n,
    "Select": select,
    "SelectV2": select,
    "Reshape": static_reshape,
    "Squeeze": static_reshape,
    "ExpandDims": static_reshape,
    "StridedSlice": strided_slice,
    "Pack": pack,
    "Unpack": unpack,
    "ConcatV2": concat,
    "Split": split,
    "GatherNd": gather_nd,
    "TopKV2": top_k,
    "ArgMax": arg_max,
    "Max": reduce,
    "Sum": reduce,
    "Mean": reduce,
    "Range": range_op,
    "Tile": tile,
    "Fill": fill,
    "Pad": pad,
    "PadV2": pad,
    "ZerosLike": like,
    "OnesLike": like,
    "SquaredDifference": binary,
    "FloorDiv": binary,
    "NotEqual": binary,
}
EMITTERS.update({op: unary for op in _UNARY})
EMITTERS.update({op: binary for op in _BINARY})
