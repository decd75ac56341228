"""The project's own TFLite -> ONNX converter (numpy + flatbuffers + onnx; no TensorFlow).

Covers exactly the op set of MediaPipe's BlazePose models: DEQUANTIZE and DENSIFY (folded into
float32 constants), CONV_2D, DEPTHWISE_CONV_2D, ADD, PAD, RESHAPE, DEPTH_TO_SPACE, RESIZE_BILINEAR,
CONCATENATION, MAX_POOL_2D, LOGISTIC and fused RELU/RELU6. Anything else raises ModelError naming
the op. Output: opset 17, IR version 8, a dynamic batch dimension named `batch`, graph inputs and
outputs with TFLite's names and layouts (NHWC for rank 4), byte-identical for identical input.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from pose3d_ros.errors import ModelError
from pose3d_ros.models.onnx_graph import BATCH_DIM, GraphBuilder
from pose3d_ros.models.onnx_names import NCHW_TO_NHWC, NHWC_TO_NCHW
from pose3d_ros.models.onnx_ops import BUILDERS
from pose3d_ros.models.sparsity import densify
from pose3d_ros.models.tflite_reader import TfliteModel, read_tflite

CONVERTER_VERSION = "1.1.0"  # 1.1: unused outputs pruned by build.py
OPSET = 17
IR_VERSION = 8
PRODUCER = "pose3d_ros.models.tflite2onnx"


def _initial_constants(model: TfliteModel) -> dict[int, np.ndarray]:
    """Dense constant tensors (TFLite layout); sparse ones wait for their DENSIFY op."""
    consts = {}
    for index, t in enumerate(model.tensors):
        if t.data is None or t.sparsity is not None:
            continue
        if t.data.size != int(np.prod(t.shape, dtype=np.int64)):
            raise ModelError(f"tensor {t.name!r}: {t.data.size} values for shape {t.shape}")
        consts[index] = t.data.reshape(t.shape)
    return consts


def _fold(model: TfliteModel, op, consts: dict[int, np.ndarray]) -> np.ndarray:
    """Value of a DENSIFY or DEQUANTIZE op whose input is constant."""
    src = model.tensors[op.inputs[0]]
    if op.opcode == "DENSIFY":
        if src.sparsity is None or src.data is None:
            raise ModelError(f"DENSIFY of {src.name!r}: input is not a sparse constant")
        return densify(src.data, src.shape, src.sparsity)
    if op.inputs[0] not in consts:
        raise ModelError(f"DEQUANTIZE of {src.name!r}: only constant inputs are supported")
    value = consts[op.inputs[0]]
    if value.dtype != np.float16:
        raise ModelError(
            f"DEQUANTIZE of {src.name!r}: only float16 weights are supported, got {value.dtype}"
        )
    return value.astype(np.float32)


def _io_info(model: TfliteModel, index: int) -> onnx.ValueInfoProto:
    t = model.tensors[index]
    if t.dtype != np.float32:
        raise ModelError(
            f"graph tensor {t.name!r}: only float32 inputs/outputs are supported, got {t.dtype}"
        )
    if not t.shape or t.shape[0] != 1:
        raise ModelError(
            f"graph tensor {t.name!r}: expected a leading batch dimension of 1, got {t.shape}"
        )
    return helper.make_tensor_value_info(t.name, onnx.TensorProto.FLOAT, [BATCH_DIM, *t.shape[1:]])


def convert_model(model: TfliteModel, graph_name: str, source_sha256: str = "") -> onnx.ModelProto:
    """Convert a parsed TFLite model into an ONNX ModelProto (checked with onnx.checker)."""
    g = GraphBuilder(model, _initial_constants(model))
    for index in model.inputs:
        name = model.tensors[index].name
        g.reserve(name)
        g.bind(
            index, g.transpose(name, NHWC_TO_NCHW, name + "__nchw") if g.rank(index) == 4 else name
        )
    for index in model.outputs:
        g.reserve(model.tensors[index].name)
    for op in model.ops:
        if op.opcode in ("DEQUANTIZE", "DENSIFY"):
            g.constants[op.outputs[0]] = _fold(model, op, g.constants)
            continue
        builder = BUILDERS.get(op.opcode)
        if builder is None:
            raise ModelError(
                f"unsupported TFLite op {op.opcode} (output {model.tensors[op.outputs[0]].name!r})"
            )
        builder(g, op)
    for index in model.outputs:
        if g.rank(index) == 4:
            g.node(
                "Transpose", [g.value(index)], model.tensors[index].name, perm=list(NCHW_TO_NHWC)
            )
        elif g.value(index) != model.tensors[index].name:
            raise ModelError(
                f"graph output {model.tensors[index].name!r} was not produced by an op"
            )
    graph = helper.make_graph(
        g.nodes,
        graph_name,
        [_io_info(model, i) for i in model.inputs],
        [_io_info(model, i) for i in model.outputs],
        initializer=g.initializers,
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name=PRODUCER,
        producer_version=CONVERTER_VERSION,
        doc_string=f"Converted from TFLite (sha256 {source_sha256 or 'unknown'})",
    )
    if source_sha256:
        helper.set_model_props(onnx_model, {"source_tflite_sha256": source_sha256})
    try:
        onnx.checker.check_model(onnx_model, full_check=True)
    except Exception as exc:  # onnx raises ValidationError / InferenceError
        raise ModelError(f"converted model {graph_name!r} fails onnx.checker: {exc}") from exc
    return onnx_model


def convert_tflite(tflite_bytes: bytes, graph_name: str, source_sha256: str = "") -> bytes:
    """TFLite flatbuffer bytes -> serialized ONNX bytes (deterministic)."""
    onnx_model = convert_model(read_tflite(tflite_bytes), graph_name, source_sha256)
    return onnx_model.SerializeToString(deterministic=True)
