"""Evaluate a TF.js graph with numpy, with TensorFlow's semantics for each op.

Two jobs: (1) the converter's shape oracle: one dry run on a dummy input of the chosen size gives
every tensor's static shape and dtype, and the values of everything that does not depend on the
input (Shape, Size and what is computed from them are folded); (2) the op-level reference the
unit tests compare each ONNX mapping against. Images are NHWC, filters HWIO (Conv2D) and HWCM
(depthwise), as in TensorFlow. float32 math throughout (what TF.js computes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from pose3d_ros.errors import ModelError
from pose3d_ros.models.tfjs.graph import Node, TfjsGraph, topological_order


def same_pads(in_size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow SAME padding along one axis: (before, after); the odd pixel goes after."""
    out_size = -(-in_size // stride)
    effective = (kernel - 1) * dilation + 1
    total = max((out_size - 1) * stride + effective - in_size, 0)
    return total // 2, total - total // 2


def spatial_pads(node: Node, in_hw, kernel_hw) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) for a conv/pool node's padding attr on an NHWC input."""
    padding = node.attrs.get("padding", "VALID")
    strides = node.attrs.get("strides", [1, 1, 1, 1])
    dil = node.attrs.get("dilations", [1, 1, 1, 1])
    if padding == "VALID":
        return (0, 0), (0, 0)
    if padding == "SAME":
        return (
            same_pads(in_hw[0], kernel_hw[0], strides[1], dil[1]),
            same_pads(in_hw[1], kernel_hw[1], strides[2], dil[2]),
        )
    if padding == "EXPLICIT":
        p = node.attrs.get("explicit_paddings", [])
        return (p[2], p[3]), (p[4], p[5])
    raise ModelError(f"{node.op} {node.name!r}: unknown padding {padding!r}")


def check_nhwc(node: Node) -> None:
    """ModelError unless the node works on NHWC data with unit batch/channel strides."""
    if node.attrs.get("data_format", "NHWC") != "NHWC":
        raise ModelError(f"{node.op} {node.name!r}: only data_format NHWC is supported")
    s = node.attrs.get("strides", [1, 1, 1, 1])
    if s[0] != 1 or s[3] != 1:
        raise ModelError(f"{node.op} {node.name!r}: strides {s} on batch/channels")


def _windows(x: np.ndarray, node: Node, kernel_hw, pad_value: float) -> np.ndarray:
    """[N, OH, OW, C, KH, KW] windows of NHWC `x` for the node's strides, dilations, padding."""
    (pt, pb), (pl, pr) = spatial_pads(node, x.shape[1:3], kernel_hw)
    x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    s = node.attrs.get("strides", [1, 1, 1, 1])
    d = node.attrs.get("dilations", [1, 1, 1, 1])
    span = ((kernel_hw[0] - 1) * d[1] + 1, (kernel_hw[1] - 1) * d[2] + 1)
    w = sliding_window_view(x, span, axis=(1, 2))
    return w[:, :: s[1], :: s[2], :, :: d[1], :: d[2]]


def conv2d(node: Node, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Conv2D, NHWC input, HWIO filter."""
    check_nhwc(node)
    win = _windows(x.astype(np.float32), node, w.shape[:2], 0.0)  # N OH OW I KH KW
    return np.einsum("nhwikl,klio->nhwo", win, w.astype(np.float32), optimize=True)


def depthwise(node: Node, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """DepthwiseConv2dNative, filter [KH, KW, C, M] -> output channel c*M + m."""
    check_nhwc(node)
    win = _windows(x.astype(np.float32), node, w.shape[:2], 0.0)  # N OH OW C KH KW
    out = np.einsum("nhwckl,klcm->nhwcm", win, w.astype(np.float32), optimize=True)
    return out.reshape(*out.shape[:3], -1)


def _fused(node: Node, y: np.ndarray, args: list[np.ndarray]) -> np.ndarray:
    """Apply a fused node's `fused_ops` after the convolution."""
    ops = node.attrs.get("fused_ops", [])
    rest = list(args)
    for op in ops:
        if op == "BiasAdd":
            y = y + rest.pop(0).astype(np.float32)
        elif op == "Relu":
            y = np.maximum(y, 0)
        elif op == "Relu6":
            y = np.clip(y, 0, 6)
        elif op == "Elu":
            y = np.where(y > 0, y, np.expm1(y))
        elif op == "LeakyRelu":
            y = np.where(y > 0, y, y * np.float32(node.attrs.get("leakyrelu_alpha", 0.2)))
        else:
            raise ModelError(f"{node.op} {node.name!r}: unsupported fused op {op!r}")
    return y.astype(np.float32)


def resize_bilinear(node: Node, x: np.ndarray, size: np.ndarray) -> np.ndarray:
    """ResizeBilinear (NHWC) with TensorFlow's align_corners / half_pixel_centers rules."""
    out_h, out_w = (int(v) for v in size)
    align = node.attrs.get("align_corners", False)
    half = node.attrs.get("half_pixel_centers", False)

    def axis(in_n: int, out_n: int):
        scale = (in_n - 1) / (out_n - 1) if align and out_n > 1 else in_n / out_n
        o = np.arange(out_n, dtype=np.float64)
        src = (o + 0.5) * scale - 0.5 if half else o * scale
        lo = np.floor(src)
        frac = (src - lo).astype(np.float32)
        lo_i = np.clip(lo, 0, in_n - 1).astype(int)
        hi_i = np.clip(np.ceil(src), 0, in_n - 1).astype(int)
        frac = np.where(src < 0, 0.0, frac).astype(np.float32)
        return lo_i, hi_i, frac

    y0, y1, fy = axis(x.shape[1], out_h)
    x0, x1, fx = axis(x.shape[2], out_w)
    x = x.astype(np.float32)
    top = (
        x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None]
        + x[:, y0][:, :, x1] * fx[None, None, :, None]
    )
    bot = (
        x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None]
        + x[:, y1][:, :, x1] * fx[None, None, :, None]
    )
    return (top * (1 - fy)[None, :, None, None] + bot * fy[None, :, None, None]).astype(np.float32)


