"""Read the constants of a TF.js graph model from its weight shards (.bin files).

The manifest lists groups; each group's `paths` are concatenated into one byte buffer in which
the group's `weights` follow each other in order. A weight is stored raw (float32, int32, bool as
uint8) or quantised: `quantization.dtype` float16 (a half-precision copy of a float32 value) or
uint8/uint16 affine (value = q * scale + min). Everything comes back as numpy arrays of the
weight's declared dtype and shape.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pose3d_ros.errors import ModelError

_RAW = {"float32": np.float32, "int32": np.int32, "bool": np.uint8}
_QUANTISED = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}


def _check_size(name: str, nbytes: int, buf: memoryview, offset: int) -> int:
    if offset + nbytes > len(buf):
        raise ModelError(
            f"weight {name!r}: the weight files end before its data ({len(buf)} bytes)"
        )
    return nbytes


def _decode(entry: dict, buf: memoryview, offset: int) -> tuple[np.ndarray, int]:
    """One manifest entry read from `buf` at `offset`: (array, bytes used)."""
    name, dtype = entry["name"], entry["dtype"]
    shape = [int(d) for d in entry.get("shape", [])]
    count = int(np.prod(shape, dtype=np.int64))
    quant = entry.get("quantization")
    if quant:
        qtype = quant.get("dtype")
        if qtype not in _QUANTISED:
            raise ModelError(f"weight {name!r}: unsupported quantization {qtype!r}")
        stored = np.dtype(_QUANTISED[qtype])
        nbytes = _check_size(name, count * stored.itemsize, buf, offset)
        raw = np.frombuffer(buf, stored, count, offset)
        if qtype == "float16":
            value = raw.astype(np.float32)
        else:
            value = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
        value = value.astype(np.int32) if dtype == "int32" else value
    else:
        if dtype not in _RAW:
            raise ModelError(f"weight {name!r}: unsupported dtype {dtype!r}")
        stored = np.dtype(_RAW[dtype])
        nbytes = _check_size(name, count * stored.itemsize, buf, offset)
        value = np.frombuffer(buf, stored, count, offset)
        value = value.astype(bool) if dtype == "bool" else value.copy()
    return value.reshape(shape), nbytes


def read_weights(manifest: list[dict], folder: Path) -> dict[str, np.ndarray]:
    """All weights named in `manifest`, the shard paths relative to `folder`
    (ModelError when a shard is missing or has the wrong size)."""
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        chunks = []
        for rel in group.get("paths", []):
            path = Path(folder) / rel
            try:
                chunks.append(path.read_bytes())
            except OSError as e:
                raise ModelError(f"cannot read weight shard {path}: {e}") from e
        buf = memoryview(b"".join(chunks))
        offset = 0
        for entry in group.get("weights", []):
            weights[entry["name"]], used = _decode(entry, buf, offset)
            offset += used
        if offset != len(buf):
            raise ModelError(
                f"weight shards {group.get('paths')}: {len(buf)} bytes, the manifest uses {offset}"
            )
    return weights


def encode_weights(arrays: dict[str, np.ndarray], shard: str) -> tuple[list[dict], bytes]:
    """The inverse for tests and tiny hand-made graphs: (manifest, shard bytes), float32 arrays
    stored as float16 (the way the MoveNet packages store them), int32 and bool raw."""
    entries, parts = [], []
    for name, arr in arrays.items():
        arr = np.asarray(arr)
        entry = {"name": name, "shape": list(arr.shape)}
        if arr.dtype == np.float32:
            entry["dtype"] = "float32"
            entry["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
            parts.append(arr.astype(np.float16).tobytes())
        elif arr.dtype == np.int32:
            entry["dtype"] = "int32"
            parts.append(arr.tobytes())
        elif arr.dtype == bool:
            entry["dtype"] = "bool"
            parts.append(arr.astype(np.uint8).tobytes())
        else:
            raise ModelError(f"encode_weights: unsupported dtype {arr.dtype} for {name!r}")
        entries.append(entry)
    return [{"paths": [shard], "weights": entries}], b"".join(parts)
