"""Model acquisition: the mediapipe wheel's BlazePose .tflite files -> our own converter
-> ONNX in engines/.

wheel.py (download + sha256), tflite_reader.py (flatbuffer), sparsity.py (DENSIFY decoding),
onnx_graph.py + onnx_ops.py (per-op ONNX emitters), tflite2onnx.py (graph building), build.py
(engines/ + manifest.json; it checks the result against the tensor roles in core/pose2d/tensors.py).
The CLI is pose3d_ros/tools/models.py (`pose3d_models`).
"""
