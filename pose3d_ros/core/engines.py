"""Locate and load the three models once at start-up; build pipelines over the loaded backends.

Fails fast with a ModelError that names the missing or unreadable file and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

from pose3d_ros.backends.base import create_backend
from pose3d_ros.core.errors import ModelError
from pose3d_ros.core.lifting import Lifter
from pose3d_ros.core.pipeline import PipelineConfig, Pose3DPipeline
from pose3d_ros.core.pose2d import DETECTOR_FILE, LANDMARK_FILE, Pose2DConfig, Pose2DEstimator

LIFTER_FILE = "lifter_h36m17.onnx"
ENGINES_ENV = "POSE3D_ENGINES_DIR"
FIX = "create them with `make models` (or `pose3d_models`), or point the engines_dir parameter at them"


def resolve_engines_dir(engines_dir: str = "") -> Path:
    """The folder to load from: the given one, else $POSE3D_ENGINES_DIR, else engines/ beside the
    package (a source checkout or an editable install), else ./engines."""
    if engines_dir:
        return Path(engines_dir).expanduser()
    if os.environ.get(ENGINES_ENV):
        return Path(os.environ[ENGINES_ENV]).expanduser()
    beside = Path(__file__).resolve().parents[2] / "engines"
    return beside if beside.is_dir() else Path.cwd() / "engines"


class Models:
    """The loaded detector, landmark and lifter models. close() frees them."""

    def __init__(self, engines_dir: str | Path, backend_kind: str = "onnxruntime", threads: int = 1):
        d = Path(engines_dir)
        for name in (DETECTOR_FILE, LANDMARK_FILE, LIFTER_FILE, Path(LIFTER_FILE).with_suffix(".json").name):
            if not (d / name).is_file():
                raise ModelError(f"model file missing: {d / name}; {FIX}")
        self._opened = []
        try:
            self.detector = self._open(d / DETECTOR_FILE, backend_kind, threads)
            self.landmarks = self._open(d / LANDMARK_FILE, backend_kind, threads)
            try:
                self.lifter = Lifter.from_engine(d / LIFTER_FILE, backend_kind, threads)
            except Exception as e:  # noqa: BLE001 - any load failure is reported with the file and fix
                raise ModelError(f"cannot load {d / LIFTER_FILE}: {e}; {FIX}") from e
        except Exception:
            self.close()
            raise
        self.engines_dir = d

    def _open(self, path: Path, kind: str, threads: int):
        try:
            backend = create_backend(path, kind, threads)
        except Exception as e:  # noqa: BLE001
            raise ModelError(f"cannot load {path} with {kind}: {e}; {FIX}") from e
        self._opened.append(backend)
        return backend

    def make_pipeline(self, pose2d: Pose2DConfig, config: PipelineConfig) -> Pose3DPipeline:
        """A fresh pipeline (fresh ROI tracking) over the loaded models."""
        return Pose3DPipeline(Pose2DEstimator(self.detector, self.landmarks, pose2d), self.lifter, config)

    def close(self) -> None:
        for b in self._opened:
            b.close()
        self._opened = []
        lifter = getattr(self, "lifter", None)
        if lifter is not None:
            lifter.close()
