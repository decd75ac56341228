"""GPU check: every GPU backend that is installed, against the CPU backend, on the sample clip.

    .venv/bin/python -m dev.gpu_check [--engines-dir engines] [--video CLIP] [--out result.json]

1. Reports the machine: GPU (through cuda-python or pycuda), onnxruntime and its providers,
   which TensorRT flavours import ("not available" with the reason otherwise).
2. Builds the three engines with every TensorRT flavour that imports, into a throw-away cache,
   and tries to load each (a runtime that refuses this GPU is reported with its own message).
3. Runs the whole pipeline on every frame of the clip (OpenCV decode) with the CPU backend
   (`onnxruntime`, the reference) and each available GPU variant (`onnxruntime_cuda`, the same
   with IO binding, `tensorrt`) and compares with the CPU run three ways:
   - same_input_vs_cpu: the reference run's first model inputs replayed through the variant's
     models, max |output difference| per model output (the backend's own numeric error);
   - deviation_vs_cpu: 2D keypoints (px) and 3D joints (mm), max and mean over matched people,
     with the detector on every frame (no ROI tracking: no frame-to-frame feedback);
   - deviation_vs_cpu_tracked: the same with ROI tracking (the node's default), where the next
     crop comes from this frame's landmarks, so differences can grow from frame to frame.
   Then it times repeated tracked passes over the clip: per-stage ms (detector, landmark, rest of
   2D, lift, place, tracking) and ms per tracked person-frame.
Prints one JSON document (and writes it to --out); stops repeating when --budget-s is spent so
the whole check ends in under 5 minutes. Exit status 0 unless the CPU reference itself fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.errors import Pose3DError

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSE3D_SHARED", ROOT / ".." / "shared"))
DEFAULT_VIDEO = SHARED / "data" / "real_images" / "video" / "street_walk_5frames.mp4"
MODELS = ("pose_detection.onnx", "pose_landmark_full.onnx", "lifter_h36m17.onnx")
REFERENCE = "onnxruntime"
RECORD_CALLS = (
    12  # model calls per model kept from the reference run to replay through each GPU variant
)
# label -> (backend kind, io_binding on the 2D models)
VARIANTS = {
    "onnxruntime_cuda": ("onnxruntime_cuda", False),
    "onnxruntime_cuda_iobinding": ("onnxruntime_cuda", True),
    "tensorrt": ("tensorrt", False),
}


class TimedBackend(InferenceBackend):
    """Wraps a backend and adds up the wall time (s) and number of its run() calls."""

    def __init__(self, inner: InferenceBackend, record: int = 0):
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0
        self.record = record  # keep copies of the first `record` (feeds, outputs) pairs
        self.recorded: list[tuple[dict, dict]] = []

    @property
    def input_shapes(self):
        return self.inner.input_shapes

    @property
    def output_shapes(self):
        return self.inner.output_shapes

    def run(self, feeds):
        t0 = time.perf_counter()
        try:
            out = self.inner.run(feeds)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1
        if len(self.recorded) < self.record:
            self.recorded.append(
                (
                    {k: np.array(v) for k, v in feeds.items()},
                    {k: np.array(v) for k, v in out.items()},
                )
            )
        return out

    def take(self) -> float:
        """Seconds since the last take()."""
        s, self.seconds = self.seconds, 0.0
        return s

    def close(self):
        self.inner.close()


# ---------------------------------------------------------------- pure helpers (unit-tested on CPU)


def match_people(ref_px: list[np.ndarray], other_px: list[np.ndarray]) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of people by mean keypoint distance;
    (ref index, other index) pairs.

    ref_px / other_px: per person (K, 2) keypoints, px. Closest pairs first.
    """
    pairs = sorted(
        (float(np.mean(np.linalg.norm(a - b, axis=-1))), i, j)
        for i, a in enumerate(ref_px)
        for j, b in enumerate(other_px)
    )
    used_i, used_j, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            out.append((i, j))
    return sorted(out)


