"""GPU plumbing that runs on CPU: CUDA buffers over both bindings (stand-ins), the ONNX Runtime CUDA
backend's refusals, the backend kinds, and dev/gpu_check's pure parts (matching, deviation, timing).

Tests that need a real GPU skip with the reason; docs/gpu.md has what ran on one.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import gpu_fakes
from factories import REPO_ROOT as ROOT
from pose3d_ros.backends.cuda_buffers import Cuda, HostDeviceBuffer
from pose3d_ros.backends.factory import BACKEND_KINDS, create_backend
from pose3d_ros.errors import ConfigError, ModelError

ENGINES = ROOT / "engines"


# ---------------------------------------------------------------- CUDA buffers


@pytest.mark.parametrize("binding", ["cuda-python", "pycuda"])
def test_buffers_round_trip_on_one_stream_with_either_binding(monkeypatch, binding):
    log = gpu_fakes.CudaLog()
    if binding == "cuda-python":
        gpu_fakes.install_cuda_python(monkeypatch, log)
        gpu_fakes.hide_pycuda(monkeypatch)
    else:
        gpu_fakes.hide_cuda_python(monkeypatch)
        gpu_fakes.install_pycuda(monkeypatch, log)
    cuda = Cuda()
    assert cuda.binding == binding
    assert cuda.device_identity() == ("Fake GPU 9000", "9.0")
    buf = HostDeviceBuffer(cuda, (4, 3), np.float32)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    buf.to_device(x)
    buf.host_view((4, 3))[:] = -1  # the pinned staging area is overwritten; the device copy is not
    out = buf.from_device((2, 3))
    cuda.synchronize()
    np.testing.assert_array_equal(out, x)
    with pytest.raises(ModelError, match="exceeds buffer"):
        buf.to_device(np.zeros((5, 3), np.float32))
    buf.free()
    buf.free()  # idempotent
    cuda.close()
    cuda.close()


def test_cuda_python_preferred_and_binding_can_be_named(monkeypatch):
    log = gpu_fakes.CudaLog()
    gpu_fakes.install_cuda_python(monkeypatch, log)
    gpu_fakes.install_pycuda(monkeypatch, log)
    assert Cuda().binding == "cuda-python"
    assert Cuda("pycuda").binding == "pycuda"
    with pytest.raises(ModelError, match="unknown CUDA binding"):
        Cuda("numba")


def test_no_cuda_binding_is_one_clear_error(monkeypatch):
    gpu_fakes.hide_cuda_python(monkeypatch)
    gpu_fakes.hide_pycuda(monkeypatch)
    with pytest.raises(ModelError, match="cuda-python.*or pycuda"):
        Cuda()


def test_closed_stream_is_an_error(monkeypatch):
    gpu_fakes.install_cuda_python(monkeypatch, gpu_fakes.CudaLog())
    cuda = Cuda()
    cuda.close()
    with pytest.raises(ModelError, match="closed"):
        cuda.stream_handle


# ---------------------------------------------------------------- kinds and ONNX Runtime CUDA


def test_backend_kinds_include_the_gpu_ones():
    assert BACKEND_KINDS[0] == "onnxruntime"
    assert {"onnxruntime_cuda", "tensorrt"} <= set(BACKEND_KINDS)
    with pytest.raises(ConfigError, match="unknown backend"):
        create_backend(ENGINES / "lifter_h36m17.onnx", "cuda")


def _cuda_ep_present() -> bool:
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    return "CUDAExecutionProvider" in ort.get_available_providers()


@pytest.mark.skipif(_cuda_ep_present(), reason="this onnxruntime has the CUDA provider")
def test_onnxruntime_cuda_without_the_provider_is_one_clear_error():
    with pytest.raises(ModelError, match="onnxruntime_cuda.*not available.*onnxruntime-gpu"):
        create_backend(ENGINES / "lifter_h36m17.onnx", "onnxruntime_cuda")


def test_session_that_falls_back_to_cpu_is_refused(monkeypatch):
    """A CUDA provider that fails to start (missing cuDNN...) leaves a CPU-only session: refused."""
    import onnxruntime as ort

    real_session = ort.InferenceSession
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    monkeypatch.setattr(ort, "preload_dlls", lambda: None, raising=False)
    seen = {}

    def session(path, sess_options=None, providers=None):
        seen["providers"] = providers
        return real_session(path, sess_options=sess_options, providers=["CPUExecutionProvider"])

    monkeypatch.setattr(ort, "InferenceSession", session)
    with pytest.raises(ModelError, match="could not start CUDAExecutionProvider"):
        create_backend(ENGINES / "lifter_h36m17.onnx", "onnxruntime_cuda")
    name, options = seen["providers"][0]
    assert name == "CUDAExecutionProvider" and options["use_tf32"] == "0"


def test_cpu_backend_never_asks_for_the_gpu(monkeypatch):
    import onnxruntime as ort

    real_session = ort.InferenceSession
    seen = {}

    def session(path, sess_options=None, providers=None):
        seen["providers"] = providers
        return real_session(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    monkeypatch.setattr(ort, "InferenceSession", session)
    with create_backend(ENGINES / "lifter_h36m17.onnx", "onnxruntime") as be:
        assert be.providers == ["CPUExecutionProvider"]
    assert seen["providers"] == ["CPUExecutionProvider"]


@pytest.mark.skipif(
    not _cuda_ep_present(), reason="needs onnxruntime-gpu with the CUDA provider and a GPU"
)
@pytest.mark.parametrize("io_binding", [False, True])
def test_onnxruntime_cuda_matches_cpu_on_the_lifter(io_binding):
    x = np.random.default_rng(0).normal(size=(3, 54)).astype(np.float32)
    with (
        create_backend(ENGINES / "lifter_h36m17.onnx", "onnxruntime") as cpu,
        create_backend(
            ENGINES / "lifter_h36m17.onnx", "onnxruntime_cuda", io_binding=io_binding
        ) as gpu,
    ):
        name = next(iter(cpu.input_shapes))
        a, b = cpu.run({name: x}), gpu.run({name: x})
        for k in a:
            np.testing.assert_allclose(a[k], b[k], atol=1e-4)


# ---------------------------------------------------------------- dev/gpu_check pure parts

gpu_check = pytest.importorskip("dev.gpu_check")


def _person(offset_px=0.0, offset_m=0.0):
    kp = np.arange(66, dtype=np.float64).reshape(33, 2) + offset_px
    j3 = np.tile(np.array([0.0, 0.0, 3.0]), (17, 1)) + np.linspace(0, 1, 17)[:, None] + offset_m
    return {"kp2d_px": kp, "joints3d_m": j3}


def test_people_are_matched_by_keypoints_not_order():
    a, b = _person(), _person(500.0)
    assert gpu_check.match_people(
        [a["kp2d_px"], b["kp2d_px"]], [b["kp2d_px"] + 1, a["kp2d_px"]]
    ) == [(0, 1), (1, 0)]
    assert gpu_check.match_people([a["kp2d_px"]], []) == []


def test_deviation_in_px_and_mm():
    ref = [[_person(), _person(500.0)], [_person()]]
    other = [[_person(500.0), _person(0.3, 0.002)], []]
    d = gpu_check.deviation(ref, other)
    assert d["people_ref"] == 3 and d["people_other"] == 2 and d["unmatched_people"] == 1
    assert d["kp2d_px"]["max"] == pytest.approx(0.3 * np.sqrt(2))
    assert d["kp2d_px"]["mean"] == pytest.approx(0.15 * np.sqrt(2))
    assert d["joints3d_mm"]["max"] == pytest.approx(2.0 * np.sqrt(3))
    assert d["joints3d_root_relative_mm"]["max"] == pytest.approx(0.0, abs=1e-9)
    assert gpu_check.deviation([[]], [[]])["kp2d_px"] == {"max": None, "mean": None}


def test_timing_summary_per_stage_and_per_person_frame():
    frames = [
        {
            "detector_s": 0.002,
            "landmark_s": 0.004,
            "pose2d_s": 0.008,
            "lift_s": 0.001,
            "place_s": 0.0005,
            "other_s": 0.0005,
            "people": 2,
        },
        {
            "detector_s": 0.0,
            "landmark_s": 0.004,
            "pose2d_s": 0.005,
            "lift_s": 0.001,
            "place_s": 0.0005,
            "other_s": 0.0005,
            "people": 2,
        },
    ]
    s = gpu_check.timing_summary(frames)
    assert s["frames"] == 2 and s["person_frames"] == 4
    assert s["median_ms_per_frame"]["landmark"] == pytest.approx(4.0)
    assert s["median_ms_per_frame"]["total"] == pytest.approx(8.5)
    assert s["ms_per_person_frame"] == pytest.approx(17.0 / 4)
    assert s["ms_per_person_frame_landmark_decode_lift"] == pytest.approx(
        (0.006 + 0.005 + 0.002) * 1000 / 4
    )
    assert gpu_check.timing_summary([]) == {"frames": 0}


def test_output_differences_replays_recorded_inputs():
    recorded = {"m.onnx": [({"x": np.ones(3)}, {"y": np.array([1.0, -4.0, 2.0])})] * 2}
    d = gpu_check.output_differences(
        recorded, lambda model, feeds: {"y": np.array([1.5, -4.0, 2.0])}
    )
    assert d == {"m.onnx": {"calls": 2, "y": {"max_abs_diff": 0.5, "ref_max_abs": 4.0}}}


def test_timed_backend_adds_up_calls():
    class Echo:
        input_shapes = {"x": (-1,)}
        output_shapes = {"x": (-1,)}

        def run(self, feeds):
            return dict(feeds)

        def close(self):
            self.closed = True

    inner = Echo()
    t = gpu_check.TimedBackend(inner, record=1)
    assert t.run({"x": 1}) == {"x": 1} and t.calls == 1 and t.seconds >= 0.0
    t.run({"x": 2})
    assert len(t.recorded) == 1 and t.recorded[0][0]["x"] == 1
    assert t.take() >= 0.0 and t.seconds == 0.0
    t.close()
    assert inner.closed


def _clip() -> Path:
    return gpu_check.DEFAULT_VIDEO


@pytest.mark.skipif(
    not (ENGINES / "pose_landmark_full.onnx").is_file(), reason="models not generated (make models)"
)
def test_gpu_check_runs_on_cpu_and_reports_gpu_backends_unavailable(tmp_path, capsys):
    if not _clip().is_file():
        pytest.skip(f"sample clip {_clip()} not present")
    out = tmp_path / "r.json"
    assert gpu_check.main(["--budget-s", "1", "--max-repeats", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    ref = result["variants"]["onnxruntime"]
    assert ref["available"] and ref["timing"]["person_frames"] > 0
    assert ref["timing"]["median_ms_per_frame"]["landmark"] > 0
    for label in ("onnxruntime_cuda", "tensorrt"):
        v = result["variants"][label]
        if v["available"]:
            assert "deviation_vs_cpu" in v
        else:
            assert "not available" in v["reason"] or "needs" in v["reason"]
    assert json.loads(capsys.readouterr().out.strip())["clip"]["frames"] == result["clip"]["frames"]
