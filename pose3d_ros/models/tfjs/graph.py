"""Read a TF.js graph model's model.json: nodes (op, inputs, decoded attrs), inputs, outputs.

`modelTopology.node` is a TensorFlow GraphDef written as JSON: each node has `name`, `op`,
`input` (producer names, `name:k` for output k > 0, `^name` for control edges, which are dropped)
and `attr` (AttrValue as JSON: i/f/b/s(base64)/type/shape/list). `signature` names the graph's
inputs and outputs (`name:0`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path

from pose3d_ros.errors import ModelError

# TensorFlow DataType enum name -> numpy dtype name (the ones TF.js graph models use)
TF_DTYPES = {
    "DT_FLOAT": "float32",
    "DT_INT32": "int32",
    "DT_BOOL": "bool",
    "DT_INT64": "int64",
    "DT_HALF": "float16",
}


@dataclass(frozen=True)
class TensorRef:
    """Output `port` of node `node`."""

    node: str
    port: int = 0

    @staticmethod
    def parse(text: str) -> "TensorRef":
        name, _, port = text.partition(":")
        return TensorRef(name, int(port) if port else 0)

    def __str__(self) -> str:
        return self.node if self.port == 0 else f"{self.node}:{self.port}"


@dataclass
class Node:
    """One GraphDef node with its attributes decoded to Python values."""

    name: str
    op: str
    inputs: list[TensorRef]
    attrs: dict = field(default_factory=dict)


@dataclass
class TfjsGraph:
    """A parsed model.json: nodes in file order, graph inputs/outputs, the weights manifest."""

    nodes: list[Node]
    inputs: list[TensorRef]
    outputs: list[TensorRef]
    weights_manifest: list[dict]
    source: str = ""

    def by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes}


def _decode_attr(value: dict):
    """One AttrValue (JSON) -> int / float / bool / str / numpy dtype name / shape / list."""
    if "list" in value:
        lst = value["list"]
        for key in ("i", "f", "b", "s", "type", "shape"):
            if key in lst:
                return [_decode_attr({key: v}) for v in lst[key]]
        return []
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    if "s" in value:
        return base64.b64decode(value["s"]).decode("utf-8", "replace")
    if "type" in value:
        return TF_DTYPES.get(value["type"], value["type"])
    if "shape" in value:
        shape = value["shape"]
        if shape.get("unknownRank"):
            return None
        return [int(d.get("size", -1)) for d in shape.get("dim", [])]
    if "tensor" in value:
        return value["tensor"]
    return None


def parse_graph(model: dict, source: str = "") -> TfjsGraph:
    """A TfjsGraph from a loaded model.json dict; ModelError if it is not a TF.js graph model."""
    if model.get("format") not in (None, "graph-model"):
        raise ModelError(f"{source}: format {model.get('format')!r} is not a TF.js graph model")
    topology = model.get("modelTopology") or {}
    if "node" not in topology:
        raise ModelError(f"{source}: no modelTopology.node (not a TF.js graph model)")
    if (topology.get("library") or {}).get("function"):
        raise ModelError(f"{source}: graph functions (control flow) are not supported")
    nodes = []
    for raw in topology["node"]:
        inputs = [TensorRef.parse(i) for i in raw.get("input", []) if not i.startswith("^")]
        attrs = {k: _decode_attr(v) for k, v in (raw.get("attr") or {}).items()}
        nodes.append(Node(raw["name"], raw["op"], inputs, attrs))
    names = {n.name for n in nodes}
    signature = model.get("signature") or {}
    if signature.get("inputs"):
        inputs = [TensorRef.parse(s["name"]) for s in signature["inputs"].values()]
    else:
        inputs = [TensorRef(n.name) for n in nodes if n.op == "Placeholder"]
    if signature.get("outputs"):
        outputs = [TensorRef.parse(s["name"]) for s in signature["outputs"].values()]
    else:
        consumed = {i.node for n in nodes for i in n.inputs}
        outputs = [TensorRef(n.name) for n in nodes if n.name not in consumed and n.op != "Const"]
    for ref in inputs + outputs:
        if ref.node not in names:
            raise ModelError(f"{source}: signature names {ref} but the graph has no such node")
    manifest = model.get("weightsManifest") or []
    return TfjsGraph(nodes, inputs, outputs, manifest, source)


def read_graph(path: Path) -> TfjsGraph:
    """Parse the model.json at `path` (ModelError when unreadable)."""
    try:
        model = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read TF.js model {path}: {e}") from e
    return parse_graph(model, str(path))


def topological_order(graph: TfjsGraph) -> list[Node]:
    """Nodes ordered so every producer comes before its consumers (ModelError on a cycle or a
    missing producer)."""
    by_name = graph.by_name()
    order: list[Node] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for root in graph.nodes:
        stack = [(root.name, False)]
        while stack:
            name, expanded = stack.pop()
            if state.get(name) == 2:
                continue
            if name not in by_name:
                raise ModelError(f"{graph.source}: input {name!r} names no node")
            if expanded:
                state[name] = 2
                order.append(by_name[name])
                continue
            if state.get(name) == 1:
                raise ModelError(f"{graph.source}: cycle through node {name!r}")
            state[name] = 1
            stack.append((name, True))
            for ref in reversed(by_name[name].inputs):
                if state.get(ref.node) != 2:
                    if state.get(ref.node) == 1:
                        raise ModelError(f"{graph.source}: cycle through node {ref.node!r}")
                    stack.append((ref.node, False))
    return order
