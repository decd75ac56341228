"""Make engines/: wheel -> verified .tflite -> own converter -> ONNX + manifest.json (idempotent).

Outputs nothing in the product reads (core/pose2d/tensors.py UNUSED_OUTPUT_ROLES: the landmark
model's segmentation head) are pruned from the graph by default and listed per model under
"pruned_outputs"; BuildOptions.keep_unused_outputs keeps them. A second run whose manifest still
matches (converter version and source hash, options, pinned tflite hashes, the ONNX files' sha256 on
disk) does no work. Files are written atomically (temp file + rename).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from pose3d_ros.core.pose2d.tensors import UNUSED_OUTPUT_ROLES, assign_roles
from pose3d_ros.errors import ModelError
from pose3d_ros.files import sha256_bytes, sha256_file, write_atomic
from pose3d_ros.models.prune import prune_outputs
from pose3d_ros.models.tflite2onnx import (
    CONVERTER_VERSION,
    IR_VERSION,
    OPSET,
    PRODUCER,
    convert_model,
)
from pose3d_ros.models.tflite_reader import read_tflite
from pose3d_ros.models.wheel import (
    MODEL_SOURCES,
    WHEEL_PROJECT,
    WHEEL_VERSION,
    download_wheel,
    extract_models,
)

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class BuildOptions:
    """Where to write, where to cache the wheel, an explicit wheel (offline),
    and whether to redo."""

    engines_dir: Path
    cache_dir: Path
    wheel: Path | None = None
    force: bool = False
    smoke_test: bool = True
    keep_unused_outputs: bool = False  # True: keep the segmentation output (slower landmark model)


def _options_record(opts: BuildOptions) -> dict:
    """The build options that change the ONNX files (stored in the manifest, compared on reuse)."""
    return {"keep_unused_outputs": bool(opts.keep_unused_outputs)}


def converter_source_sha256() -> str:
    """sha256 over the converter's own source files: any change to them makes old ONNX
    files stale."""
    import hashlib

    here = Path(__file__).resolve().parent
    sources = [
        here / name
        for name in (
            "tflite_reader.py",
            "sparsity.py",
            "onnx_graph.py",
            "onnx_ops.py",
            "tflite2onnx.py",
            "prune.py",
        )
    ]
    sources.append(here.parent / "core" / "pose2d" / "tensors.py")
    h = hashlib.sha256()
    for path in sources:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def read_manifest(engines_dir: Path) -> dict | None:
    """The manifest in `engines_dir`, or None when absent or unreadable."""
    try:
        return json.loads((Path(engines_dir) / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None


def manifest_is_current(
    engines_dir: Path, manifest: dict | None, options: dict | None = None
) -> bool:
    """True when `manifest` was made by this converter from the pinned models and its
    files are intact.

    options: the build options record (_options_record) the files must have been made with;
    None accepts any (the node only needs intact files).
    """
    if not manifest or manifest.get("format") != MANIFEST_FORMAT:
        return False
    converter = manifest.get("converter", {})
    if (
        converter.get("version") != CONVERTER_VERSION
        or converter.get("source_sha256") != converter_source_sha256()
    ):
        return False
    if options is not None and converter.get("options") != options:
        return False
    models = manifest.get("models", {})
    for src in MODEL_SOURCES:
        entry = models.get(src.name, {})
        path = Path(engines_dir) / entry.get("file", f"{src.name}.onnx")
        if entry.get("tflite_sha256") != src.sha256 or not path.is_file():
            return False
        if sha256_file(path) != entry.get("onnx_sha256"):
            return False
    return True


def _tensor_entries(
    model_name: str, kind: str, tensors, optional: tuple[str, ...] = ()
) -> list[dict]:
    shapes = {
        t.name: tuple(
            d.dim_value if d.HasField("dim_value") else -1 for d in t.type.tensor_type.shape.dim
        )
        for t in tensors
    }
    roles = assign_roles(model_name, kind, shapes, optional)
    return [
        {
            "name": name,
            "shape": ["N", *shape[1:]],
            "dtype": "float32",
            "layout": "NHWC" if len(shape) == 4 else "-",
            "role": roles[name].role,
            "description": roles[name].description,
        }
        for name, shape in shapes.items()
    ]


def _describe(model_name: str, onnx_bytes: bytes, pruned: tuple[str, ...] = ()) -> dict:
    import onnx

    graph = onnx.load_from_string(onnx_bytes).graph
    return {
        "inputs": _tensor_entries(model_name, "inputs", graph.input),
        "outputs": _tensor_entries(model_name, "outputs", graph.output, pruned),
    }


def convert_for_product(
    tflite_bytes: bytes, model_name: str, source_sha256: str, keep_unused_outputs: bool = False
) -> tuple[bytes, list[dict]]:
    """Convert one model; unless `keep_unused_outputs`, prune the outputs of UNUSED_OUTPUT_ROLES.

    Returns (serialized ONNX, [{"name", "role"} of each pruned output]); deterministic.
    """
    model = convert_model(read_tflite(tflite_bytes), model_name, source_sha256)
    unused = () if keep_unused_outputs else UNUSED_OUTPUT_ROLES.get(model_name, ())
    dropped: list[dict] = []
    if unused:
        shapes = {
            o.name: tuple(
                d.dim_value if d.HasField("dim_value") else -1 for d in o.type.tensor_type.shape.dim
            )
            for o in model.graph.output
        }
        roles = assign_roles(model_name, "outputs", shapes)
        dropped = [
            {"name": name, "role": role.role} for name, role in roles.items() if role.role in unused
        ]
        model = prune_outputs(model, [d["name"] for d in dropped])
    return model.SerializeToString(deterministic=True), dropped


def _smoke_test(onnx_bytes: bytes, entry: dict) -> None:
    """Run the model with ONNX Runtime at batch 2 and check output shapes (skipped without it)."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError:
        return
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    feeds = {i["name"]: np.zeros([2, *i["shape"][1:]], np.float32) for i in entry["inputs"]}
    outs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
    for o in entry["outputs"]:
        want = (2, *o["shape"][1:])
        if outs[o["name"]].shape != want:
            raise ModelError(
                f"{o['name']}: ONNX Runtime gave shape {outs[o['name']].shape}, expected {want}"
            )


