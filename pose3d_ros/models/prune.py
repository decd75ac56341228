"""Drop graph outputs nobody uses, together with every node and constant that only they needed.

The landmark model's segmentation head ((N, 256, 256, 1) logits) is about 45% of its CPU time and
nothing in the product reads it; ONNX Runtime still computes it when a run asks for fewer
outputs, so the only way to save the time is to remove it from the graph. Deterministic: kept
nodes, initializers and outputs stay in their original order.
"""

from __future__ import annotations

from collections.abc import Iterable

import onnx
from onnx import helper

from pose3d_ros.errors import ModelError


def prune_outputs(model: onnx.ModelProto, drop: Iterable[str]) -> onnx.ModelProto:
    """A copy of `model` without the graph outputs named in `drop` and the nodes only they needed.

    Keeps node/initializer order, the model's metadata and opset. ModelError if a name in `drop`
    is not a graph output or if every output would be dropped. The input model is not modified.
    """
    graph = model.graph
    outputs = [o.name for o in graph.output]
    drop = set(drop)
    unknown = drop - set(outputs)
    if unknown:
        raise ModelError(
            f"cannot drop {sorted(unknown)}: not outputs of {graph.name!r} ({outputs})"
        )
    keep_outputs = [o for o in graph.output if o.name not in drop]
    if not keep_outputs:
        raise ModelError(f"{graph.name!r}: dropping {sorted(drop)} would leave no outputs")
    needed = {o.name for o in keep_outputs}
    keep_node = [False] * len(graph.node)
    for k in range(len(graph.node) - 1, -1, -1):  # nodes are topologically sorted
        node = graph.node[k]
        if any(out in needed for out in node.output):
            keep_node[k] = True
            needed.update(i for i in node.input if i)
    nodes = [n for n, keep in zip(graph.node, keep_node) if keep]
    inits = [t for t in graph.initializer if t.name in needed]
    values = [v for v in graph.value_info if v.name in needed]
    new_graph = helper.make_graph(
        nodes,
        graph.name,
        list(graph.input),
        keep_outputs,
        initializer=inits,
        doc_string=graph.doc_string,
        value_info=values,
    )
    pruned = onnx.ModelProto()
    pruned.CopyFrom(model)
    pruned.graph.CopyFrom(new_graph)
    try:
        onnx.checker.check_model(pruned, full_check=True)
    except Exception as exc:  # onnx raises ValidationError / InferenceError
        raise ModelError(f"pruned model {graph.name!r} fails onnx.checker: {exc}") from exc
    return pruned
