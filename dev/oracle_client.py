"""Client side of the MediaPipe oracle: find its venv, run it in a subprocess, cache its answers.

The oracle (`mediapipe_oracle.py`) runs in the separate test-only venv `.venv-mediapipe` made by
`scripts/setup_mediapipe_oracle.sh`; this module never imports mediapipe. Frames are handed over
as lossless `.npy` RGB arrays so both sides see identical pixels, and answers are cached under
`.cache/mediapipe_oracle/` keyed by the frames' bytes and the oracle script's own hash.
Also resolves the shared data folder (env POSE3D_SHARED, default `<repo>/../shared`) and the
engines folder (as the node does: env POSE3D_ENGINES_DIR, else `<repo>/engines`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ORACLE_SCRIPT = Path(__file__).resolve().with_name("mediapipe_oracle.py")


def repo_root() -> Path:
    """The source checkout this package lives in."""
    return Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """Read-only shared data (env POSE3D_SHARED, default <repo>/../shared)."""
    return Path(os.environ.get("POSE3D_SHARED", repo_root() / ".." / "shared")).resolve()


def default_engines_dir() -> Path:
    """Generated ONNX models, found as the node finds them (pose3d_ros.assembly: env
    POSE3D_ENGINES_DIR, else engines/ beside the package)."""
    from pose3d_ros.assembly import resolve_engines_dir

    return resolve_engines_dir().resolve()


def oracle_python() -> Path | None:
    """The oracle venv's interpreter (env POSE3D_ORACLE_PYTHON, default
    <repo>/.venv-mediapipe), or None."""
    env = os.environ.get("POSE3D_ORACLE_PYTHON")
    path = Path(env) if env else repo_root() / ".venv-mediapipe" / "bin" / "python"
    return path if path.exists() else None


def run_oracle(args: list[str], python: Path | None = None, timeout_s: float = 600.0) -> dict:
    """Run `mediapipe_oracle.py ARGS --out tmp.json` in the oracle venv; returns its JSON report."""
    py = python or oracle_python()
    if py is None:
        raise FileNotFoundError("no MediaPipe oracle venv: run scripts/setup_mediapipe_oracle.sh")
    with tempfile.TemporaryDirectory(prefix="pose3d_oracle_") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [str(py), str(ORACLE_SCRIPT), *args, "--out", str(out)]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.setdefault("GLOG_minloglevel", "2")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
        if proc.returncode != 0:
            raise RuntimeError(
                f"oracle failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}"
            )
        return json.loads(out.read_text())


def dump_samples(out_dir: Path, python: Path | None = None) -> dict[str, Path]:
    """Write astronaut / camera / grace_hopper as RGB PNGs (decoded in the oracle venv)
    -> name: path."""
    out_dir = Path(out_dir)
    names = ("astronaut", "camera", "grace_hopper")
    paths = {n: out_dir / f"{n}.png" for n in names}
    if all(p.exists() for p in paths.values()):
        return paths
    py = python or oracle_python()
    if py is None:
        raise FileNotFoundError("no MediaPipe oracle venv: run scripts/setup_mediapipe_oracle.sh")
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [str(py), str(ORACLE_SCRIPT), "samples", "--out", str(out_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"oracle sample dump failed: {proc.stderr[-2000:]}")
    return paths


def _frames_key(frames: list[np.ndarray], mode: str) -> str:
    h = hashlib.sha256(ORACLE_SCRIPT.read_bytes())
    h.update(mode.encode())
    for f in frames:
        h.update(str(f.shape).encode())
        h.update(np.ascontiguousarray(f).tobytes())
    return h.hexdigest()[:24]


def oracle_landmarks(
    frames: list[np.ndarray],
    mode: str = "static",
    cache_dir: Path | None = None,
    python: Path | None = None,
) -> list[list[dict]]:
    """MediaPipe's people for each (H, W, 3) uint8 RGB frame, in order; cached.

    mode "static" detects on every frame; "tracking" feeds the frames as one sequence.
    Each person: {"keypoints_px": (33, 2) array, "visibility": (33,) array, "z_px": (33,) array}.
    """
    cache = Path(cache_dir) if cache_dir else repo_root() / ".cache" / "mediapipe_oracle"
    cached = cache / f"{mode}_{_frames_key(frames, mode)}.json"
    if cached.exists():
        report = json.loads(cached.read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="pose3d_frames_") as tmp:
            paths = []
            for i, f in enumerate(frames):
                paths.append(str(Path(tmp) / f"frame_{i:04d}.npy"))
                np.save(paths[-1], np.ascontiguousarray(f, dtype=np.uint8))
            report = run_oracle(["landmarks", "--mode", mode, *paths], python)
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(report))
    out = []
    for rec in report["frames"]:
        out.append(
            [
                {k: np.asarray(v, dtype=np.float64) for k, v in person.items()}
                for person in rec["people"]
            ]
        )
    return out
