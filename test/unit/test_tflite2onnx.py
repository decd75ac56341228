"""Known-answer tests of the TFLite -> ONNX converter's pieces (no network, no TensorFlow).

Tiny TFLite graphs are built directly as TfliteModel dataclasses (and one as a real flatbuffer),
converted, run with ONNX Runtime, and compared with NHWC numpy references of TFLite's semantics.
"""

from __future__ import annotations

import flatbuffers
import numpy as np
import pytest

from pose3d_ros.errors import ModelError
from pose3d_ros.models.onnx_ops import same_pads
from pose3d_ros.models.sparsity import densify
from pose3d_ros.models.tflite2onnx import convert_model, convert_tflite
from pose3d_ros.models.tflite_reader import (
    OpInfo,
    SparseDim,
    Sparsity,
    TensorInfo,
    TfliteModel,
    read_tflite,
)

ort = pytest.importorskip("onnxruntime")
RNG = np.random.default_rng(7)
F32 = np.dtype("<f4")


class Net:
    """Builds a one-subgraph TfliteModel op by op; tensors keep TFLite (NHWC) shapes with batch
    1."""

    def __init__(self):
        self.tensors: list[TensorInfo] = []
        self.ops: list[OpInfo] = []

    def tensor(self, name, shape, data=None, dtype=F32, sparsity=None) -> int:
        flat = None if data is None else np.asarray(data, dtype).reshape(-1)
        self.tensors.append(TensorInfo(name, tuple(shape), np.dtype(dtype), flat, sparsity))
        return len(self.tensors) - 1

    def op(self, opcode, inputs, out_name, out_shape, **options) -> int:
        out = self.tensor(out_name, out_shape)
        self.ops.append(OpInfo(opcode, tuple(inputs), (out,), options))
        return out

    def run(self, inputs, outputs, feeds: list[np.ndarray]) -> list[np.ndarray]:
        model = TfliteModel(tuple(self.tensors), tuple(self.ops), tuple(inputs), tuple(outputs))
        proto = convert_model(model, "test")
        sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
        names = [self.tensors[i].name for i in inputs]
        return sess.run(None, dict(zip(names, feeds)))


def conv_ref(x, w, b, stride, pads, groups=1):
    """NHWC conv: x [N,H,W,I], w [O,KH,KW,I/groups], pads (top, left, bottom, right)."""
    xp = np.pad(x, ((0, 0), (pads[0], pads[2]), (pads[1], pads[3]), (0, 0)))
    n, hp, wp, cin = xp.shape
    o, kh, kw, ig = w.shape
    oh, ow = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    out = np.zeros((n, oh, ow, o), np.float64)
    for oc in range(o):
        g = oc // (o // groups)
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    i * stride : i * stride + kh,
                    j * stride : j * stride + kw,
                    g * ig : (g + 1) * ig,
                ]
                out[:, i, j, oc] = np.tensordot(patch, w[oc], axes=3) + b[oc]
    return out


def bilinear_half_pixel_ref(x, out_h, out_w):
    """TF resize_bilinear(half_pixel_centers=True) on NHWC."""
    n, h, w, c = x.shape

    def axis(out, size):
        src = (np.arange(out) + 0.5) * size / out - 0.5
        lo = np.floor(src).astype(int)
        frac = src - lo
        return np.clip(lo, 0, size - 1), np.clip(lo + 1, 0, size - 1), frac

    y0, y1, fy = axis(out_h, h)
    x0, x1, fx = axis(out_w, w)
    top = (
        x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None]
        + x[:, y0][:, :, x1] * fx[None, None, :, None]
    )
    bot = (
        x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None]
        + x[:, y1][:, :, x1] * fx[None, None, :, None]
    )
    return top * (1 - fy)[None, :, None, None] + bot * fy[None, :, None, None]


