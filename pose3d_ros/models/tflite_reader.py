"""A minimal reader of TFLite flatbuffers (schema v3, file identifier `TFL3`).

Written against the published TFLite schema with the `flatbuffers` runtime's Table API only (no
generated code, no TensorFlow). It reads exactly what the converter needs: subgraph 0's tensors
(shape, type, constant data, sparsity), operators (builtin code, inputs, outputs, options) and the
graph's inputs/outputs, into plain frozen dataclasses. Field numbers below are the schema's field
ids; a table field's vtable slot is 4 + 2 * id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flatbuffers import encode, packer
from flatbuffers import number_types as nt
from flatbuffers.table import Table

from pose3d_ros.errors import ModelError

# BuiltinOperator codes (schema enum) for the ops this project meets.
BUILTIN_OPS = {
    0: "ADD",
    2: "CONCATENATION",
    3: "CONV_2D",
    4: "DEPTHWISE_CONV_2D",
    5: "DEPTH_TO_SPACE",
    6: "DEQUANTIZE",
    14: "LOGISTIC",
    17: "MAX_POOL_2D",
    19: "RELU",
    21: "RELU6",
    22: "RESHAPE",
    23: "RESIZE_BILINEAR",
    34: "PAD",
    124: "DENSIFY",
}
# TensorType enum -> numpy dtype (little-endian, as flatbuffers stores it).
TENSOR_TYPES = {
    0: np.dtype("<f4"),
    1: np.dtype("<f2"),
    2: np.dtype("<i4"),
    3: np.dtype("u1"),
    4: np.dtype("<i8"),
    6: np.dtype("?"),
    7: np.dtype("<i2"),
    9: np.dtype("i1"),
    10: np.dtype("<f8"),
}
# Builtin options: op -> ((key, field id, flags, default), ...). Padding SAME=0, VALID=1.
_OPTION_FIELDS = {
    "CONV_2D": (
        ("padding", 0, nt.Int8Flags, 0),
        ("stride_w", 1, nt.Int32Flags, 1),
        ("stride_h", 2, nt.Int32Flags, 1),
        ("activation", 3, nt.Int8Flags, 0),
        ("dilation_w", 4, nt.Int32Flags, 1),
        ("dilation_h", 5, nt.Int32Flags, 1),
    ),
    "DEPTHWISE_CONV_2D": (
        ("padding", 0, nt.Int8Flags, 0),
        ("stride_w", 1, nt.Int32Flags, 1),
        ("stride_h", 2, nt.Int32Flags, 1),
        ("depth_multiplier", 3, nt.Int32Flags, 0),
        ("activation", 4, nt.Int8Flags, 0),
        ("dilation_w", 5, nt.Int32Flags, 1),
        ("dilation_h", 6, nt.Int32Flags, 1),
    ),
    "MAX_POOL_2D": (
        ("padding", 0, nt.Int8Flags, 0),
        ("stride_w", 1, nt.Int32Flags, 1),
        ("stride_h", 2, nt.Int32Flags, 1),
        ("filter_w", 3, nt.Int32Flags, 1),
        ("filter_h", 4, nt.Int32Flags, 1),
        ("activation", 5, nt.Int8Flags, 0),
    ),
    "ADD": (("activation", 0, nt.Int8Flags, 0),),
    "CONCATENATION": (("axis", 0, nt.Int32Flags, 0), ("activation", 1, nt.Int8Flags, 0)),
    "DEPTH_TO_SPACE": (("block_size", 0, nt.Int32Flags, 0),),
    "RESIZE_BILINEAR": (
        ("align_corners", 2, nt.BoolFlags, False),
        ("half_pixel_centers", 3, nt.BoolFlags, False),
    ),
}
_INDEX_VECTOR_DTYPES = {
    1: np.dtype("<i4"),
    2: np.dtype("<u2"),
    3: np.dtype("u1"),
}  # SparseIndexVector union


@dataclass(frozen=True)
class SparseDim:
    """One level of a TFLite sparse tensor (DimensionMetadata): DENSE (size) or SPARSE_CSR
    (segments+indices)."""

    dense: bool
    dense_size: int
    segments: np.ndarray | None = None
    indices: np.ndarray | None = None


@dataclass(frozen=True)
class Sparsity:
    """TFLite SparsityParameters: traversal order over the expanded
    (dims + block dims) index space."""

    traversal_order: tuple[int, ...]
    block_map: tuple[int, ...]
    dims: tuple[SparseDim, ...]


@dataclass(frozen=True)
class TensorInfo:
    """One tensor: dense `shape`, element `dtype`, constant `data` (flat, None for activations)."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data: np.ndarray | None
    sparsity: Sparsity | None


@dataclass(frozen=True)
class OpInfo:
    """One operator: builtin name, tensor indices (-1 = optional input absent), parsed options."""

    opcode: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict


