"""OnnxBuilder: the state of one TF.js -> ONNX conversion (values, layouts, constants, nodes).

Every tensor's static shape and dtype come from a numpy dry run (reference.evaluate) at the
chosen input size. A tensor that does not depend on the graph input (constants, Shape/Size and
what is computed from them) is folded: its dry-run value becomes an initializer. Layout: TF.js
data is NHWC; the builder keeps each rank-4 activation in whichever layout its producer made
(convolutions, pooling and resizing make NCHW, which ONNX wants) and inserts one Transpose, made
once per value, when a consumer needs the other layout. Ops that index or reshape always see
TensorFlow's NHWC layout.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from pose3d_ros.errors import ModelError
from pose3d_ros.models.onnx_names import NCHW_TO_NHWC, NHWC_TO_NCHW, UniqueNames
from pose3d_ros.models.tfjs.graph import Node, TensorRef

NHWC, NCHW = "nhwc", "nchw"


def onnx_dtype(dtype) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class OnnxBuilder(UniqueNames):
    """Collects ONNX nodes and initializers while the converter walks the graph in order."""

    def __init__(self, dry_run: dict[str, list[np.ndarray]], dynamic: set[str]):
        super().__init__()
        self.dry_run = dry_run  # node name -> its outputs at the conversion's input size
        self.dynamic = dynamic  # names of nodes whose value depends on the graph input
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._values: dict[tuple[str, int], tuple[str, str]] = {}  # ref -> (onnx name, layout)
        self._cache: dict[tuple, str] = {}

    # -- what the dry run says -----------------------------------------------------------------
    def example(self, ref: TensorRef) -> np.ndarray:
        """The dry-run value of `ref` (its static shape and dtype; its value if constant)."""
        return self.dry_run[ref.node][ref.port]

    def shape(self, ref: TensorRef) -> tuple[int, ...]:
        return tuple(self.example(ref).shape)

    def is_const(self, ref: TensorRef) -> bool:
        return ref.node not in self.dynamic

    def const(self, ref: TensorRef, what: str = "") -> np.ndarray:
        """The folded value of `ref`; ModelError (naming `what`) if it depends on the input."""
        if not self.is_const(ref):
            raise ModelError(f"{what or ref}: must be a constant (it depends on the graph input)")
        return self.example(ref)

    # -- values --------------------------------------------------------------------------------
    def bind(self, node: Node, outputs: list[tuple[str, str]]) -> None:
        for port, value in enumerate(outputs):
            self._values[(node.name, port)] = value

    def bind_input(self, name: str, value: str) -> None:
        """The graph input (Placeholder) `name` is the ONNX value `value` (NHWC)."""
        self._values[(name, 0)] = (value, NHWC)

    def layout(self, ref: TensorRef) -> str:
        if self.is_const(ref):
            return NHWC
        return self._values[(ref.node, ref.port)][1]

    def get(self, ref: TensorRef, layout: str = NHWC) -> str:
        """ONNX name of `ref` in `layout` (NCHW only matters for rank 4)."""
        if self.is_const(ref):
            arr = self.example(ref)
            if layout == NCHW and arr.ndim == 4:
                arr = arr.transpose(NHWC_TO_NCHW)
            return self.add_const(f"{ref}__{layout}", arr, key=(str(ref), layout))
        if (ref.node, ref.port) not in self._values:
            raise ModelError(f"tensor {ref} used before it is produced")
        name, have = self._values[(ref.node, ref.port)]
        if have == layout or len(self.shape(ref)) != 4:
            return name
        key = ("transpose", name, layout)
        if key not in self._cache:
            perm = NHWC_TO_NCHW if layout == NCHW else NCHW_TO_NHWC
            self._cache[key] = self.node("Transpose", [name], f"{ref}__{layout}", perm=list(perm))
        return self._cache[key]

    def operand(self, ref: TensorRef, layout: str, out_rank: int) -> str:
        """`ref` as an elementwise (broadcasting) operand of a rank-`out_rank` result in
        `layout`: a constant of lower rank is first given TensorFlow's leading 1s."""
        if self.is_const(ref) and layout == NCHW and out_rank == 4:
            arr = self.example(ref)
            if arr.ndim == 0:
                return self.get(ref)
            arr = arr.reshape((1,) * (4 - arr.ndim) + arr.shape).transpose(NHWC_TO_NCHW)
            return self.add_const(f"{ref}__b4", arr, key=(str(ref), "b4"))
        return self.get(ref, layout)

    def elementwise_layout(self, refs: list[TensorRef], out_rank: int) -> str:
        """NCHW when the result is rank 4, every input that depends on the graph input is rank 4
        and one of them already is NCHW; else NHWC."""
        dyn = [r for r in refs if not self.is_const(r)]
        if out_rank != 4 or not dyn or any(len(self.shape(r)) != 4 for r in dyn):
            return NHWC
        return NCHW if any(self.layout(r) == NCHW for r in dyn) else NHWC

    # -- emitters ------------------------------------------------------------------------------
    def add_const(self, base: str, array: np.ndarray, key=None) -> str:
        if key is not None and ("const",) + tuple(key) in self._cache:
            return self._cache[("const",) + tuple(key)]
        arr = np.asarray(array)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        name = self.unique(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        if key is not None:
            self._cache[("const",) + tuple(key)] = name
        return name

    def int64(self, base: str, values) -> str:
        """An int64 1-D initializer (shapes, axes, sizes)."""
        return self.add_const(base, np.asarray(values, np.int64).reshape(-1))

    def scalar(self, value, dtype=np.float32) -> str:
        arr = np.asarray(value, dtype)
        return self.add_const(
            f"const_{arr.dtype}_{value:g}", arr, key=("scalar", str(arr.dtype), value)
        )

    def node(self, op_type: str, inputs: list[str], base: str, n_out: int = 1, **attrs):
        """Append one ONNX node; returns its output name (or names when n_out > 1)."""
        outs = [self.unique(base if n_out == 1 else f"{base}__{k}") for k in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=outs[0], **attrs))
        return outs[0] if n_out == 1 else outs

    def reshape(self, x: str, shape, base: str) -> str:
        return self.node("Reshape", [x, self.int64(base + "__shape", shape)], base)