@pytest.mark.parametrize(
    "in_size,kernel,stride,dilation,expected",
    [
        (8, 3, 2, 1, (0, 1)),  # the landmark model's asymmetric stride-2 depthwise conv
        (7, 3, 1, 1, (1, 1)),
        (256, 5, 2, 1, (1, 2)),
        (5, 1, 1, 1, (0, 0)),
        (10, 3, 1, 2, (2, 2)),  # dilated kernel spans 5
        (3, 5, 4, 1, (1, 1)),  # out 1: needs 5 - 3 = 2
    ],
)
def test_same_pads_known_answers(in_size, kernel, stride, dilation, expected):
    assert same_pads(in_size, kernel, stride, dilation) == expected


def test_densify_csr_rows():
    dense = np.array([[0, 1, 0, 0], [0, 0, 0, 0], [2, 0, 3, 0], [0, 0, 0, 4]], np.float16)
    sp = Sparsity(
        (0, 1),
        (),
        (
            SparseDim(True, 4),
            SparseDim(False, 0, np.array([0, 1, 1, 3, 4]), np.array([1, 0, 2, 3])),
        ),
    )
    got = densify(np.array([1, 2, 3, 4], np.float16), (4, 4), sp)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, dense)


def test_densify_column_major_traversal():
    dense = np.array([[0, 1, 0, 0], [0, 0, 0, 0], [2, 0, 3, 0], [0, 0, 0, 4]], np.float32)
    sp = Sparsity(
        (1, 0),
        (),
        (
            SparseDim(True, 4),
            SparseDim(False, 0, np.array([0, 1, 2, 3, 4]), np.array([2, 0, 2, 3])),
        ),
    )
    np.testing.assert_array_equal(densify(np.array([2, 1, 3, 4], np.float32), (4, 4), sp), dense)


def test_densify_block_sparse():
    dense = np.array([[1, 2, 0, 0], [3, 4, 0, 0], [0, 0, 0, 0], [0, 0, 5, 6]], np.float32)
    # 2x2 blocks: block row 0 holds block col 0, block row 1 holds block col 1; each block dense.
    sp = Sparsity(
        (0, 1, 2, 3),
        (0, 1),
        (
            SparseDim(True, 2),
            SparseDim(False, 0, np.array([0, 1, 2]), np.array([0, 1])),
            SparseDim(True, 2),
            SparseDim(True, 2),
        ),
    )
    np.testing.assert_array_equal(
        densify(np.array([1, 2, 3, 4, 0, 0, 5, 6], np.float32), (4, 4), sp), dense
    )


def test_densify_rejects_out_of_range_segments():
    sp = Sparsity(
        (0, 1), (), (SparseDim(True, 2), SparseDim(False, 0, np.array([0, 5, 9]), np.array([0, 1])))
    )
    with pytest.raises(ModelError):
        densify(np.ones(2, np.float32), (2, 2), sp)


def test_conv_same_stride2_relu6_matches_numpy():
    net = Net()
    x = net.tensor("input_1", (1, 8, 8, 3))
    w = RNG.normal(size=(4, 3, 3, 3)).astype(np.float32)
    b = RNG.normal(size=4).astype(np.float32)
    wi = net.tensor("w", w.shape, w.astype(np.float16), dtype=np.dtype("<f2"))
    wd = net.op("DEQUANTIZE", [wi], "w_deq", w.shape)
    y = net.op(
        "CONV_2D",
        [x, wd, net.tensor("b", (4,), b)],
        "y",
        (1, 4, 4, 4),
        padding=0,
        stride_w=2,
        stride_h=2,
        activation=3,
        dilation_w=1,
        dilation_h=1,
    )
    xin = RNG.normal(size=(2, 8, 8, 3)).astype(np.float32) * 3
    (got,) = net.run([x], [y], [xin])
    ref = np.clip(conv_ref(xin, w.astype(np.float16).astype(np.float32), b, 2, (0, 0, 1, 1)), 0, 6)
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_depthwise_multiplier2_and_valid_padding():
    net = Net()
    x = net.tensor("input_1", (1, 6, 6, 2))
    w = RNG.normal(size=(1, 3, 3, 4)).astype(np.float32)  # C=2, M=2 -> out channel c*2+m
    y = net.op(
        "DEPTHWISE_CONV_2D",
        [x, net.tensor("w", w.shape, w), -1],
        "y",
        (1, 4, 4, 4),
        padding=1,
        stride_w=1,
        stride_h=1,
        depth_multiplier=2,
        activation=0,
        dilation_w=1,
        dilation_h=1,
    )
    xin = RNG.normal(size=(1, 6, 6, 2)).astype(np.float32)
    (got,) = net.run([x], [y], [xin])
    w_full = w[0].transpose(2, 0, 1)[:, :, :, None]  # [4, 3, 3, 1], grouped conv with 2 groups
    np.testing.assert_allclose(
        got, conv_ref(xin, w_full, np.zeros(4), 1, (0, 0, 0, 0), groups=2), atol=1e-5
    )