def max_pool(node: Node, x: np.ndarray) -> np.ndarray:
    """MaxPool NHWC; padded cells never win (-inf)."""
    check_nhwc(node)
    k = node.attrs["ksize"]
    if k[0] != 1 or k[3] != 1:
        raise ModelError(f"MaxPool {node.name!r}: pooling over batch/channels is not supported")
    return _windows(x, node, (k[1], k[2]), -np.inf).max(axis=(4, 5)).astype(x.dtype)


def strided_slice_index(node: Node, begin, end, strides) -> tuple:
    """The numpy index tuple TF's StridedSlice means (masks: begin, end, ellipsis, new_axis,
    shrink_axis; bit i refers to entry i of begin/end/strides)."""
    a = node.attrs
    bm, em = a.get("begin_mask", 0), a.get("end_mask", 0)
    el, na, sh = a.get("ellipsis_mask", 0), a.get("new_axis_mask", 0), a.get("shrink_axis_mask", 0)
    index: list = []
    for i in range(len(begin)):
        bit = 1 << i
        if el & bit:
            index.append(Ellipsis)
        elif na & bit:
            index.append(None)
        elif sh & bit:
            index.append(int(begin[i]))
        else:
            index.append(
                slice(
                    None if bm & bit else int(begin[i]),
                    None if em & bit else int(end[i]),
                    int(strides[i]),
                )
            )
    return tuple(index)


def floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.floor_divide(a, b).astype(np.result_type(a, b))


def _select(cond, x, y):
    if cond.ndim == 1 and x.ndim > 1:  # Select (v1): a vector condition picks rows
        cond = cond.reshape(-1, *([1] * (x.ndim - 1)))
    return np.where(cond, x, y)


def _top_k(x, k):
    k = int(k)
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, idx, -1), idx.astype(np.int32)]


def _split(node, dim, x):
    return list(np.split(x, node.attrs["num_split"], axis=int(dim)))


def _reduce(fn):
    def run(node, x, axes):
        axes = tuple(int(a) for a in np.atleast_1d(axes))
        return fn(x, axis=axes, keepdims=bool(node.attrs.get("keep_dims", False))).astype(x.dtype)

    return run


def _cast(node, x):
    return x.astype(node.attrs["DstT"])


_BINARY = {
    "Add": np.add,
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "RealDiv": np.divide,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
    "SquaredDifference": lambda a, b: np.square(a - b),
    "FloorDiv": floor_div,
}
_COMPARE = {
    "Less": np.less,
    "LessEqual": np.less_equal,
    "Greater": np.greater,
    "GreaterEqual": np.greater_equal,
    "Equal": np.equal,
    "NotEqual": np.not_equal,
    "LogicalAnd": np.logical_and,
    "LogicalOr": np.logical_or,
}
_UNARY = {
    "Sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "Exp": np.exp,
    "Abs": np.abs,
    "Sqrt": np.sqrt,
    "Rsqrt": lambda x: 1.0 / np.sqrt(x),
    "Reciprocal": lambda x: 1.0 / x,
    "Relu": lambda x: np.maximum(x, 0),
    "Relu6": lambda x: np.clip(x, 0, 6),
    "Neg": np.negative,
    "Square": np.square,
    "Tanh": np.tanh,
    "Log": np.log,
    "Floor": np.floor,
}

