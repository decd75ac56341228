"""Where TensorRT engines live: a cache folder apart from the models, one entry per exact build key.

An engine is only valid for the GPU it was built for (name + compute capability), the runtime
that built it (tensorrt | tensorrt_rtx, and its version), the ONNX bytes (sha256), the precision
and the largest batch of its optimisation profile. All of these form the `EngineKey`; its digest
names the file, so a stale or foreign engine is never even looked at, and the metadata written
beside each engine (`<stem>-<digest>.meta.json`, in the cache folder, never beside the ONNX
models) is compared field by field before an engine is loaded. Pure Python: no GPU needed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from pose3d_ros.errors import ConfigError
from pose3d_ros.files import write_atomic

CACHE_ENV = "POSE3D_ENGINE_CACHE"
PRECISIONS = ("fp16", "fp32")
_DIGEST_CHARS = 16


def default_cache_dir() -> Path:
    """$POSE3D_ENGINE_CACHE, else $XDG_CACHE_HOME/pose3d_ros/engines,
    else ~/.cache/pose3d_ros/engines."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "pose3d_ros" / "engines"


@dataclasses.dataclass(frozen=True)
class EngineKey:
    """Everything an engine depends on. precision is what the engine really holds (fp16 | fp32)."""

    gpu_name: str
    compute_capability: str
    runtime: str
    runtime_version: str
    onnx_sha256: str
    precision: str
    max_batch: int

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if int(self.max_batch) < 1:
            raise ConfigError(f"max_batch must be >= 1, got {self.max_batch}")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def digest(self) -> str:
        """Short hex digest of the canonical JSON of every field (names the cache entry)."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:_DIGEST_CHARS]


def entry_paths(cache_dir: str | Path, onnx_path: str | Path, key: EngineKey) -> tuple[Path, Path]:
    """(engine path, metadata path) of `onnx_path`'s engine for `key` inside `cache_dir`."""
    stem = f"{Path(onnx_path).stem}-{key.digest()}"
    d = Path(cache_dir)
    return d / f"{stem}.engine", d / f"{stem}.meta.json"


def lookup(cache_dir: str | Path, onnx_path: str | Path, key: EngineKey) -> Path | None:
    """The cached engine for exactly `key`, or None when absent,
    unreadable or recorded for another key."""
    engine, meta = entry_paths(cache_dir, onnx_path, key)
    if not (engine.is_file() and meta.is_file()):
        return None
    try:
        recorded = json.loads(meta.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("key") != key.as_dict():
        return None
    if recorded.get("engine_bytes") != engine.stat().st_size:
        return None
    return engine


def store(
    cache_dir: str | Path,
    onnx_path: str | Path,
    key: EngineKey,
    engine_bytes: bytes,
    extra: dict | None = None,
) -> Path:
    """Write the engine, then its metadata (each atomically); returns the engine path."""
    engine, meta = entry_paths(cache_dir, onnx_path, key)
    engine.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(engine, bytes(engine_bytes))
    record = {
        "key": key.as_dict(),
        "onnx": str(Path(onnx_path).name),
        "engine_bytes": len(engine_bytes),
        **(extra or {}),
    }
    write_atomic(meta, (json.dumps(record, indent=2) + "\n").encode())
    return engine