def test_depth_to_space_is_dcr():
    net = Net()
    x = net.tensor("input_1", (1, 2, 3, 8))
    y = net.op("DEPTH_TO_SPACE", [x], "y", (1, 4, 6, 2), block_size=2)
    xin = np.arange(2 * 2 * 3 * 8, dtype=np.float32).reshape(2, 2, 3, 8)
    (got,) = net.run([x], [y], [xin])
    ref = xin.reshape(2, 2, 3, 2, 2, 2).transpose(0, 1, 3, 2, 4, 5).reshape(2, 4, 6, 2)
    np.testing.assert_array_equal(got, ref)
    assert got[0, 1, 0, 1] == xin[0, 0, 0, (1 * 2 + 0) * 2 + 1]


def test_reshape_and_concat_keep_nhwc_semantics_with_dynamic_batch():
    net = Net()
    x = net.tensor("input_1", (1, 2, 2, 6))
    shape = net.tensor("shape", (3,), [1, -1, 3], dtype=np.dtype("<i4"))
    r = net.op("RESHAPE", [x, shape], "flat", (1, 8, 3))
    c4 = net.op("CONCATENATION", [x, x], "cat4", (1, 2, 2, 12), axis=3, activation=0)
    c3 = net.op("CONCATENATION", [r, r], "Identity", (1, 16, 3), axis=-2, activation=0)
    xin = RNG.normal(size=(3, 2, 2, 6)).astype(np.float32)
    got_r, got_c4, got_c3 = net.run([x], [r, c4, c3], [xin])
    np.testing.assert_array_equal(got_r, xin.reshape(3, 8, 3))
    np.testing.assert_array_equal(got_c4, np.concatenate([xin, xin], axis=3))
    np.testing.assert_array_equal(got_c3, np.concatenate([xin.reshape(3, 8, 3)] * 2, axis=1))


def test_resize_bilinear_half_pixel_matches_tf_formula():
    net = Net()
    x = net.tensor("input_1", (1, 3, 4, 2))
    y = net.op(
        "RESIZE_BILINEAR",
        [x, net.tensor("size", (2,), [6, 8], dtype=np.dtype("<i4"))],
        "y",
        (1, 6, 8, 2),
        align_corners=False,
        half_pixel_centers=True,
    )
    xin = RNG.normal(size=(1, 3, 4, 2)).astype(np.float32)
    (got,) = net.run([x], [y], [xin])
    np.testing.assert_allclose(got, bilinear_half_pixel_ref(xin, 6, 8), atol=1e-5)


