"""Convert a TF.js graph model to ONNX at a fixed input size (opset 17, static shapes).

Steps: a numpy dry run (reference.evaluate) on a zero input of the chosen shape gives every
tensor's shape and dtype; what does not depend on the input (constants, Shape/Size and everything
computed only from them) is folded into initializers; the rest is emitted op by op
(onnx_emit.EMITTERS) in topological order, only what the graph's outputs need. Graph inputs keep
their TF.js names (`input`, NHWC, the Placeholder's dtype, e.g. int32 RGB for MoveNet), outputs
are named after the signature's output nodes. The result passes onnx.checker; identical input
gives byte-identical output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from pose3d_ros.errors import ModelError
from pose3d_ros.models.tfjs.builder import NHWC, OnnxBuilder, onnx_dtype
from pose3d_ros.models.tfjs.graph import TfjsGraph, read_graph, topological_order
from pose3d_ros.models.tfjs.onnx_emit import EMITTERS
from pose3d_ros.models.tfjs.reference import evaluate
from pose3d_ros.models.tfjs.weights import read_weights

CONVERTER_VERSION = "1.0.0"
OPSET = 17
IR_VERSION = 8
PRODUCER = "pose3d_ros.models.tfjs"
STATIC_OPS = ("Const", "Shape", "Size")  # ops whose output never depends on input values


def input_shapes(graph: TfjsGraph, size_hw: tuple[int, int] | None) -> dict[str, tuple]:
    """Each graph input's static shape: the Placeholder's, with -1 dims filled from `size_hw`
    (NHWC image inputs) and a -1 batch of an image input set to 1 (the backends run a batch-1
    model in chunks of one); ModelError when a dim stays unknown."""
    nodes = graph.by_name()
    shapes = {}
    for ref in graph.inputs:
        declared = nodes[ref.node].attrs.get("shape")
        shape = list(declared) if declared is not None else None
        if shape is not None and len(shape) == 4 and size_hw is not None:
            shape[1], shape[2] = size_hw
        if shape is not None and len(shape) == 4 and shape[0] < 0:
            shape[0] = 1  # a dynamic batch (BlazePose's [-1, 256, 256, 3]) is converted at 1
        if shape is None or any(d < 0 for d in shape):
            raise ModelError(
                f"input {ref.node!r} has shape {shape}: give the input size (H, W) to convert"
            )
        shapes[ref.node] = tuple(shape)
    return shapes


def _needed(graph: TfjsGraph) -> set[str]:
    by_name = graph.by_name()
    needed, stack = set(), [ref.node for ref in graph.outputs]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(ref.node for ref in by_name[name].inputs)
    return needed


def _dynamic(order, inputs: set[str]) -> set[str]:
    dynamic = set(inputs)
    for node in order:
        if node.op not in STATIC_OPS and any(ref.node in dynamic for ref in node.inputs):
            dynamic.add(node.name)
    return dynamic


def convert_graph(
    graph: TfjsGraph,
    weights: dict[str, np.ndarray],
    size_hw: tuple[int, int] | None = None,
    graph_name: str = "tfjs_model",
    doc: str = "",
    float_inputs: bool = False,
) -> onnx.ModelProto:
    """ONNX model of `graph` at input size `size_hw` (None: the Placeholder's own static shape).

    float_inputs: declare integer graph inputs as float32 (the project's backends feed float32;
    the values, e.g. RGB 0-255, must be whole numbers) and cast them to the graph's integer type
    inside the model.
    """
    shapes = input_shapes(graph, size_hw)
    nodes = graph.by_name()
    feeds = {
        name: np.zeros(shape, nodes[name].attrs.get("dtype", "float32"))
        for name, shape in shapes.items()
    }
    needed = _needed(graph)
    order = [n for n in topological_order(graph) if n.name in needed]
    unsupported = sorted(
        {n.op for n in order if n.op not in EMITTERS and n.op not in STATIC_OPS + ("Placeholder",)}
    )
    if unsupported:
        raise ModelError(f"{graph.source}: unsupported TF.js op(s) {', '.join(unsupported)}")
    sub = TfjsGraph(order, graph.inputs, graph.outputs, graph.weights_manifest, graph.source)
    with np.errstate(all="ignore"):
        dry = evaluate(sub, weights, feeds)
    b = OnnxBuilder(dry, _dynamic(order, set(shapes)))
    inputs_info = []
    for name, shape in shapes.items():
        b.reserve(name)
        dtype = feeds[name].dtype
        value = name
        if float_inputs and np.issubdtype(dtype, np.integer):
            value = b.node("Cast", [name], f"{name}__{dtype}", to=onnx_dtype(dtype))
            dtype = np.dtype(np.float32)
        b.bind_input(name, value)
        inputs_info.append(helper.make_tensor_value_info(name, onnx_dtype(dtype), shape))
    out_names = []
    for ref in graph.outputs:
        out_names.append(ref.node if ref.port == 0 else f"{ref.node}_{ref.port}")
        b.reserve(out_names[-1])
    for node in order:
        if node.name in b.dynamic and node.op != "Placeholder":
            b.bind(node, EMITTERS[node.op](b, node))
    outputs_info = []
    for ref, name in zip(graph.outputs, out_names):
        value = b.example(ref)
        src = b.get(ref, NHWC)
        b.nodes.append(helper.make_node("Identity", [src], [name], name=name))
        outputs_info.append(
            helper.make_tensor_value_info(name, onnx_dtype(value.dtype), value.shape)
        )
    onnx_graph = helper.make_graph(b.nodes, graph_name, inputs_info, outputs_info, b.initializers)
    model = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER,
        producer_version=CONVERTER_VERSION,
        doc_string=doc,
    )
    model.ir_version = IR_VERSION
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        raise ModelError(f"{graph.source}: converted graph fails onnx.checker: {e}") from e
    return model


def convert_file(
    model_json: Path, size_hw: tuple[int, int] | None = None, float_inputs: bool = False
) -> onnx.ModelProto:
    """Read model.json + its weight shards (beside it) and convert (see convert_graph)."""
    graph = read_graph(model_json)
    weights = read_weights(graph.weights_manifest, Path(model_json).parent)
    name = Path(model_json).stem.replace("-", "_")
    return convert_graph(graph, weights, size_hw, name, float_inputs=float_inputs)