OPS: dict[str, Callable] = {
    "Identity": lambda node, x: x,
    "Cast": _cast,
    "Conv2D": lambda node, x, w: conv2d(node, x, w),
    "_FusedConv2D": lambda node, x, w, *a: _fused(node, conv2d(node, x, w), a),
    "DepthwiseConv2dNative": lambda node, x, w: depthwise(node, x, w),
    "FusedDepthwiseConv2dNative": lambda node, x, w, *a: _fused(node, depthwise(node, x, w), a),
    "BiasAdd": lambda node, x, b: x + b,
    "MaxPool": max_pool,
    "ResizeBilinear": resize_bilinear,
    "AddN": lambda node, *xs: sum(xs[1:], xs[0]),
    "Select": lambda node, c, x, y: _select(c, x, y),
    "SelectV2": lambda node, c, x, y: np.where(c, x, y),
    "Shape": lambda node, x: np.array(x.shape, node.attrs.get("out_type", "int32")),
    "Size": lambda node, x: np.array(x.size, node.attrs.get("out_type", "int32")),
    "Reshape": lambda node, x, s: x.reshape([int(v) for v in s]),
    "Squeeze": lambda node, x: np.squeeze(x, tuple(node.attrs.get("squeeze_dims") or ()) or None),
    "ExpandDims": lambda node, x, d: np.expand_dims(x, int(d)),
    "Pack": lambda node, *xs: np.stack(xs, node.attrs.get("axis", 0)),
    "Unpack": lambda node, x: [
        np.take(x, i, axis=node.attrs.get("axis", 0))
        for i in range(x.shape[node.attrs.get("axis", 0)])
    ],
    "ConcatV2": lambda node, *xs: np.concatenate(xs[:-1], int(xs[-1])),
    "Split": _split,
    "StridedSlice": lambda node, x, b, e, s: np.asarray(x[strided_slice_index(node, b, e, s)]),
    "GatherNd": lambda node, x, i: x[tuple(np.moveaxis(i, -1, 0))],
    "TopKV2": lambda node, x, k: _top_k(x, k),
    "ArgMax": lambda node, x, a: np.argmax(x, int(a)).astype(
        node.attrs.get("output_type", "int64")
    ),
    "Max": _reduce(np.max),
    "Sum": _reduce(np.sum),
    "Mean": _reduce(np.mean),
    "Range": lambda node, a, b, d: np.arange(a, b, d).astype(np.result_type(a, b, d)),
    "Tile": lambda node, x, m: np.tile(x, [int(v) for v in m]),
    "Fill": lambda node, s, v: np.full([int(d) for d in s], v, dtype=v.dtype),
    "Pad": lambda node, x, p: np.pad(x, np.asarray(p, np.int64)),
    "PadV2": lambda node, x, p, v: np.pad(x, np.asarray(p, np.int64), constant_values=v),
    "ZerosLike": lambda node, x: np.zeros_like(x),
    "OnesLike": lambda node, x: np.ones_like(x),
}
OPS.update(
    {
        op: (lambda fn: lambda node, a, b: fn(a, b).astype(np.result_type(a, b)))(fn)
        for op, fn in _BINARY.items()
    }
)
OPS.update({op: (lambda fn: lambda node, a, b: fn(a, b))(fn) for op, fn in _COMPARE.items()})
OPS.update(
    {op: (lambda fn: lambda node, x: fn(x).astype(x.dtype))(fn) for op, fn in _UNARY.items()}
)
OPS["LogicalNot"] = lambda node, x: np.logical_not(x)


def run_node(node: Node, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """One node's outputs (always a list) from its input arrays."""
    fn = OPS.get(node.op)
    if fn is None:
        raise ModelError(f"unsupported TF.js op {node.op!r} (node {node.name!r})")
    try:
        out = fn(node, *inputs)
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - numpy's reason, with the node named
        raise ModelError(f"{node.op} {node.name!r}: cannot evaluate: {e}") from e
    return [np.asarray(v) for v in out] if isinstance(out, list) else [np.asarray(out)]


def evaluate(
    graph: TfjsGraph, weights: dict[str, np.ndarray], feeds: dict[str, np.ndarray]
) -> dict[str, list[np.ndarray]]:
    """Every node's outputs (node name -> list of arrays) for the given input feeds
    (Placeholder name -> array)."""
    values: dict[str, list[np.ndarray]] = {}
    for node in topological_order(graph):
        if node.op == "Const":
            if node.name not in weights:
                raise ModelError(f"constant {node.name!r} has no weight in the manifest")
            values[node.name] = [weights[node.name]]
        elif node.op == "Placeholder":
            if node.name not in feeds:
                raise ModelError(f"no value fed for input {node.name!r}")
            values[node.name] = [np.asarray(feeds[node.name])]
        else:
            args = [values[ref.node][ref.port] for ref in node.inputs]
            values[node.name] = run_node(node, args)
    return values