def test_pad_channels_add_const_maxpool_logistic():
    net = Net()
    x = net.tensor("input_1", (1, 4, 4, 2))
    pads = net.tensor("pads", (4, 2), [[0, 0], [0, 0], [0, 0], [0, 2]], dtype=np.dtype("<i4"))
    p = net.op("PAD", [x, pads], "padded", (1, 4, 4, 4))
    bias = np.array([1.0, -1.0, 0.5, 2.0], np.float32)
    a = net.op("ADD", [p, net.tensor("bias", (4,), bias)], "added", (1, 4, 4, 4), activation=1)
    m = net.op(
        "MAX_POOL_2D",
        [a],
        "pooled",
        (1, 2, 2, 4),
        padding=1,
        stride_w=2,
        stride_h=2,
        filter_w=2,
        filter_h=2,
        activation=0,
    )
    s = net.op("LOGISTIC", [m], "Identity", (1, 2, 2, 4))
    xin = RNG.normal(size=(2, 4, 4, 2)).astype(np.float32)
    (got,) = net.run([x], [s], [xin])
    added = np.maximum(np.concatenate([xin, np.zeros_like(xin)], axis=3) + bias, 0)
    pooled = added.reshape(2, 2, 2, 2, 2, 4).max(axis=(2, 4))
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-pooled)), atol=1e-6)


def test_densify_op_folds_sparse_weights():
    net = Net()
    x = net.tensor("input_1", (1, 1, 1, 4))
    dense = np.array([[0, 1, 0, 0], [0, 0, 0, 0], [2, 0, 3, 0]], np.float16)  # 1x1 conv, O=3, I=4
    sp = Sparsity(
        (0, 1, 2, 3),
        (),
        (
            SparseDim(True, 3),
            SparseDim(True, 1),
            SparseDim(True, 1),
            SparseDim(False, 0, np.array([0, 1, 1, 3]), np.array([1, 0, 2])),
        ),
    )
    ws = net.tensor(
        "w_sparse",
        (3, 1, 1, 4),
        np.array([1, 2, 3], np.float16),
        dtype=np.dtype("<f2"),
        sparsity=sp,
    )
    wd = net.op("DENSIFY", [ws], "w_dense", (3, 1, 1, 4))
    wf = net.op("DEQUANTIZE", [wd], "w", (3, 1, 1, 4))
    y = net.op(
        "CONV_2D",
        [x, wf, -1],
        "y",
        (1, 1, 1, 3),
        padding=1,
        stride_w=1,
        stride_h=1,
        activation=0,
        dilation_w=1,
        dilation_h=1,
    )
    xin = np.array([[[[1.0, 10.0, 100.0, 1000.0]]]], np.float32)
    (got,) = net.run([x], [y], [xin])
    np.testing.assert_allclose(got.reshape(3), [10.0, 0.0, 302.0])
    np.testing.assert_allclose(got.reshape(3), dense.astype(np.float32) @ xin.reshape(4))


def test_unsupported_op_is_a_model_error():
    net = Net()
    x = net.tensor("input_1", (1, 2, 2, 1))
    y = net.op("BUILTIN_99", [x], "y", (1, 2, 2, 1))
    with pytest.raises(ModelError, match="BUILTIN_99"):
        net.run([x], [y], [np.zeros((1, 2, 2, 1), np.float32)])


