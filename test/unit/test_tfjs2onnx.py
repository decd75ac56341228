"""Known-answer tests of the TF.js graph -> ONNX converter (no network, no TensorFlow, no npm).

Tiny TF.js graph models are written by hand as model.json dicts (GraphDef-as-JSON), converted,
run with ONNX Runtime and compared with the numpy reference of TensorFlow's semantics
(models/tfjs/reference.py); the reference itself is checked against hand-computed answers.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from pose3d_ros.errors import ModelError
from pose3d_ros.models.tfjs.convert import convert_file, convert_graph
from pose3d_ros.models.tfjs.graph import Node, parse_graph, topological_order
from pose3d_ros.models.tfjs.reference import evaluate, resize_bilinear, same_pads
from pose3d_ros.models.tfjs.weights import encode_weights, read_weights

ort = pytest.importorskip("onnxruntime")
RNG = np.random.default_rng(11)
DT = {"float32": "DT_FLOAT", "int32": "DT_INT32", "bool": "DT_BOOL"}


def attr(value):
    """A Python value as a TF AttrValue in JSON (the TF.js model.json encoding)."""
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, int):
        return {"i": str(value)}
    if isinstance(value, float):
        return {"f": value}
    if isinstance(value, str) and value in DT:
        return {"type": DT[value]}
    if isinstance(value, str):
        return {"s": base64.b64encode(value.encode()).decode()}
    if isinstance(value, list) and value and isinstance(value[0], str):
        return {"list": {"s": [base64.b64encode(v.encode()).decode() for v in value]}}
    return {"list": {"i": [str(v) for v in value]}}


class Net:
    """Builds a TF.js graph model dict node by node; inputs are Placeholders, constants weights."""

    def __init__(self):
        self.nodes: list[dict] = []
        self.weights: dict[str, np.ndarray] = {}
        self.feeds: dict[str, np.ndarray] = {}

    def input(self, name: str, value) -> str:
        value = np.asarray(value)
        shape = {"dim": [{"size": str(d)} for d in value.shape]}
        self.nodes.append(
            {
                "name": name,
                "op": "Placeholder",
                "attr": {"dtype": attr(str(value.dtype)), "shape": {"shape": shape}},
            }
        )
        self.feeds[name] = value
        return name

    def const(self, name: str, value) -> str:
        self.weights[name] = np.asarray(value)
        self.nodes.append({"name": name, "op": "Const", "attr": {}})
        return name

    def op(self, op: str, inputs: list[str], name: str | None = None, **attrs) -> str:
        name = name or f"{op}_{len(self.nodes)}"
        self.nodes.append(
            {
                "name": name,
                "op": op,
                "input": inputs,
                "attr": {k: attr(v) for k, v in attrs.items()},
            }
        )
        return name

    def model(self, outputs: list[str]) -> dict:
        sig_in = {n: {"name": f"{n}:0"} for n in self.feeds}
        sig_out = {o: {"name": o if ":" in o else f"{o}:0"} for o in outputs}
        return {
            "format": "graph-model",
            "modelTopology": {"node": self.nodes},
            "signature": {"inputs": sig_in, "outputs": sig_out},
            "weightsManifest": [],
        }

    def check(self, outputs: list[str], atol=1e-5) -> list[np.ndarray]:
        """Convert, run with ONNX Runtime, compare with the numpy reference; returns ORT's."""
        graph = parse_graph(self.model(outputs), "test")
        onnx_model = convert_graph(graph, self.weights)
        sess = ort.InferenceSession(
            onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        got = sess.run(None, self.feeds)
        ref = evaluate(graph, self.weights, self.feeds)
        for ref_out, value in zip(graph.outputs, got):
            want = ref[ref_out.node][ref_out.port]
            assert value.shape == want.shape, (value.shape, want.shape)
            assert value.dtype == want.dtype, (value.dtype, want.dtype)
            np.testing.assert_allclose(value, want, atol=atol, rtol=1e-5)
        return got


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# -- the numpy reference against hand-computed answers -------------------------------------------


def test_reference_conv_matches_explicit_loops():
    net = Net()
    x, w, b = f32(1, 5, 6, 3), f32(3, 3, 3, 4), f32(4)
    net.input("x", x)
    y = net.op(
        "_FusedConv2D",
        ["x", net.const("w", w), net.const("b", b)],
        fused_ops=["BiasAdd"],
        strides=[1, 2, 2, 1],
        padding="SAME",
        num_args=1,
    )
    out = evaluate(parse_graph(net.model([y])), net.weights, net.feeds)[y][0]
    pt, pb = same_pads(5, 3, 2)
    pl, pr = same_pads(6, 3, 2)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    want = np.zeros((1, 3, 3, 4), np.float32)
    for i in range(3):
        for j in range(3):
            patch = xp[0, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3]
            want[0, i, j] = np.tensordot(patch, w, axes=3) + b
    np.testing.assert_allclose(out, want, atol=1e-5)
    assert (pt, pb, pl, pr) == (1, 1, 0, 1)  # W 6: the odd pixel goes after


def test_reference_resize_bilinear_modes():
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)  # row [0, 1, 2, 3]

    def node(**attrs):
        return Node("r", "ResizeBilinear", [], attrs)

    up = np.array([1, 8])
    half = resize_bilinear(node(half_pixel_centers=True), x, up)[0, 0, :, 0]
    align = resize_bilinear(node(align_corners=True), x, up)[0, 0, :, 0]
    legacy = resize_bilinear(node(), x, up)[0, 0, :, 0]
    np.testing.assert_allclose(half, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
    np.testing.assert_allclose(align, np.arange(8) * 3 / 7, atol=1e-6)
    np.testing.assert_allclose(legacy, [0, 0.5, 1, 1.5, 2, 2.5, 3, 3])


def test_reference_strided_slice_masks():
    net = Net()
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    net.input("x", x)
    # x[1, ..., ::-2] with a new axis in front: begin_mask/end_mask on the last entry
    b = net.const("b", np.array([0, 1, 0, 0], np.int32))
    e = net.const("e", np.array([0, 2, 0, 0], np.int32))
    s = net.const("s", np.array([1, 1, 1, -2], np.int32))
    y = net.op(
        "StridedSlice",
        ["x", b, e, s],
        new_axis_mask=1,
        shrink_axis_mask=2,
        ellipsis_mask=4,
        begin_mask=8,
        end_mask=8,
    )
    got = evaluate(parse_graph(net.model([y])), net.weights, net.feeds)[y][0]
    np.testing.assert_array_equal(got, x[None, 1, ..., ::-2])
    out = net.check([y])[0]
    np.testing.assert_array_equal(out, x[None, 1, ..., ::-2])


def test_weights_round_trip_float16_and_int32(tmp_path):
    arrays = {"w": f32(2, 3), "i": np.array([[1, -2]], np.int32), "m": np.array([True, False])}
    manifest, data = encode_weights(arrays, "m.bin")
    (tmp_path / "m.bin").write_bytes(data)
    got = read_weights(manifest, tmp_path)
    np.testing.assert_array_equal(got["w"], arrays["w"].astype(np.float16).astype(np.float32))
    np.testing.assert_array_equal(got["i"], arrays["i"])
    np.testing.assert_array_equal(got["m"], arrays["m"])
    (tmp_path / "m.bin").write_bytes(data[:-1])
    with pytest.raises(ModelError, match="bytes"):
        read_weights(manifest, tmp_path)


# -- op mappings: ONNX Runtime vs the reference ---------------------------------------------------


@pytest.mark.parametrize(
    "fused, padding, strides, dilations, hw",
    [
        (["BiasAdd", "Relu6"], "SAME", [1, 2, 2, 1], [1, 1, 1, 1], (7, 9)),
        (["BiasAdd"], "VALID", [1, 1, 1, 1], [1, 1, 1, 1], (6, 6)),
        (["BiasAdd", "Relu"], "SAME", [1, 1, 1, 1], [1, 2, 2, 1], (8, 7)),
    ],
)
def test_fused_conv2d(fused, padding, strides, dilations, hw):
    net = Net()
    net.input("x", f32(1, *hw, 3))
    y = net.op(
        "_FusedConv2D",
        ["x", net.const("w", f32(3, 3, 3, 5)), net.const("b", f32(5))],
        fused_ops=fused,
        padding=padding,
        strides=strides,
        dilations=dilations,
        num_args=1,
    )
    net.check([y])


@pytest.mark.parametrize("fused", [True, False])
def test_depthwise_conv_with_channel_multiplier(fused):
    net = Net()
    net.input("x", f32(1, 9, 8, 3))
    w = net.const("w", f32(3, 3, 3, 2))  # [KH, KW, C, M]
    if fused:
        y = net.op(
            "FusedDepthwiseConv2dNative",
            ["x", w, net.const("b", f32(6))],
            fused_ops=["BiasAdd", "Relu6"],
            padding="SAME",
            strides=[1, 2, 2, 1],
            num_args=1,
        )
    else:
        y = net.op("DepthwiseConv2dNative", ["x", w], padding="SAME", strides=[1, 1, 1, 1])
    net.check([y])


def test_max_pool_same_and_nchw_elementwise_chain():
    """MoveNet's peak finding: sigmoid(conv) - maxpool(.), |.| < eps, cast, times sigmoid; the
    conv output stays NCHW through the chain and only the final reshape sees NHWC."""
    net = Net()
    net.input("x", f32(1, 6, 7, 2))
    c = net.op(
        "_FusedConv2D",
        ["x", net.const("w", f32(1, 1, 2, 3)), net.const("b", f32(3))],
        fused_ops=["BiasAdd"],
        padding="VALID",
        strides=[1, 1, 1, 1],
        num_args=1,
    )
    s = net.op("Sigmoid", [c])
    p = net.op("MaxPool", [s], ksize=[1, 5, 5, 1], strides=[1, 1, 1, 1], padding="SAME")
    d = net.op("Abs", [net.op("Sub", [s, p])])
    mask = net.op("Cast", [net.op("Less", [d, net.const("eps", np.float32(1e-6))])], DstT="float32")
    m = net.op("Mul", [s, mask])
    scaled = net.op("AddV2", [m, net.const("chan", f32(3))])  # a per-channel constant
    y = net.op("Reshape", [scaled, net.const("shape", np.array([1, -1], np.int32))])
    net.check([y, p])


@pytest.mark.parametrize("mode", [{"half_pixel_centers": True}, {"align_corners": True}, {}])
def test_resize_bilinear_with_size_from_shape(mode):
    """The size input is computed from Shape (folded at conversion), as in MoveNet's FPN."""
    net = Net()
    net.input("x", f32(1, 4, 5, 2))
    shape = net.op("Shape", ["x"], out_type="int32")
    hw = net.op(
        "StridedSlice",
        [
            shape,
            net.const("b", np.array([1], np.int32)),
            net.const("e", np.array([3], np.int32)),
            net.const("s", np.array([1], np.int32)),
        ],
    )
    size = net.op("Mul", [hw, net.const("two", np.array([2, 2], np.int32))])
    y = net.op("ResizeBilinear", ["x", size], **mode)
    out = net.check([y])[0]
    assert out.shape == (1, 8, 10, 2)


@pytest.mark.parametrize(
    "op", ["Sigmoid", "Exp", "Abs", "Sqrt", "Reciprocal", "Relu6", "Rsqrt", "Square", "Tanh"]
)
def test_unary(op):
    net = Net()
    x = f32(2, 3, 4)
    net.input("x", np.abs(x) + 0.5 if op in ("Sqrt", "Rsqrt", "Reciprocal") else x * 4)
    net.check([net.op(op, ["x"])])


@pytest.mark.parametrize(
    "op",
    ["AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "FloorDiv"],
)
def test_binary_float_with_broadcast(op):
    net = Net()
    net.input("a", f32(2, 3, 4))
    net.input("b", np.abs(f32(3, 1)) + 0.5)
    net.check([net.op(op, ["a", "b"])])


def test_integer_floor_div_and_mod_signs():
    net = Net()
    a = np.array([7, -7, 7, -7, 0, 12], np.int32)
    b = np.array([2, 2, -2, -2, 3, 5], np.int32)
    net.input("a", a)
    net.input("b", b)
    out = net.check([net.op("FloorDiv", ["a", "b"])])[0]
    np.testing.assert_array_equal(out, [3, -4, -4, 3, 0, 2])


@pytest.mark.parametrize(
    "op", ["Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual"]
)
def test_comparisons_logical_and_cast(op):
    net = Net()
    net.input("a", np.array([1, 2, 3, 4], np.int32))
    net.input("b", np.array([3, 2, 1, 4], np.int32))
    c = net.op(op, ["a", "b"])
    both = net.op("LogicalAnd", [c, net.op("Greater", ["a", net.const("one", np.int32(1))])])
    net.check([c, net.op("Cast", [both], DstT="float32")])


def test_select_v1_vector_condition_and_same_shape():
    net = Net()
    net.input("x", f32(4, 3))
    net.input("y", f32(4, 3))
    net.input("c", np.array([True, False, False, True]))
    rows = net.op("Select", ["c", "x", "y"])
    elem = net.op("Select", [net.op("Greater", ["x", "y"]), "x", "y"])
    net.check([rows, elem])


def test_add_n_reductions_argmax_topk():
    net = Net()
    x = net.input("x", f32(2, 5, 6))
    s = net.op("AddN", [x, x, net.const("c", f32(6))], N=3)
    mx = net.op("Max", [s, net.const("ax", np.array([2], np.int32))], keep_dims=False)
    sm = net.op("Sum", [s, net.const("ax2", np.array([1, 2], np.int32))], keep_dims=True)
    am = net.op("ArgMax", [s, net.const("ax3", np.int32(1))], output_type="int32")
    flat = net.op("Reshape", [s, net.const("sh", np.array([2, -1], np.int32))])
    tk = net.op("TopKV2", [flat, net.const("k", np.int32(4))], sorted=True)
    net.check([mx, sm, am, tk, f"{tk}:1"])


def test_shape_ops_pack_unpack_concat_split_squeeze_expand():
    net = Net()
    x = net.input("x", f32(2, 3, 4))
    u = net.op("Unpack", [x], num=3, axis=1)
    p = net.op("Pack", [f"{u}:2", u], axis=2, N=2)  # [2, 4, 2]
    e = net.op("ExpandDims", [p, net.const("d", np.int32(-1))])
    q = net.op("Squeeze", [e], squeeze_dims=[3])
    c = net.op("ConcatV2", [q, q, net.const("axis", np.int32(-1))], N=2)
    sp = net.op("Split", [net.const("dim", np.int32(2)), c], num_split=2)
    net.check([c, sp, f"{sp}:1", f"{u}:1"])


def test_gather_nd_tile_range_fill():
    net = Net()
    x = net.input("x", f32(4, 5, 3))
    idx = net.input("i", np.array([[0, 1], [3, 4], [2, 0]], np.int32))
    g = net.op("GatherNd", [x, idx])
    t = net.op("Tile", [g, net.const("m", np.array([2, 1], np.int32))])
    # Range and Fill over sizes from Shape: folded at conversion (as in MoveNet's meshgrid)
    n = net.op(
        "Cast",
        [net.op("Size", [idx], out_type="int32")],
        DstT="float32",
    )
    r = net.op("Range", [net.const("r0", np.float32(0)), n, net.const("r1", np.float32(1))])
    ones = net.op(
        "Fill", [net.const("fs", np.array([2, 6], np.int32)), net.const("one", np.float32(1))]
    )
    mesh = net.op("Mul", [r, ones])
    net.check([g, t, mesh])


def test_dynamic_range_and_fill_emitters():
    net = Net()
    v = net.input("v", np.float32(0.0))
    r = net.op("Range", [v, net.const("lim", np.float32(5)), net.const("d", np.float32(1))])
    fl = net.op("Fill", [net.const("s", np.array([2, 3], np.int32)), v])
    net.check([r, fl])


@pytest.mark.parametrize("layout", ["nhwc", "nchw"])
def test_pad_and_padv2(layout):
    """Pad (zeros) and PadV2 (a value) on an NHWC input, and on a conv output kept NCHW (the
    paddings then move with the layout), as BlazePose's zero_padding2d layers."""
    net = Net()
    net.input("x", f32(1, 5, 6, 2))
    x = "x"
    if layout == "nchw":
        x = net.op(
            "_FusedConv2D",
            ["x", net.const("w", f32(1, 1, 2, 3)), net.const("b", f32(3))],
            fused_ops=["BiasAdd"],
            padding="VALID",
            strides=[1, 1, 1, 1],
            num_args=1,
        )
    pads = net.const("p", np.array([[0, 0], [1, 2], [0, 3], [0, 1]], np.int32))
    y = net.op("Pad", [x, pads])
    z = net.op("PadV2", [x, pads, net.const("v", np.float32(-1.5))])
    a, b = net.check([y, z])
    assert a.shape[1:3] == (8, 9) and (a[:, 0] == 0).all() and (b[:, 0] == -1.5).all()


def test_blazepose_landmark_graph_takes_heatmap_logits_and_drops_segmentation():
    """models/tfjs/blazepose.landmark_graph: the heatmap output becomes its Sigmoid's input,
    the segmentation output goes (kept on request); a graph without the heads is refused."""
    from pose3d_ros.models.tfjs.blazepose import landmark_graph

    net = Net()
    net.input("x", f32(1, 4, 4, 2))
    heat = net.op("Neg", ["x"], name="m/output_heatmap/BiasAdd")
    hs = net.op("Sigmoid", [heat], name="m/activation_heatmap/Sigmoid")
    seg = net.op("Sigmoid", ["x"], name="m/activation_segmentation/Sigmoid")
    flag = net.op("Sigmoid", [net.op("Abs", ["x"])], name="m/activation_poseflag/Sigmoid")
    outs = [net.op("Identity", [hs], name="Identity"), net.op("Identity", [seg], name="Id_1")]
    outs.append(net.op("Identity", [flag], name="Identity_3"))
    graph = landmark_graph(parse_graph(net.model(outs), "t"))
    assert [r.node for r in graph.outputs] == [heat, "Identity_3"]
    model = convert_graph(graph, net.weights)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    logits, _ = sess.run(None, net.feeds)
    np.testing.assert_allclose(logits, -net.feeds["x"], atol=1e-6)  # no sigmoid applied
    kept = landmark_graph(parse_graph(net.model(outs), "t"), keep_segmentation=True)
    assert [r.node for r in kept.outputs] == [heat, "Id_1", "Identity_3"]
    with pytest.raises(ModelError, match="BlazePose"):
        landmark_graph(parse_graph(net.model(outs[2:]), "t"))


def test_unsupported_op_is_named():
    net = Net()
    net.input("x", f32(2, 2))
    y = net.op("MatrixInverse", ["x"])
    with pytest.raises(ModelError, match="MatrixInverse"):
        convert_graph(parse_graph(net.model([y]), "t"), net.weights)


def test_non_constant_filter_is_refused():
    net = Net()
    net.input("x", f32(1, 4, 4, 2))
    net.input("w", f32(1, 1, 2, 2))
    y = net.op("Conv2D", ["x", "w"], padding="VALID", strides=[1, 1, 1, 1])
    with pytest.raises(ModelError, match="filter"):
        convert_graph(parse_graph(net.model([y]), "t"), net.weights)


def test_control_edges_dropped_and_topological_order():
    net = Net()
    net.input("x", f32(2))
    b = net.op("Exp", ["x"], name="b")
    net.nodes.insert(0, {"name": "a", "op": "Abs", "input": ["b", "^x"], "attr": {}})
    order = [n.name for n in topological_order(parse_graph(net.model(["a"])))]
    assert order.index("b") < order.index("a") and order.index("x") < order.index("b")
    assert b == "b"


def test_file_conversion_is_deterministic_and_letterbox_sized(tmp_path):
    """model.json + .bin on disk (float16 weights), a dynamic [1, -1, -1, 3] int32 input fixed at
    conversion, as MoveNet MultiPose's."""
    net = Net()
    net.nodes.append(
        {
            "name": "input",
            "op": "Placeholder",
            "attr": {
                "dtype": {"type": "DT_INT32"},
                "shape": {
                    "shape": {"dim": [{"size": "1"}, {"size": "-1"}, {"size": "-1"}, {"size": "3"}]}
                },
            },
        }
    )
    xf = net.op("Cast", ["input"], DstT="float32")
    y = net.op(
        "_FusedConv2D",
        [xf, net.const("w", f32(3, 3, 3, 4)), net.const("b", f32(4))],
        fused_ops=["BiasAdd", "Relu6"],
        padding="SAME",
        strides=[1, 2, 2, 1],
        num_args=1,
    )
    model = net.model([y])
    model["signature"]["inputs"] = {"input": {"name": "input:0"}}
    manifest, data = encode_weights(net.weights, "tiny.bin")
    model["weightsManifest"] = manifest
    (tmp_path / "tiny.bin").write_bytes(data)
    (tmp_path / "tiny.json").write_text(json.dumps(model))
    a = convert_file(tmp_path / "tiny.json", (32, 64))
    b = convert_file(tmp_path / "tiny.json", (32, 64))
    assert a.SerializeToString(deterministic=True) == b.SerializeToString(deterministic=True)
    assert [d.dim_value for d in a.graph.input[0].type.tensor_type.shape.dim] == [1, 32, 64, 3]
    sess = ort.InferenceSession(a.SerializeToString(), providers=["CPUExecutionProvider"])
    x = RNG.integers(0, 256, (1, 32, 64, 3)).astype(np.int32)
    got = sess.run(None, {"input": x})[0]
    graph = parse_graph(model)
    ref = evaluate(graph, read_weights(manifest, tmp_path), {"input": x})[y][0]
    np.testing.assert_allclose(got, ref, atol=1e-3, rtol=1e-5)
    with pytest.raises(ModelError, match="input size"):
        convert_file(tmp_path / "tiny.json", None)