def deviation(ref: list[list[dict]], other: list[list[dict]]) -> dict:
    """Max and mean per-joint Euclidean deviation of `other` from `ref` over matched people.

    ref/other: per frame, per person {"kp2d_px": (33, 2), "joints3d_m": (17, 3)}.
    kp2d in px; joints3d in mm, absolute (camera frame) and root-relative (pelvis = joint 0).
    """
    d2, d3, d3_rel = [], [], []
    people_ref = people_other = unmatched = 0
    for fr, fo in zip(ref, other):
        people_ref += len(fr)
        people_other += len(fo)
        pairs = match_people([p["kp2d_px"] for p in fr], [p["kp2d_px"] for p in fo])
        unmatched += len(fr) + len(fo) - 2 * len(pairs)
        for i, j in pairs:
            a, b = fr[i], fo[j]
            d2.append(np.linalg.norm(a["kp2d_px"] - b["kp2d_px"], axis=-1))
            d3.append(1000.0 * np.linalg.norm(a["joints3d_m"] - b["joints3d_m"], axis=-1))
            rel_a = a["joints3d_m"] - a["joints3d_m"][:1]
            rel_b = b["joints3d_m"] - b["joints3d_m"][:1]
            d3_rel.append(1000.0 * np.linalg.norm(rel_a - rel_b, axis=-1))
    unmatched += sum(len(f) for f in ref[len(other) :]) + sum(len(f) for f in other[len(ref) :])

    def stats(parts):
        if not parts:
            return {"max": None, "mean": None}
        v = np.concatenate(parts)
        return {"max": round(float(v.max()), 6), "mean": round(float(v.mean()), 6)}

    return {
        "people_ref": people_ref,
        "people_other": people_other,
        "unmatched_people": unmatched,
        "kp2d_px": stats(d2),
        "joints3d_mm": stats(d3),
        "joints3d_root_relative_mm": stats(d3_rel),
    }


def timing_summary(frames: list[dict]) -> dict:
    """Per-stage median ms per frame and ms per tracked person-frame from per-frame records.

    frames: [{"detector_s", "landmark_s", "pose2d_s", "lift_s", "place_s", "other_s", "people"}],
    one per frame; other_s is every later pipeline stage (tracking, smoothing), 0 when absent.
    landmark_decode_lift = pose2d - detector + lift (the per-person work), divided by person-frames.
    """
    if not frames:
        return {"frames": 0}
    col = {
        k: np.array([f[k] for f in frames], dtype=np.float64)
        for k in ("detector_s", "landmark_s", "pose2d_s", "lift_s", "place_s", "people")
    }
    col["other_s"] = np.array([f.get("other_s", 0.0) for f in frames], dtype=np.float64)
    total = col["pose2d_s"] + col["lift_s"] + col["place_s"] + col["other_s"]
    rest2d = col["pose2d_s"] - col["detector_s"] - col["landmark_s"]
    per_person = col["pose2d_s"] - col["detector_s"] + col["lift_s"]
    person_frames = float(col["people"].sum())

    def ms(v):
        return round(1000.0 * float(np.median(v)), 4)

    out = {
        "frames": len(frames),
        "person_frames": int(person_frames),
        "median_ms_per_frame": {
            "detector": ms(col["detector_s"]),
            "landmark": ms(col["landmark_s"]),
            "pose2d_rest": ms(rest2d),
            "lift": ms(col["lift_s"]),
            "place": ms(col["place_s"]),
            "track_and_rest": ms(col["other_s"]),
            "total": ms(total),
        },
        "mean_ms_per_frame_total": round(1000.0 * float(total.mean()), 4),
    }
    if person_frames:
        out["ms_per_person_frame"] = round(1000.0 * float(total.sum()) / person_frames, 4)
        out["ms_per_person_frame_landmark_decode_lift"] = round(
            1000.0 * float(per_person.sum()) / person_frames, 4
        )
    return out


