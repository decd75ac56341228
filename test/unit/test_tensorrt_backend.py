"""TensorRT backend and engine building against in-test stand-ins (test/gpu_fakes.py).

Full TensorRT cannot be installed on this project's machines, so these tests pin OUR logic only:
feature detection of TensorRT 8 / 10 / TensorRT-RTX, the engine cache (keyed, rebuilt when stale,
never beside the models), tensors bound by name or by binding index, dynamic batch within the
profile, copies in and out, clear errors. They prove nothing about NVIDIA's libraries.
"""

import json
import sys

import numpy as np
import pytest

import gpu_fakes
from pose3d_ros.backends import engine_cache
from pose3d_ros.backends.engine_build import ensure_engine
from pose3d_ros.backends.factory import create_backend
from pose3d_ros.backends.tensorrt_backend import TensorRTBackend, import_tensorrt
from pose3d_ros.errors import ModelError


@pytest.fixture
def cuda_log(monkeypatch):
    log = gpu_fakes.CudaLog()
    gpu_fakes.install_cuda_python(monkeypatch, log)
    gpu_fakes.hide_pycuda(monkeypatch)
    return log


def _onnx(tmp_path, data=b"fake onnx v1", name="m.onnx"):
    path = tmp_path / "models" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("flavour", ["tensorrt10", "tensorrt8", "rtx"])
def test_each_flavour_builds_caches_and_runs_by_name_or_binding(
    monkeypatch, cuda_log, tmp_path, flavour
):
    trt = gpu_fakes.install_tensorrt(monkeypatch, flavour)
    cache = tmp_path / "cache"
    with create_backend(_onnx(tmp_path), "tensorrt", engine_cache_dir=cache, max_batch=4) as be:
        assert be.input_shapes == {"x": (-1, 3)} and be.output_shapes == {"y": (-1, 3)}
        for batch in (1, 3):
            x = np.arange(batch * 3, dtype=np.float32).reshape(batch, 3)
            np.testing.assert_array_equal(be.run({"x": x})["y"], 2 * x)
    (build,) = trt.builds
    assert build["max_batch"] == 4
    assert build["flags"] == (
        0 if flavour == "rtx" else 1
    )  # EXPLICIT_BATCH only where the enum has it
    assert build["fp16"] is (flavour != "rtx")  # strongly typed RTX: no FP16 builder flag
    (meta,) = cache.glob("*.meta.json")
    key = json.loads(meta.read_text())["key"]
    assert key["runtime"] == ("tensorrt_rtx" if flavour == "rtx" else "tensorrt")
    assert key["precision"] == ("fp32" if flavour == "rtx" else "fp16")
    assert key["gpu_name"] == "Fake GPU 9000" and key["compute_capability"] == "9.0"
    assert (
        "cudaMemcpyAsync" not in cuda_log.calls and "memcpy1" in cuda_log.calls
    )  # async copies, both ways
    assert "memcpy2" in cuda_log.calls


def test_cached_engine_is_reused_and_a_changed_model_is_rebuilt(monkeypatch, cuda_log, tmp_path):
    trt = gpu_fakes.install_tensorrt(monkeypatch)
    onnx, cache = _onnx(tmp_path), tmp_path / "cache"
    first = ensure_engine(onnx, cache, max_batch=2)
    assert ensure_engine(onnx, cache, max_batch=2) == first and len(trt.builds) == 1
    onnx.write_bytes(b"fake onnx v2")  # new ONNX bytes -> new key -> new engine
    second = ensure_engine(onnx, cache, max_batch=2)
    assert second != first and len(trt.builds) == 2
    third = ensure_engine(onnx, cache, max_batch=4)  # another max batch is another engine too
    assert third not in (first, second) and len(trt.builds) == 3


def test_engine_of_another_gpu_or_runtime_version_is_never_loaded(monkeypatch, cuda_log, tmp_path):
    onnx, cache = _onnx(tmp_path), tmp_path / "cache"
    trt = gpu_fakes.install_tensorrt(monkeypatch, version="10.3.0")
    ensure_engine(onnx, cache, gpu=("Other GPU", "8.6"))
    ensure_engine(onnx, cache)  # this machine's GPU: built anew
    trt = gpu_fakes.install_tensorrt(monkeypatch, version="10.4.0")
    ensure_engine(onnx, cache)  # another TensorRT version: built anew
    assert len(trt.builds) == 1 and len(list(cache.glob("*.engine"))) == 3


