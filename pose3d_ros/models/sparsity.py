"""Decode TFLite's sparse tensor format (SparsityParameters) into a dense numpy array.

TFLite stores a sparse constant as its non-zero values, walked in `traversal_order` over an
expanded index space: the tensor's n dims followed by k block dims (`block_map[j]` names the
original dim that block dim n+j subdivides). `dims[l]` describes the l-th traversed dim: DENSE
(every index 0..dense_size-1) or SPARSE_CSR (`segments[p]:segments[p+1]` into `indices`, where p
is the position reached at the level above). The position reached at the last level indexes the
value buffer. Original index of dim d = block_index * block_size + index within block.
"""

from __future__ import annotations

import numpy as np

from pose3d_ros.errors import ModelError
from pose3d_ros.models.tflite_reader import Sparsity


def _expand_dense(pos: np.ndarray, coords: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    new_pos = (pos[:, None] * size + np.arange(size, dtype=np.int64)[None, :]).reshape(-1)
    new_coords = np.repeat(coords, size, axis=0)
    level = np.tile(np.arange(size, dtype=np.int64), len(pos))
    return new_pos, np.concatenate([new_coords, level[:, None]], axis=1)


def _expand_csr(
    pos: np.ndarray, coords: np.ndarray, segments: np.ndarray, indices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if pos.size and (pos.max() + 1 >= segments.size or segments[-1] > indices.size):
        raise ModelError("sparse tensor: CSR segments out of range")
    starts, ends = segments[pos], segments[pos + 1]
    counts = ends - starts
    if np.any(counts < 0):
        raise ModelError("sparse tensor: CSR segments decrease")
    owner = np.repeat(np.arange(len(pos)), counts)
    # position i of the concatenated ranges starts[o]..ends[o]-1
    offsets = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    new_pos = starts[owner] + offsets
    return new_pos, np.concatenate([coords[owner], indices[new_pos][:, None]], axis=1)


def densify(values: np.ndarray, shape: tuple[int, ...], sparsity: Sparsity) -> np.ndarray:
    """Dense array of `shape` (dtype of `values`) from the flat non-zero `values` and `sparsity`."""
    n, order, block_map = len(shape), sparsity.traversal_order, sparsity.block_map
    if (
        len(order) != n + len(block_map)
        or len(sparsity.dims) != len(order)
        or sorted(order) != list(range(len(order)))
    ):
        raise ModelError(f"sparse tensor: inconsistent sparsity for shape {shape}")
    pos = np.zeros(1, dtype=np.int64)
    coords = np.zeros((1, 0), dtype=np.int64)
    for dim in sparsity.dims:
        if dim.dense:
            pos, coords = _expand_dense(pos, coords, dim.dense_size)
        else:
            pos, coords = _expand_csr(pos, coords, dim.segments, dim.indices)
    if pos.size and pos.max() >= values.size:
        raise ModelError("sparse tensor: value buffer too short")
    expanded = np.empty_like(coords)
    expanded[:, list(order)] = coords  # coords[:, k] is the index of expanded dim order[k]
    block_size = {order[k]: sparsity.dims[k].dense_size for k in range(len(order)) if order[k] >= n}
    original = expanded[:, :n].copy()
    for j, d in enumerate(block_map):
        size = block_size.get(n + j)
        if not size:
            raise ModelError("sparse tensor: block dimension must be dense")
        original[:, d] = original[:, d] * size + expanded[:, n + j]
    if original.size and (np.any(original < 0) or np.any(original >= np.asarray(shape))):
        raise ModelError(f"sparse tensor: index outside shape {shape}")
    dense = np.zeros(shape, dtype=values.dtype)
    dense[tuple(original.T)] = values[pos]
    return dense
