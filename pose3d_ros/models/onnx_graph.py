"""GraphBuilder: the state of one TFLite -> ONNX conversion (values, constants, nodes).

Layout convention: TFLite is NHWC. Every rank-4 activation is kept NCHW inside the ONNX graph
(what Conv/Pool/Resize/DepthToSpace want); the graph's rank-4 inputs and outputs stay NHWC with one
Transpose at the edge. Tensors of any other rank keep TFLite's layout. Constants are held in
TFLite layout (numpy) until an op builder decides how it needs them.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from pose3d_ros.errors import ModelError
from pose3d_ros.models.onnx_names import NHWC_TO_NCHW, UniqueNames
from pose3d_ros.models.tflite_reader import TfliteModel

BATCH_DIM = "batch"


class GraphBuilder(UniqueNames):
    """Collects ONNX nodes and initializers while walking a TfliteModel's operators in order."""

    def __init__(self, model: TfliteModel, constants: dict[int, np.ndarray]):
        super().__init__()
        self.model = model
        self.constants = dict(constants)  # tflite tensor index -> dense numpy array (TFLite layout)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._values: dict[int, str] = {}  # tflite tensor index -> ONNX value name (activations)
        self._scalars: dict[tuple[str, float], str] = {}
        self._graph_outputs = set(model.outputs)

    # -- tensors -------------------------------------------------------------------------------
    def rank(self, index: int) -> int:
        return len(self.model.tensors[index].shape)

    def shape(self, index: int) -> tuple[int, ...]:
        return self.model.tensors[index].shape

    def is_const(self, index: int) -> bool:
        return index in self.constants

    def const_array(self, index: int) -> np.ndarray:
        """The folded constant of tensor `index` in TFLite layout; ModelError if not constant."""
        if index not in self.constants:
            raise ModelError(f"tensor {self.model.tensors[index].name!r} must be a constant here")
        return self.constants[index]

    def bind(self, index: int, value_name: str) -> None:
        self._values[index] = value_name

    def value(self, index: int) -> str:
        """ONNX name of the activation `index` (rank 4: NCHW)."""
        if index not in self._values:
            raise ModelError(
                f"tensor {self.model.tensors[index].name!r} used before it is produced"
            )
        return self._values[index]

    def operand(self, index: int, out_rank: int) -> str:
        """Activation or constant `index` as an elementwise operand of a rank-`out_rank` result."""
        if not self.is_const(index):
            return self.value(index)
        arr = np.asarray(self.const_array(index), dtype=np.float32)
        if out_rank == 4:
            arr = arr.reshape((1,) * (4 - arr.ndim) + arr.shape).transpose(NHWC_TO_NCHW)
        return self.add_const(self.model.tensors[index].name, arr)

    def output_name(self, index: int) -> str:
        """Name an op's output value: the TFLite name, or `<name>__nchw` for a rank-4
        graph output."""
        name = self.model.tensors[index].name
        if index in self._graph_outputs:
            if self.rank(index) != 4:
                return name  # reserved by the assembler
            name += "__nchw"
        return self.unique(name)

    # -- emitters ------------------------------------------------------------------------------
    def add_const(self, base: str, array: np.ndarray) -> str:
        name = self.unique(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def scalar(self, value: float) -> str:
        """A shared float32 scalar constant (Clip bounds)."""
        key = ("f32", float(value))
        if key not in self._scalars:
            self._scalars[key] = self.add_const(f"const_f32_{value:g}", np.array(value, np.float32))
        return self._scalars[key]

    def node(self, op_type: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output

    def transpose(self, x: str, perm: tuple[int, ...], base: str) -> str:
        return self.node("Transpose", [x], self.unique(base), perm=list(perm))
