"""BlazePose landmark models from the TF.js export (blazepose-full/heavy) in the TFLite contract.

The TF.js graphs compute what MediaPipe's TFLite landmark model computes (same weights, float16
in the shard), with two differences at the outputs, measured on COCO crops with
blazepose-full.json against engines/pose_landmark_full.onnx:
- the heatmap output is sigmoid(logits) (`activation_heatmap/Sigmoid`); the TFLite model and the
  decoders (core/pose2d/decode.py) take the logits. The converted model outputs the Sigmoid's
  input instead (max abs difference to the TFLite logits 0.03 after that; the landmarks 0.06 crop
  px, presence 2e-4, world 1e-4 m);
- output names and order differ (TF.js: Identity = heatmap, Identity_2 = landmarks, Identity_3 =
  presence, Identity_4 = world, Identity_1 = segmentation); core/pose2d/tensors.py maps by shape,
  so names do not matter. The segmentation head (`activation_segmentation`), which nothing reads,
  is dropped before conversion, as the TFLite build prunes it.
Input: `input_1` [1, 256, 256, 3] float32 RGB in [0, 1] (the TF.js batch -1 is converted at 1).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import onnx

from pose3d_ros.core.pose2d.tensors import tensor_names
from pose3d_ros.errors import ModelError
from pose3d_ros.models.tfjs.convert import convert_graph
from pose3d_ros.models.tfjs.graph import TensorRef, TfjsGraph, read_graph
from pose3d_ros.models.tfjs.weights import read_weights

LANDMARK_INPUT_PX = 256  # the landmark models' crop side

HEATMAP_SIGMOID = "activation_heatmap/Sigmoid"
SEGMENTATION_SIGMOID = "activation_segmentation/Sigmoid"


def _producer(graph: TfjsGraph, ref: TensorRef):
    """The node behind an output: through Identity nodes to the first other op."""
    nodes = graph.by_name()
    node = nodes[ref.node]
    while node.op == "Identity" and node.inputs:
        node = nodes[node.inputs[0].node]
    return node


def landmark_graph(graph: TfjsGraph, keep_segmentation: bool = False) -> TfjsGraph:
    """`graph` with its heatmap output taken before the final sigmoid (logits) and, unless
    keep_segmentation, without the segmentation output; ModelError when either head is not
    found (not a BlazePose landmark graph)."""
    outputs, heatmap_found, seg_found = [], False, False
    for ref in graph.outputs:
        node = _producer(graph, ref)
        if node.op == "Sigmoid" and node.name.endswith(HEATMAP_SIGMOID):
            outputs.append(node.inputs[0])
            heatmap_found = True
        elif node.op == "Sigmoid" and node.name.endswith(SEGMENTATION_SIGMOID):
            seg_found = True
            if keep_segmentation:
                outputs.append(ref)
        else:
            outputs.append(ref)
    if not heatmap_found or not seg_found:
        raise ModelError(
            f"{graph.source}: not a BlazePose landmark graph (no {HEATMAP_SIGMOID} or "
            f"{SEGMENTATION_SIGMOID} output)"
        )
    return replace(graph, outputs=outputs)


def convert_landmark_file(model_json: Path, keep_segmentation: bool = False) -> onnx.ModelProto:
    """blazepose-*.json + its shard (beside it) -> ONNX in the TFLite contract, checked with the
    landmark model's tensor roles (core/pose2d/tensors.py)."""
    graph = landmark_graph(read_graph(model_json), keep_segmentation)
    weights = read_weights(graph.weights_manifest, Path(model_json).parent)
    name = Path(model_json).stem.replace("-", "_")
    model = convert_graph(graph, weights, (LANDMARK_INPUT_PX, LANDMARK_INPUT_PX), name)
    shapes = {
        kind: {
            v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim)
            for v in getattr(model.graph, kind)
        }
        for kind in ("input", "output")
    }
    tensor_names(
        "pose_landmark_full", shapes["input"], shapes["output"], optional=("segmentation",)
    )
    return model