def test_tampered_metadata_means_rebuild(monkeypatch, cuda_log, tmp_path):
    trt = gpu_fakes.install_tensorrt(monkeypatch)
    onnx, cache = _onnx(tmp_path), tmp_path / "cache"
    path = ensure_engine(onnx, cache)
    meta = path.with_name(path.name.replace(".engine", ".meta.json"))
    record = json.loads(meta.read_text())
    record["key"]["runtime_version"] = "9.9.9"
    meta.write_text(json.dumps(record))
    assert ensure_engine(onnx, cache) == path and len(trt.builds) == 2
    path.write_bytes(b"ENGINE truncated")  # size no longer the recorded one
    ensure_engine(onnx, cache)
    assert len(trt.builds) == 3


def test_building_never_writes_beside_the_models(monkeypatch, cuda_log, tmp_path):
    gpu_fakes.install_tensorrt(monkeypatch)
    lifter = _onnx(tmp_path, name="lifter_h36m17.onnx")
    lifter_meta = lifter.with_suffix(".json")
    lifter_meta.write_text('{"input_name": "features"}')
    before = sorted(p.name for p in lifter.parent.iterdir())
    from pose3d_ros.tools import build_engines

    rc = build_engines.main(
        [
            "--engines-dir",
            str(lifter.parent),
            "--models",
            lifter.name,
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    assert rc == 0
    assert sorted(p.name for p in lifter.parent.iterdir()) == before
    assert lifter_meta.read_text() == '{"input_name": "features"}'
    assert len(list((tmp_path / "cache").glob("lifter_h36m17-*.engine"))) == 1


def test_default_cache_is_under_the_users_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(engine_cache.CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert engine_cache.default_cache_dir() == tmp_path / ".cache" / "pose3d_ros" / "engines"
    monkeypatch.setenv(engine_cache.CACHE_ENV, str(tmp_path / "mine"))
    assert engine_cache.default_cache_dir() == tmp_path / "mine"


def test_batch_outside_profile_and_missing_input_are_model_errors(monkeypatch, cuda_log, tmp_path):
    gpu_fakes.install_tensorrt(monkeypatch)
    with create_backend(
        _onnx(tmp_path), "tensorrt", engine_cache_dir=tmp_path / "c", max_batch=4
    ) as be:
        with pytest.raises(ModelError, match="outside the engine's profile"):
            be.run({"x": np.zeros((5, 3), np.float32)})
        with pytest.raises(ModelError, match="missing input"):
            be.run({})


def test_refused_engine_quotes_the_runtime_and_frees_the_stream(monkeypatch, cuda_log, tmp_path):
    gpu_fakes.install_tensorrt(monkeypatch, "rtx")
    engine = tmp_path / "x.engine"
    engine.write_bytes(b"garbage")
    with pytest.raises(
        ModelError, match="tensorrt_rtx 1.7.1 cannot deserialise .*not for this GPU"
    ):
        TensorRTBackend(engine)
    assert (
        cuda_log.calls.count("cudaStreamCreate") == cuda_log.calls.count("cudaStreamDestroy") == 1
    )
    with pytest.raises(ModelError, match="not found"):
        TensorRTBackend(tmp_path / "absent.engine")


def test_parser_errors_are_reported(monkeypatch, cuda_log, tmp_path):
    gpu_fakes.install_tensorrt(monkeypatch)
    with pytest.raises(ModelError, match="cannot parse .*unsupported node"):
        ensure_engine(_onnx(tmp_path, b"BAD onnx"), tmp_path / "c")


def test_full_tensorrt_is_preferred_over_rtx(monkeypatch):
    full = gpu_fakes.fake_tensorrt("tensorrt10")
    rtx = gpu_fakes.fake_tensorrt("rtx")
    monkeypatch.setitem(sys.modules, "tensorrt", full)
    monkeypatch.setitem(sys.modules, "tensorrt_rtx", rtx)
    assert import_tensorrt().name == "tensorrt"
    assert import_tensorrt("tensorrt_rtx").trt is rtx


def test_without_tensorrt_the_error_names_the_fix(monkeypatch, tmp_path):
    for name in ("tensorrt", "tensorrt_rtx", "tensorrt_rtx_bindings"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ModelError, match="tensorrt-rtx.*onnxruntime"):
        create_backend(_onnx(tmp_path), "tensorrt")
