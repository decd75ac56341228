"""The one place that knows model file names: open the models and build the pipeline over them.

Everything above (the node, the user tools, dev/) asks this module for a ready pipeline or stage;
everything below (core/, backends/) takes loaded backends and never opens a file. Fails fast with
a ModelError that names the missing or unreadable file and the fix.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.backends.factory import create_backend
from pose3d_ros.core.pipeline import PipelineConfig, Pose3DPipeline
from pose3d_ros.core.pose2d import Pose2DConfig, Pose2DEstimator
from pose3d_ros.core.pose2d.finder import PersonFinder
from pose3d_ros.core.pose2d.movenet import MovenetFinder, UnionFinder
from pose3d_ros.core.pose3d.lifting import Lifter, TemporalLifter
from pose3d_ros.errors import ModelError

DETECTOR_FILE = "pose_detection.onnx"
LANDMARK_FILE = "pose_landmark_full.onnx"
# Pose2DConfig.landmark_model -> file; heavy, thunder and lightning come from npm (`pose3d_models
# --blazepose-heavy`, `--movenet-thunder`, `--movenet-lightning`)
LANDMARK_FILES = {
    "full": LANDMARK_FILE,
    "heavy": "pose_landmark_heavy.onnx",
    "thunder": "movenet_thunder.onnx",  # MoveNet Thunder, 256 x 256 RGB 0-255 (movenet_single.py)
    "lightning": "movenet_lightning.onnx",  # MoveNet Lightning, 192 x 192, the same contract
}
# landmark models that are not in the default build: the pose3d_models flag that makes each
LANDMARK_FLAGS = {
    "heavy": "--blazepose-heavy",
    "thunder": "--movenet-thunder",
    "lightning": "--movenet-lightning",
}
MOVENET_FILE = "movenet_multipose.onnx"  # MoveNet MultiPose, 256 x 256 int32 RGB (pose3d_models)
LIFTER_FILE = "lifter_h36m17.onnx"
LIFTER_META_FILE = "lifter_h36m17.json"
TEMPORAL_LIFTER_FILE = "lifter_h36m17_temporal.onnx"  # paired with LIFTER_FILE (docs/lifter.md)
ENGINES_ENV = "POSE3D_ENGINES_DIR"
FIX = (
    "create them with `make models` (or `pose3d_models`), "
    "or point the engines_dir parameter at them"
)


def resolve_engines_dir(engines_dir: str | Path = "") -> Path:
    """The folder to load from: the given one, else $POSE3D_ENGINES_DIR, else engines/ beside the
    package (a source checkout or an editable install), else ./engines."""
    if engines_dir:
        return Path(engines_dir).expanduser()
    if os.environ.get(ENGINES_ENV):
        return Path(os.environ[ENGINES_ENV]).expanduser()
    beside = Path(__file__).resolve().parents[1] / "engines"
    return beside if beside.is_dir() else Path.cwd() / "engines"


def open_backend(
    path: Path, backend: str, threads: int, engine_cache_dir: str | Path | None = None
) -> InferenceBackend:
    """One model through create_backend, with a ModelError naming the file (and, when the file is
    missing, how to make it; otherwise the runtime's own reason, which names its fix)."""
    if not path.is_file():
        raise ModelError(f"model file missing: {path}; {FIX}")
    try:
        return create_backend(path, backend, threads, engine_cache_dir=engine_cache_dir or None)
    except ModelError as e:
        raise ModelError(f"cannot load {path} with the {backend} backend: {e}") from e
    except Exception as e:  # noqa: BLE001 - any runtime's load failure is reported with the file
        raise ModelError(
            f"cannot load {path} with the {backend} backend: {e!r} (a damaged file? {FIX})"
        ) from e


def open_lifter(
    location: str | Path,
    backend: str = "onnxruntime",
    threads: int = 1,
    engine_cache_dir: str | Path | None = None,
) -> Lifter:
    """The lifter from `location`: an engines folder (its lifter_h36m17.onnx) or an .onnx file, with
    the metadata JSON of the same stem beside it."""
    path = Path(location)
    onnx_path = path if path.suffix == ".onnx" else path / LIFTER_FILE
    meta_path = onnx_path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as e:
        raise ModelError(
            f"cannot read the lifter metadata {meta_path}: {e} (it is committed beside "
            f"{LIFTER_FILE}; restore it with git)"
        ) from e
    model = open_backend(onnx_path, backend, threads, engine_cache_dir)
    try:
        return Lifter(model, meta)
    except (ModelError, KeyError) as e:
        model.close()
        raise ModelError(f"lifter {onnx_path} does not match {meta_path}: {e}") from e


def open_temporal_lifter(
    single: Lifter,
    engines_dir: str | Path,
    backend: str = "onnxruntime",
    threads: int = 1,
    engine_cache_dir: str | Path | None = None,
) -> TemporalLifter:
    """The causal temporal lifter of engines_dir over `single` (engines_dir's own single-frame
    lifter: the temporal model was trained on its outputs, which its JSON's sha256 checks)."""
    import hashlib

    onnx_path = Path(engines_dir) / TEMPORAL_LIFTER_FILE
    try:
        meta = json.loads(onnx_path.with_suffix(".json").read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"cannot read the temporal lifter metadata: {e}") from e
    want = meta.get("single_frame_model", {}).get("sha256")
    have = hashlib.sha256((Path(engines_dir) / LIFTER_FILE).read_bytes()).hexdigest()
    if want != have:
        raise ModelError(
            f"{TEMPORAL_LIFTER_FILE} was trained on another single-frame lifter than "
            f"{LIFTER_FILE} (sha256 {want} != {have}): retrain it (dev.train_temporal)"
        )
    model = open_backend(onnx_path, backend, threads, engine_cache_dir)
    try:
        return TemporalLifter(single, model, meta)
    except (ModelError, KeyError) as e:
        model.close()
        raise ModelError(f"temporal lifter {onnx_path} does not match its JSON: {e}") from e


def open_pose2d(
    engines_dir: str | Path,
    backend: str = "onnxruntime",
    threads: int = 1,
    config: Pose2DConfig | None = None,
    engine_cache_dir: str | Path | None = None,
) -> Pose2DEstimator:
    """The 2D stage over engines_dir's landmark model (config.landmark_model: full, heavy,
    thunder or lightning) and its person finder (config.person_finder): the BlazePose detector,
    MoveNet MultiPose, or both."""
    d = Path(engines_dir)
    config = config or Pose2DConfig()
    finder, det, opened = None, None, []
    landmark_path = d / LANDMARK_FILES[config.landmark_model]
    if config.landmark_model in LANDMARK_FLAGS and not landmark_path.is_file():
        raise ModelError(
            f"model file missing: {landmark_path} (landmark_model '{config.landmark_model}'); "
            f"create it with `pose3d_models {LANDMARK_FLAGS[config.landmark_model]}` (or `make "
            "setup`), or use landmark_model 'full'"
        )
    try:
        if config.person_finder in ("movenet", "both"):
            finder = open_movenet_finder(
                d, backend, threads, config.movenet_min_score, engine_cache_dir
            )
            opened.append(finder)
        if config.person_finder in ("blazepose", "both"):
            det = open_backend(d / DETECTOR_FILE, backend, threads, engine_cache_dir)
            opened.append(det)
        if config.person_finder == "both":
            finder = UnionFinder(
                PersonFinder(det, config.min_detection_score, config.nms_iou), finder
            )
        opened.append(open_backend(landmark_path, backend, threads, engine_cache_dir))
        return Pose2DEstimator(det, opened[-1], config, finder=finder)
    except Exception:
        for model in opened:
            model.close()
        raise


def open_movenet_finder(
    engines_dir: str | Path,
    backend: str = "onnxruntime",
    threads: int = 1,
    min_score: float = 0.2,
    engine_cache_dir: str | Path | None = None,
) -> MovenetFinder:
    """MoveNet MultiPose (engines_dir's movenet_multipose.onnx) as a person finder."""
    model = open_backend(Path(engines_dir) / MOVENET_FILE, backend, threads, engine_cache_dir)
    try:
        return MovenetFinder(model, min_score)
    except Exception:
        model.close()
        raise


class Models:
    """The loaded 2D stage and lifter, and the pipeline over them. close() frees every model."""

    def __init__(
        self,
        engines_dir: str | Path,
        backend: str = "onnxruntime",
        threads: int = 1,
        config: PipelineConfig | None = None,
        engine_cache_dir: str | Path | None = None,
        temporal_lifter: bool = False,
    ):
        """temporal_lifter: lift tracked people with the causal temporal lifter
        (core.pose3d.lifting.TemporalLifter, engines_dir's TEMPORAL_LIFTER_FILE)."""
        self.engines_dir = Path(engines_dir)
        config = config or PipelineConfig()
        self.pose2d = open_pose2d(
            self.engines_dir, backend, threads, config.pose2d, engine_cache_dir
        )
        try:
            self.lifter = open_lifter(self.engines_dir, backend, threads, engine_cache_dir)
            if temporal_lifter:
                try:
                    self.lifter = open_temporal_lifter(
                        self.lifter, self.engines_dir, backend, threads, engine_cache_dir
                    )
                except Exception:
                    self.lifter.close()
                    raise
        except Exception:
            self.pose2d.close()
            raise
        self.pipeline = Pose3DPipeline(self.pose2d, self.lifter, config)

    def close(self) -> None:
        self.pose2d.close()
        self.lifter.close()

    def __enter__(self) -> "Models":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