def output_differences(recorded: dict[str, list[tuple[dict, dict]]], run) -> dict:
    """Same inputs through another backend: per model and output,
    max |difference| and max |reference|.

    recorded: model name -> [(feeds, reference outputs)]; run(model name, feeds) -> outputs.
    """
    out = {}
    for model, pairs in recorded.items():
        per = {}
        for feeds, ref in pairs:
            got = run(model, feeds)
            for name, r in ref.items():
                d = float(np.max(np.abs(np.asarray(got[name], np.float64) - r))) if r.size else 0.0
                m = per.setdefault(name, {"max_abs_diff": 0.0, "ref_max_abs": 0.0})
                m["max_abs_diff"] = max(m["max_abs_diff"], d)
                m["ref_max_abs"] = max(
                    m["ref_max_abs"], float(np.max(np.abs(r))) if r.size else 0.0
                )
        out[model] = {
            "calls": len(pairs),
            **{k: {a: float(f"{b:.6g}") for a, b in v.items()} for k, v in per.items()},
        }
    return out


# ---------------------------------------------------------------- pipeline plumbing


def read_clip(path: Path) -> tuple[list[np.ndarray], float]:
    """All frames of a video as (H, W, 3) uint8 RGB, and its frame rate (30 when unknown)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        raise SystemExit(f"cannot decode any frame from {path}")
    return frames, (fps if 1.0 <= fps <= 1000.0 else 30.0)


@contextlib.contextmanager
def timed_backends(io_binding: bool, record: int = 0):
    """While open, every backend assembly.py opens is wrapped in a TimedBackend (dict: model file
    name -> TimedBackend), and onnxruntime_cuda backends get `io_binding`. Restores
    assembly afterwards."""
    from pose3d_ros import assembly

    timers: dict[str, TimedBackend] = {}
    original = assembly.create_backend

    def create(path, kind="onnxruntime", threads=1, **options):
        extra = {"io_binding": io_binding} if kind == "onnxruntime_cuda" else {}
        timers[Path(path).name] = timed = TimedBackend(
            original(path, kind, threads, **options, **extra), record
        )
        return timed

    assembly.create_backend = create
    try:
        yield timers
    finally:
        assembly.create_backend = original


class Loaded:
    """The three models opened with one backend kind through assembly.Models, 2D models timed."""

    def __init__(
        self,
        engines_dir: Path,
        kind: str,
        io_binding: bool,
        threads: int,
        tracking: bool = True,
        record: int = 0,
    ):
        from pose3d_ros import assembly
        from pose3d_ros.core.pipeline import PipelineConfig
        from pose3d_ros.core.pose2d import Pose2DConfig

        config = PipelineConfig(pose2d=Pose2DConfig(tracking=tracking))
        with timed_backends(io_binding, record) as timers:
            self.models = assembly.Models(engines_dir, kind, threads, config)
        self.timers = timers
        self.pipeline = self.models.pipeline
        # the person finder's model: the BlazePose detector or MoveNet MultiPose (the default)
        finder_file = (
            assembly.DETECTOR_FILE
            if config.pose2d.person_finder == "blazepose"
            else assembly.MOVENET_FILE
        )
        self.detector = timers[finder_file]
        self.landmarks = timers[assembly.LANDMARK_FILE]
        self._stamp_ns = 1_000_000_000

    def pass_over(
        self, frames: list[np.ndarray], intrinsics, fps: float
    ) -> tuple[list[list[dict]], list[dict]]:
        """One pass over the clip (2D tracking reset first; stamps keep increasing across passes):
        (people per frame, timing record per frame)."""
        self.pipeline.reset()
        people, records = [], []
        for frame in frames:
            self.detector.take()
            self.landmarks.take()
            result = self.pipeline.process(frame, intrinsics, self._stamp_ns)
            self._stamp_ns += int(1e9 / fps)
            t = result.timings_s
            records.append(
                {
                    "detector_s": self.detector.take(),
                    "landmark_s": self.landmarks.take(),
                    "pose2d_s": t.get("pose2d", 0.0),
                    "lift_s": t.get("lift", 0.0),
                    "place_s": t.get("place", 0.0),
                    "other_s": sum(t.values())
                    - t.get("pose2d", 0.0)
                    - t.get("lift", 0.0)
                    - t.get("place", 0.0),
                    "people": len(result.people),
                }
            )
            people.append(
                [
                    {
                        "kp2d_px": np.asarray(p.pose2d.keypoints_px, np.float64),
                        "joints3d_m": np.asarray(p.joints3d_m, np.float64),
                    }
                    for p in result.people
                ]
            )
        return people, records

    def close(self) -> None:
        self.models.close()


def measure(
    engines_dir: Path,
    kind: str,
    io_binding: bool,
    threads: int,
    frames,
    intrinsics,
    fps: float,
    deadline: float,
    max_repeats: int,
    recorded: dict | None = None,
) -> dict:
    """One backend variant on the clip.

    Returns {"people_untracked": detection on every frame (no frame-to-frame feedback: the fair
    accuracy comparison), "people_tracked": first pass with ROI tracking (the node's default),
    "timing": summary over repeated tracked passes after that warm-up pass, "recorded": the first
    model inputs/outputs of the untracked pass, "same_input": `recorded` replayed through this
    variant's models (when given)}.
    """
    out = {}
    loaded = Loaded(engines_dir, kind, io_binding, threads, tracking=False, record=RECORD_CALLS)
    try:
        out["people_untracked"], _ = loaded.pass_over(frames, intrinsics, fps)
        out["recorded"] = {name: t.recorded for name, t in loaded.timers.items()}
        if recorded is not None:
            out["same_input"] = output_differences(
                recorded, lambda m, feeds: loaded.timers[m].inner.run(feeds)
            )
    finally:
        loaded.close()
    loaded = Loaded(engines_dir, kind, io_binding, threads)
    try:
        t0 = time.perf_counter()
        out["people_tracked"], _ = loaded.pass_over(frames, intrinsics, fps)  # also the warm-up
        warmup_s = time.perf_counter() - t0
        records, repeats = [], 0
        while repeats < max_repeats and (repeats == 0 or time.perf_counter() < deadline):
            records += loaded.pass_over(frames, intrinsics, fps)[1]
            repeats += 1
        summary = {
            "repeats": repeats,
            "first_pass_s": round(warmup_s, 3),
            **timing_summary(records),
        }
        providers = getattr(loaded.detector.inner, "providers", None)
        if providers is not None:
            summary["providers"] = providers
        out["timing"] = summary
        return out
    finally:
        loaded.close()


# ---------------------------------------------------------------- environment and engines


def environment() -> dict:
    env = {"python": platform.python_version(), "machine": platform.machine()}
    try:
        from pose3d_ros.backends.cuda_buffers import Cuda
        from pose3d_ros.backends.engine_build import current_gpu

        cuda = Cuda()
        env["cuda_binding"] = cuda.binding
        cuda.close()
        env["gpu"], env["compute_capability"] = current_gpu()
    except Pose3DError as exc:
        env["gpu"] = f"not available: {exc}"
    try:
        import onnxruntime as ort

        env["onnxruntime"] = ort.__version__
        env["onnxruntime_providers"] = ort.get_available_providers()
    except ImportError as exc:
        env["onnxruntime"] = f"not available: {exc}"
    return env


def tensorrt_runtimes() -> dict:
    """runtime name -> TensorRTRuntime or the reason it is not available."""
    from pose3d_ros.backends.tensorrt_backend import import_tensorrt

    out = {}
    for name in ("tensorrt", "tensorrt_rtx"):
        try:
            out[name] = import_tensorrt(name)
        except Pose3DError as exc:
            out[name] = f"not available: {exc}"
    return out


def check_engines(engines_dir: Path, runtimes: dict, cache_dir: Path, max_batch: int) -> dict:
    """Build every model with every importable TensorRT flavour, then try to load each engine."""
    from pose3d_ros.backends.engine_build import current_gpu, ensure_engine
    from pose3d_ros.backends.tensorrt_backend import TensorRTBackend

    report = {}
    for name, rt in runtimes.items():
        if isinstance(rt, str):
            report[name] = rt
            continue
        entry = {"version": rt.version, "strongly_typed": rt.strongly_typed, "models": {}}
        try:
            gpu = current_gpu()
        except Pose3DError as exc:
            entry["error"] = str(exc)
            report[name] = entry
            continue
        for model in MODELS:
            m = {}
            t0 = time.perf_counter()
            try:
                path = ensure_engine(
                    engines_dir / model,
                    cache_dir / name,
                    "fp16",
                    max_batch,
                    runtime=rt,
                    gpu=gpu,
                    progress=lambda s: print(s, file=sys.stderr),
                )
                m["build_s"] = round(time.perf_counter() - t0, 3)
                m["engine_mb"] = round(path.stat().st_size / 1e6, 2)
                m["key"] = _meta_of(path)["key"]
            except Pose3DError as exc:
                m["build_error"] = str(exc)
                entry["models"][model] = m
                continue
            try:
                TensorRTBackend(path, runtime=rt).close()
                m["loads"] = True
            except Pose3DError as exc:
                m["loads"] = False
                m["load_error"] = str(exc)
            entry["models"][model] = m
        report[name] = entry
    return report


def _meta_of(engine_path: Path) -> dict:
    """The metadata the cache wrote beside an engine."""
    return json.loads(
        engine_path.with_name(engine_path.name[: -len(".engine")] + ".meta.json").read_text()
    )


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="gpu_check", description=__doc__.split("\n\n")[0])
    ap.add_argument("--engines-dir", type=Path, default=ROOT / "engines")
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument(
        "--budget-s",
        type=float,
        default=200.0,
        help="wall time for the timed repeats, all variants",
    )
    ap.add_argument(
        "--max-repeats",
        type=int,
        default=40,
        help="timed passes over the clip per variant, at most",
    )
    ap.add_argument(
        "--threads", type=int, default=1, help="CPU threads for the onnxruntime reference"
    )
    ap.add_argument("--max-batch", type=int, default=8)
    ap.add_argument("--skip-engines", action="store_true", help="do not build TensorRT engines")
    ap.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS),
        help="GPU variants to try (the CPU reference always runs)",
    )
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args(argv)
    t_start = time.perf_counter()
    from pose3d_ros.core.types import CameraIntrinsics

    frames, fps = read_clip(args.video)
    h, w = frames[0].shape[:2]
    intrinsics = CameraIntrinsics.default_for(w, h, 60.0)
    result = {
        "clip": {"path": str(args.video), "frames": len(frames), "fps": fps, "size_px": [w, h]},
        "environment": environment(),
    }
    runtimes = tensorrt_runtimes()
    result["tensorrt"] = {
        k: (v if isinstance(v, str) else f"{v.name} {v.version}") for k, v in runtimes.items()
    }
    with tempfile.TemporaryDirectory(prefix="pose3d_engines_") as cache:
        if not args.skip_engines:
            result["engines"] = check_engines(
                args.engines_dir, runtimes, Path(cache), args.max_batch
            )
        os.environ["POSE3D_ENGINE_CACHE"] = str(Path(cache) / "tensorrt_default")
        variants = [(REFERENCE, REFERENCE, False)] + [
            (label, *VARIANTS[label]) for label in args.variants
        ]
        per_variant_s = args.budget_s / len(variants)
        ref, result["variants"] = None, {}
        for label, kind, io in variants:
            entry = {"kind": kind, "io_binding": io}
            try:
                m = measure(
                    args.engines_dir,
                    kind,
                    io,
                    args.threads,
                    frames,
                    intrinsics,
                    fps,
                    time.perf_counter() + per_variant_s,
                    args.max_repeats,
                    None if ref is None else ref["recorded"],
                )
                entry["available"] = True
                entry["timing"] = m["timing"]
            except Pose3DError as exc:
                entry.update(available=False, reason=str(exc))
                result["variants"][label] = entry
                if label == REFERENCE:
                    print(json.dumps(result, indent=2))
                    return 1
                continue
            if label == REFERENCE:
                ref = m
            else:
                entry["same_input_vs_cpu"] = m["same_input"]
                entry["deviation_vs_cpu"] = deviation(
                    ref["people_untracked"], m["people_untracked"]
                )
                entry["deviation_vs_cpu_tracked"] = deviation(
                    ref["people_tracked"], m["people_tracked"]
                )
                ref_ms = result["variants"][REFERENCE]["timing"].get("ms_per_person_frame")
                ms = entry["timing"].get("ms_per_person_frame")
                if ref_ms and ms:
                    entry["speedup_vs_cpu_per_person_frame"] = round(ref_ms / ms, 3)
            result["variants"][label] = entry
    result["wall_s"] = round(time.perf_counter() - t_start, 2)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