@dataclass(frozen=True)
class TfliteModel:
    """Subgraph 0 of a TFLite model, in execution order."""

    tensors: tuple[TensorInfo, ...]
    ops: tuple[OpInfo, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


class _Tab:
    """Thin typed accessors over a flatbuffers Table."""

    def __init__(self, buf: bytes, pos: int):
        self.t = Table(buf, pos)

    def _off(self, field: int) -> int:
        return self.t.Offset(4 + 2 * field)

    def scalar(self, field: int, flags, default):
        o = self._off(field)
        return self.t.Get(flags, o + self.t.Pos) if o else default

    def array(self, field: int, dtype) -> np.ndarray | None:
        o = self._off(field)
        if not o:
            return None
        start, count = self.t.Vector(o), self.t.VectorLen(o)
        return np.frombuffer(self.t.Bytes, dtype=np.dtype(dtype), count=count, offset=start)

    def string(self, field: int) -> str:
        o = self._off(field)
        return self.t.String(o + self.t.Pos).decode("utf-8") if o else ""

    def table(self, field: int) -> "_Tab | None":
        o = self._off(field)
        return _Tab(self.t.Bytes, self.t.Indirect(o + self.t.Pos)) if o else None

    def tables(self, field: int) -> list["_Tab"]:
        o = self._off(field)
        if not o:
            return []
        start = self.t.Vector(o)
        return [
            _Tab(self.t.Bytes, self.t.Indirect(start + 4 * i)) for i in range(self.t.VectorLen(o))
        ]


def _int_tuple(arr: np.ndarray | None) -> tuple[int, ...]:
    return tuple(int(v) for v in arr) if arr is not None else ()


def _read_sparsity(tab: _Tab) -> Sparsity:
    dims = []
    for dm in tab.tables(2):
        if dm.scalar(0, nt.Int8Flags, 0) == 0:
            dims.append(SparseDim(dense=True, dense_size=dm.scalar(1, nt.Int32Flags, 0)))
            continue
        vecs = []
        for type_field, value_field in ((2, 3), (4, 5)):
            kind = dm.scalar(type_field, nt.Uint8Flags, 0)
            sub = dm.table(value_field)
            if kind not in _INDEX_VECTOR_DTYPES or sub is None:
                raise ModelError(f"sparse tensor: unsupported index vector type {kind}")
            vecs.append(np.asarray(sub.array(0, _INDEX_VECTOR_DTYPES[kind]), dtype=np.int64))
        dims.append(SparseDim(dense=False, dense_size=0, segments=vecs[0], indices=vecs[1]))
    return Sparsity(_int_tuple(tab.array(0, "<i4")), _int_tuple(tab.array(1, "<i4")), tuple(dims))


def _read_tensor(tab: _Tab, buffers: list[_Tab], buf: bytes) -> TensorInfo:
    name = tab.string(3)
    type_code = tab.scalar(1, nt.Int8Flags, 0)
    if type_code not in TENSOR_TYPES:
        raise ModelError(f"tensor {name!r}: unsupported TFLite type {type_code}")
    dtype = TENSOR_TYPES[type_code]
    data = None
    b_index = tab.scalar(2, nt.Uint32Flags, 0)
    if 0 < b_index < len(buffers):
        b = buffers[b_index]
        raw = b.array(0, "u1")
        offset, size = b.scalar(1, nt.Uint64Flags, 0), b.scalar(2, nt.Uint64Flags, 0)
        if raw is None and offset > 1:  # large models keep data after the flatbuffer
            raw = np.frombuffer(buf, np.uint8, count=size, offset=offset)
        if raw is not None and raw.size:
            data = raw.view(dtype)
    sp_tab = tab.table(6)
    return TensorInfo(
        name,
        _int_tuple(tab.array(0, "<i4")),
        dtype,
        data,
        _read_sparsity(sp_tab) if sp_tab is not None else None,
    )


def _read_options(op_tab: _Tab, opcode: str) -> dict:
    fields = _OPTION_FIELDS.get(opcode, ())
    opts_tab = op_tab.table(4)
    return {
        key: (opts_tab.scalar(fid, flags, default) if opts_tab is not None else default)
        for key, fid, flags, default in fields
    }


def read_tflite(buf: bytes) -> TfliteModel:
    """Parse a .tflite flatbuffer; raises ModelError for anything that is not a
    one-subgraph TFL3 model."""
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ModelError("not a TFLite model (file identifier TFL3 missing)")
    try:
        model = _Tab(buf, encode.Get(packer.uoffset, buf, 0))
        codes = []
        for oc in model.tables(1):  # OperatorCode: max(deprecated_builtin_code, builtin_code)
            codes.append(max(oc.scalar(0, nt.Int8Flags, 0), oc.scalar(3, nt.Int32Flags, 0)))
        subgraphs = model.tables(2)
        buffers = model.tables(4)
        if len(subgraphs) != 1:
            raise ModelError(f"expected 1 subgraph, found {len(subgraphs)}")
        sg = subgraphs[0]
        tensors = tuple(_read_tensor(t, buffers, buf) for t in sg.tables(0))
        ops = []
        for op in sg.tables(3):
            code = codes[op.scalar(0, nt.Uint32Flags, 0)]
            name = BUILTIN_OPS.get(code, f"BUILTIN_{code}")
            ops.append(
                OpInfo(
                    name,
                    _int_tuple(op.array(1, "<i4")),
                    _int_tuple(op.array(2, "<i4")),
                    _read_options(op, name),
                )
            )
        return TfliteModel(
            tensors, tuple(ops), _int_tuple(sg.array(1, "<i4")), _int_tuple(sg.array(2, "<i4"))
        )
    except ModelError:
        raise
    except Exception as exc:  # flatbuffers raises struct/index errors on a corrupt buffer
        raise ModelError(f"corrupt TFLite flatbuffer: {exc}") from exc