def _flatbuffer_logistic_model() -> bytes:
    """A real TFL3 flatbuffer: y = LOGISTIC(x), x/y [1, 4] float32, written with
    flatbuffers.Builder."""
    b = flatbuffers.Builder(256)

    def vec_i32(values):
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependInt32(v)
        return b.EndVector()

    def vec_tables(offsets):
        b.StartVector(4, len(offsets), 4)
        for o in reversed(offsets):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    def table(fields):  # fields: (slot id, kind, value) with kind in {"off", "i32", "i8", "u32"}
        b.StartObject(max(f[0] for f in fields) + 1)
        for slot, kind, value in fields:
            {
                "off": b.PrependUOffsetTRelativeSlot,
                "i32": b.PrependInt32Slot,
                "i8": b.PrependInt8Slot,
                "u32": b.PrependUint32Slot,
            }[kind](slot, value, 0)
        return b.EndObject()

    tensors = []
    for name in ("x", "y"):
        n, s = b.CreateString(name), vec_i32([1, 4])
        tensors.append(table([(0, "off", s), (1, "i8", 0), (2, "u32", 0), (3, "off", n)]))
    op = table([(0, "u32", 0), (1, "off", vec_i32([0])), (2, "off", vec_i32([1]))])
    subgraph = table(
        [
            (0, "off", vec_tables(tensors)),
            (1, "off", vec_i32([0])),
            (2, "off", vec_i32([1])),
            (3, "off", vec_tables([op])),
        ]
    )
    code = table([(0, "i8", 14), (3, "i32", 14)])
    buffer = table([(0, "u32", 0)])
    model = table(
        [
            (0, "u32", 3),
            (1, "off", vec_tables([code])),
            (2, "off", vec_tables([subgraph])),
            (4, "off", vec_tables([buffer])),
        ]
    )
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def test_reader_parses_a_hand_built_flatbuffer_and_converts_it():
    buf = _flatbuffer_logistic_model()
    model = read_tflite(buf)
    assert [t.name for t in model.tensors] == ["x", "y"]
    assert model.ops[0].opcode == "LOGISTIC" and model.inputs == (0,) and model.outputs == (1,)
    onnx_bytes = convert_tflite(buf, "logistic")
    assert onnx_bytes == convert_tflite(buf, "logistic")  # deterministic
    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    xin = np.array([[-2.0, 0.0, 1.0, 3.0], [5.0, -5.0, 0.5, 0.25]], np.float32)
    np.testing.assert_allclose(sess.run(None, {"x": xin})[0], 1 / (1 + np.exp(-xin)), atol=1e-6)


@pytest.mark.parametrize(
    "garbage", [b"", b"not a model at all", b"\x10\x00\x00\x00TFL3" + b"\xff" * 8]
)
def test_reader_rejects_garbage(garbage):
    with pytest.raises(ModelError):
        read_tflite(garbage)


def test_prune_outputs_drops_an_output_and_only_the_nodes_it_needs():
    from onnx import TensorProto, helper, numpy_helper

    from pose3d_ros.models.prune import prune_outputs

    info = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 4])  # noqa: E731
    nodes = [
        helper.make_node("Relu", ["x"], ["shared"], name="shared"),
        helper.make_node("Add", ["shared", "w_keep"], ["keep"], name="keep"),
        helper.make_node("Mul", ["shared", "w_drop"], ["mid"], name="mid"),
        helper.make_node("Sigmoid", ["mid"], ["drop"], name="drop"),
    ]
    inits = [
        numpy_helper.from_array(np.full(4, v, np.float32), n)
        for n, v in (("w_keep", 1.0), ("w_drop", 3.0))
    ]
    model = helper.make_model(
        helper.make_graph(nodes, "g", [info("x")], [info("keep"), info("drop")], inits),
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=8,
    )
    before = model.SerializeToString()
    pruned = prune_outputs(model, ["drop"])
    assert model.SerializeToString() == before  # input not modified
    assert [n.name for n in pruned.graph.node] == ["shared", "keep"]
    assert [t.name for t in pruned.graph.initializer] == ["w_keep"]
    assert [o.name for o in pruned.graph.output] == ["keep"]
    assert pruned.SerializeToString(deterministic=True) == prune_outputs(
        model, ["drop"]
    ).SerializeToString(deterministic=True)
    xin = np.array([[-1.0, 0.0, 2.0, 5.0]], np.float32)
    full = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        ["keep"], {"x": xin}
    )
    got = ort.InferenceSession(pruned.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        None, {"x": xin}
    )
    np.testing.assert_array_equal(got[0], full[0])
    np.testing.assert_array_equal(got[0], np.maximum(xin, 0) + 1)
    with pytest.raises(ModelError, match="not outputs"):
        prune_outputs(model, ["nope"])
    with pytest.raises(ModelError, match="no outputs"):
        prune_outputs(model, ["keep", "drop"])