def build_models(opts: BuildOptions, log=print) -> dict:
    """Ensure engines_dir holds the converted models and a current manifest;
    returns the manifest."""
    engines_dir = Path(opts.engines_dir)
    current = read_manifest(engines_dir)
    if not opts.force and manifest_is_current(engines_dir, current, _options_record(opts)):
        log(
            f"[1/1] {engines_dir}/{MANIFEST_NAME} is current (converter "
            f"{CONVERTER_VERSION}); nothing to do"
        )
        return current
    steps = 2 + len(MODEL_SOURCES)
    log(f"[1/{steps}] locating the {WHEEL_PROJECT}=={WHEEL_VERSION} wheel")
    wheel = (
        Path(opts.wheel)
        if opts.wheel
        else download_wheel(Path(opts.cache_dir), log=lambda m: log("      " + m))
    )
    log(
        f"[2/{steps}] extracting and verifying {len(MODEL_SOURCES)} .tflite files from {wheel.name}"
    )
    tflites = extract_models(wheel)
    engines_dir.mkdir(parents=True, exist_ok=True)
    models = {}
    for k, src in enumerate(MODEL_SOURCES, start=3):
        log(f"[{k}/{steps}] converting {src.name}.tflite -> {src.name}.onnx")
        onnx_bytes, dropped = convert_for_product(
            tflites[src.name], src.name, src.sha256, opts.keep_unused_outputs
        )
        if dropped:
            names = ", ".join(f"{d['name']} ({d['role']})" for d in dropped)
            log(f"      pruned unused output(s): {names}")
        entry = {
            "file": f"{src.name}.onnx",
            "tflite_member": src.member,
            "tflite_sha256": src.sha256,
            "onnx_sha256": sha256_bytes(onnx_bytes),
            "onnx_bytes": len(onnx_bytes),
            **_describe(src.name, onnx_bytes, tuple(d["role"] for d in dropped)),
            "pruned_outputs": dropped,
        }
        if opts.smoke_test:
            _smoke_test(onnx_bytes, entry)
        write_atomic(engines_dir / entry["file"], onnx_bytes)
        models[src.name] = entry
    manifest = {
        "format": MANIFEST_FORMAT,
        "generated_utc": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "source": {
            "project": WHEEL_PROJECT,
            "version": WHEEL_VERSION,
            "wheel": wheel.name,
            "wheel_sha256": sha256_file(wheel),
            "license": "Apache-2.0",
        },
        "converter": {
            "name": PRODUCER,
            "version": CONVERTER_VERSION,
            "opset": OPSET,
            "ir_version": IR_VERSION,
            "source_sha256": converter_source_sha256(),
            "batch_dim": "dynamic (N)",
            "options": _options_record(opts),
        },
        "models": models,
    }
    write_atomic(engines_dir / MANIFEST_NAME, (json.dumps(manifest, indent=2) + "\n").encode())
    log(
        f"done: wrote {', '.join(m['file'] for m in models.values())} and "
        f"{MANIFEST_NAME} in {engines_dir}"
    )
    return manifest
