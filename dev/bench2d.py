"""python -m dev.bench2d: 2D stage latency and throughput here, and MediaPipe's in the same run.

A benchmark script, not a test: it prints numbers (and can write them into docs/benchmarks.md
between the bench2d markers). Three parts:
1. Per-stage latency p50/p95 (ms) on one frame, each stage timed on its own with 1 and 2 ONNX
   Runtime threads: detector (letterbox + model + decode + NMS; its model alone), ROI crop,
   landmark model (batch = people found), 2D decode per decoder, and the whole static frame.
2. Frames per second over two clips, tracking on and off: the street clip (5 frames, several
   people, looped) and a single-person clip (the COCO skier photo shifted by 0..8 px, back and
   forth).
3. MediaPipe 0.10.21's own pipeline (`mp.solutions.pose`, tracking and static) on the same frames,
   timed inside the oracle venv's process (needs `.venv-mediapipe`).
`--paired-rounds N` instead runs only our default config and MediaPipe with tracking, one right
after the other (the order alternating), N rounds on each clip, and reports each pair's ratio: on a
machine shared with other work the load changes within minutes, so only back-to-back pairs compare.
`--spin-rounds N` pairs our default config with ONNX Runtime's idle thread spinning off (the
backend's setting) and on, the same way.
Frame decoding is never timed. Run it under `nice` on a quiet machine; numbers on a shared VM vary.
"""

from __future__ import annotations

import argparse
import ast
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from dev import oracle_client
from dev.doc_sections import write_section
from dev.timing import time_calls
from pose3d_ros.backends.base import InferenceBackend
from pose3d_ros.backends.factory import create_backend

SECTION = "bench2d"  # docs/benchmarks.md markers <!-- bench2d:begin --> ... <!-- bench2d:end -->


class TimedBackend(InferenceBackend):
    """Pass-through backend that records the wall time of every run() in `times_s`."""

    def __init__(self, inner: InferenceBackend):
        self._inner = inner
        self.times_s: list[float] = []

    @property
    def input_shapes(self):
        return self._inner.input_shapes

    @property
    def output_shapes(self):
        return self._inner.output_shapes

    def run(self, feeds):
        t0 = time.perf_counter()
        out = self._inner.run(feeds)
        self.times_s.append(time.perf_counter() - t0)
        return out

    def close(self):
        self._inner.close()


def _pct(samples_s: list[float]) -> tuple[float, float]:
    a = np.asarray(samples_s) * 1e3
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


def load_clips(shared: Path) -> dict[str, list[np.ndarray]]:
    """{"street (multi-person)": 5 frames 960x540, "skier (1 person)": 16 shifted frames
    640x425}, RGB."""
    cap = cv2.VideoCapture(
        str(shared / "data" / "real_images" / "video" / "street_walk_5frames.mp4")
    )
    street = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        street.append(np.ascontiguousarray(bgr[:, :, ::-1]))
    cap.release()
    skier = cv2.imread(
        str(shared / "data" / "real_images" / "coco" / "000000000785.jpg"), cv2.IMREAD_COLOR
    )
    if not street or skier is None:
        raise FileNotFoundError(f"clip data missing under {shared}/data/real_images")
    skier = skier[:, :, ::-1]
    shifts_px = [0, 1, 2, 3, 4, 5, 6, 7, 8, 7, 6, 5, 4, 3, 2, 1]  # loops without a jump
    single = [
        np.ascontiguousarray(
            np.pad(skier, ((0, 0), (s, 0), (0, 0)), mode="edge")[:, : skier.shape[1]]
        )
        for s in shifts_px
    ]
    return {"street (multi-person)": street, "skier (1 person)": single}


def without_segmentation(landmark_onnx: Path, threads: int) -> InferenceBackend | None:
    """A backend on a temporary copy of the landmark model without its (N, 256, 256, 1) segmentation
    output (nothing downstream uses it), or None when the model has no such output."""
    import onnx
    import onnx.utils

    model = onnx.load(str(landmark_onnx), load_external_data=False)
    dims = {o.name: [d.dim_value for d in o.type.tensor_type.shape.dim] for o in model.graph.output}
    keep = [n for n, d in dims.items() if d[1:] != [256, 256, 1]]
    if len(keep) == len(dims):
        return None
    with tempfile.TemporaryDirectory(prefix="pose3d_prune_") as tmp:
        out = Path(tmp) / "landmark_noseg.onnx"
        onnx.utils.extract_model(str(landmark_onnx), str(out), [model.graph.input[0].name], keep)
        return create_backend(out, "onnxruntime", threads)


def stage_latency(
    engines: Path, frame: np.ndarray, threads: int, reps: int, decoders: list[str]
) -> dict:
    """Per-stage p50/p95 ms on `frame` (static): see the module docstring."""
    from pose3d_ros.assembly import DETECTOR_FILE, LANDMARK_FILE
    from pose3d_ros.core.geometry import crop_to_image
    from pose3d_ros.core.pose2d import Pose2DConfig, Pose2DEstimator
    from pose3d_ros.core.pose2d.decode import decode_xy
    from pose3d_ros.core.pose2d.finder import PersonFinder
    from pose3d_ros.core.pose2d.landmarks import crop_rois

    det_b = TimedBackend(create_backend(engines / DETECTOR_FILE, "onnxruntime", threads))
    lm_b = TimedBackend(create_backend(engines / LANDMARK_FILE, "onnxruntime", threads))
    rows = {}
    try:
        cfg = Pose2DConfig(tracking=False)
        est = Pose2DEstimator(det_b, lm_b, cfg)
        poses = est.process(frame)
        rois = [p.roi for p in poses]
        detector = PersonFinder(det_b, cfg.min_detection_score, cfg.nms_iou)
        det_b.times_s.clear()
        rows["detector, whole frame only (total)"] = _pct(
            time_calls(lambda: detector.find(frame), reps)
        )
        rows["  detector model"] = _pct(det_b.times_s[-reps:])
        if rois:
            crops = crop_rois(frame, rois)
            rows[f"ROI crop ({len(rois)} people)"] = _pct(
                time_calls(lambda: crop_rois(frame, rois), reps)
            )
            lm_in = next(iter(lm_b.input_shapes))
            rows[f"landmark model (batch {len(rois)})"] = _pct(
                time_calls(lambda: lm_b.run({lm_in: crops}), reps)
            )
            pruned = without_segmentation(engines / LANDMARK_FILE, threads)
            if pruned is not None:
                with pruned:
                    rows["  same, segmentation head pruned (what-if)"] = _pct(
                        time_calls(lambda: pruned.run({lm_in: crops}), reps)
                    )
            out = lm_b.run({lm_in: crops})
            raw = next(v for v in out.values() if v.ndim == 2 and v.shape[-1] == 195)
            hm = next((v for v in out.values() if v.ndim == 4 and v.shape[-1] == 39), None)
            reg = raw.reshape(len(rois), 39, 5)[..., :2].astype(np.float64) / 256.0
            for dec in decoders:

                def _decode(dec=dec):
                    xy = decode_xy(
                        reg,
                        hm,
                        dec,
                        cfg.refine_kernel,
                        cfg.heatmap_min_confidence,
                        cfg.softargmax_beta,
                    )
                    return [crop_to_image(xy[i], r) for i, r in enumerate(rois)]

                rows[f"decode + back-project ({dec})"] = _pct(time_calls(_decode, reps))
        rows[f"whole frame, static (detector tiles={cfg.detect_tiles})"] = _pct(
            time_calls(lambda: (est.reset(), est.process(frame)), reps)
        )
    finally:
        det_b.close()
        lm_b.close()
    return {"people": len(rois), "rows": rows}


def clip_fps(
    engines: Path,
    frames: list[np.ndarray],
    n_frames: int,
    threads: int,
    allow_spinning: bool | None = None,
    **config,
) -> dict:
    """Our 2D stage over `frames` looped to n_frames (after a 5-frame warm-up): fps, people,
    model calls. allow_spinning: None opens the models as the node does (assembly.open_pose2d);
    True / False opens the BlazePose detector and landmark model with ONNX Runtime's idle
    spinning on / off (the what-if behind the backend's choice)."""
    from pose3d_ros.assembly import DETECTOR_FILE, LANDMARK_FILE, open_pose2d
    from pose3d_ros.backends.onnxruntime_backend import OnnxRuntimeBackend
    from pose3d_ros.core.pose2d import Pose2DConfig, Pose2DEstimator

    if allow_spinning is None:
        est = open_pose2d(engines, "onnxruntime", threads, Pose2DConfig(**config))
    else:
        est = Pose2DEstimator(
            *(
                OnnxRuntimeBackend(engines / f, threads, allow_spinning=allow_spinning)
                for f in (DETECTOR_FILE, LANDMARK_FILE)
            ),
            Pose2DConfig(**config),
        )
    try:
        for i in range(5):
            est.process(frames[i % len(frames)])
        est.reset()
        det0, lm0 = est.detector_calls, est.landmark_calls
        people, lat, lat_cpu = 0, [], []
        t_start, cpu_start = time.perf_counter(), time.process_time()
        for i in range(n_frames):
            t0, c0 = time.perf_counter(), time.thread_time()
            people += len(est.process(frames[i % len(frames)]))
            lat.append(time.perf_counter() - t0)
            lat_cpu.append(time.thread_time() - c0)
        total_s = time.perf_counter() - t_start
        cores = (time.process_time() - cpu_start) / total_s
        p50, p95 = _pct(lat)
        cpu50, cpu95 = _pct(lat_cpu)
        return {
            "fps": n_frames / total_s,
            "p50_ms": p50,
            "p95_ms": p95,
            "thread_cpu_p50_ms": cpu50,  # the calling thread's CPU time per frame (1 ORT thread
            "thread_cpu_p95_ms": cpu95,  # runs on it): what a loaded machine's waits leave out
            "people_per_frame": people / n_frames,
            "cpu_cores_used": cores,
            "detector_runs": est.detector_calls - det0,
            "landmark_runs": est.landmark_calls - lm0,
        }
    finally:
        est.close()


def mediapipe_fps(frames: list[np.ndarray], n_frames: int, mode: str) -> dict | None:
    """mp.solutions.pose over the same frames, timed inside the oracle process
    (None without the venv)."""
    if oracle_client.oracle_python() is None:
        return None
    with tempfile.TemporaryDirectory(prefix="pose3d_bench_") as tmp:
        path = Path(tmp) / "frames.npy"
        np.save(path, np.stack(frames))
        r = oracle_client.run_oracle(
            ["bench", "--mode", mode, "--frames", str(n_frames), str(path)]
        )
    return {
        "fps": r["fps"],
        "p50_ms": r["p50_ms"],
        "p95_ms": r["p95_ms"],
        "people_per_frame": r["frames_with_person"] / r["frames"],
        "cpu_cores_used": r["cpu_cores_used"],
        "detector_runs": None,
        "landmark_runs": None,
    }


def paired_rounds(
    clips: dict[str, list[np.ndarray]], rounds: int, runners: dict[str, Callable]
) -> list[dict]:
    """The two `runners` (name -> run(frames) -> clip_fps-like dict) back to back on each clip,
    `rounds` times, the order alternating by round. Each row: round, clip, first (the name run
    first), runs (name -> dict), load_1min (the 1-minute load average before and after the pair)."""
    names = list(runners)
    rows = []
    for r in range(rounds):
        for clip, frames in clips.items():
            load0 = os.getloadavg()[0]
            order = names if r % 2 == 0 else names[::-1]
            runs = {n: runners[n](frames) for n in order}
            rows.append(
                {
                    "round": r + 1,
                    "clip": clip,
                    "first": order[0],
                    "runs": {n: runs[n] for n in names},
                    "load_1min": (load0, os.getloadavg()[0]),
                }
            )
            print(
                f"round {r + 1} {clip}: "
                + ", ".join(f"{n} {runs[n]['fps']:.1f} fps" for n in names)
                + f", load {load0:.1f}",
                flush=True,
            )
    return rows


def cpu_ms_per_frame(run: dict) -> float:
    """Process CPU ms per frame of a clip run (all threads: ours includes the scan worker)."""
    return 1e3 * run["cpu_cores_used"] / run["fps"]


def render_pairs(command: str, rows: list[dict], notes: list[str]) -> str:
    """Markdown: one line per back-to-back pair (A, B = the runners in order), then per clip the
    median A / B throughput and frames-per-CPU-second ratios."""
    a, b = list(rows[0]["runs"])
    lines = [f"Made by `{command}`.", ""] + notes
    lines += [
        "",
        f"| round | clip | first | load 1 min | {a} fps | {b} fps | {a} / {b} | "
        f"{a} CPU ms / frame | {b} CPU ms / frame |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o, m = r["runs"][a], r["runs"][b]
        lines.append(
            f"| {r['round']} | {r['clip']} | {r['first']} | "
            f"{r['load_1min'][0]:.1f} -> {r['load_1min'][1]:.1f} | {o['fps']:.1f} | "
            f"{m['fps']:.1f} | {o['fps'] / m['fps']:.2f}x | {cpu_ms_per_frame(o):.1f} | "
            f"{cpu_ms_per_frame(m):.1f} |"
        )
    lines.append("")
    for clip in dict.fromkeys(r["clip"] for r in rows):
        mine = [r["runs"] for r in rows if r["clip"] == clip]
        ratios = [x[a]["fps"] / x[b]["fps"] for x in mine]
        cpu = [cpu_ms_per_frame(x[b]) / cpu_ms_per_frame(x[a]) for x in mine]
        lines.append(
            f"- {clip}: {a} / {b} throughput median **{np.median(ratios):.2f}x** "
            f"(range {min(ratios):.2f}-{max(ratios):.2f}, {len(ratios)} pairs); frames per CPU "
            f"second median {np.median(cpu):.2f}x"
        )
    return "\n".join(lines) + "\n"


def render(command: str, stages: dict, fps: dict, notes: list[str]) -> str:
    lines = [
        "## 2D stage (BlazePose detector + landmark model, ONNX Runtime CPU)",
        "",
        f"Made by `{command}`.",
        "",
    ] + notes
    threads = list(stages)
    first = stages[threads[0]] if threads else {"rows": {}}
    if threads:
        lines += ["", "### Per-stage latency (ms, p50 / p95)", ""]
        lines.append(f"Frame: {first['frame']}. Each stage timed on its own.")
        lines += [
            "",
            "| stage | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}" for t in threads) + " |",
            "|---" * (len(threads) + 1) + "|",
        ]
    for name in first["rows"]:
        cells = [
            f"{stages[t]['rows'][name][0]:.1f} / {stages[t]['rows'][name][1]:.1f}"
            if name in stages[t]["rows"]
            else "n/a"
            for t in threads
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "### Throughput over clips (frames per second; p50 / p95 ms per frame)",
        "",
        "| clip | pipeline | threads | fps | ms p50 / p95 | CPU cores used | people / frame | "
        "detector runs | landmark runs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (clip, name, thr), r in fps.items():
        dr = "-" if r["detector_runs"] is None else r["detector_runs"]
        lr = "-" if r["landmark_runs"] is None else r["landmark_runs"]
        lines.append(
            f"| {clip} | {name} | {thr} | {r['fps']:.1f} | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} | "
            f"{r['cpu_cores_used']:.2f} | {r['people_per_frame']:.2f} | {dr} | {lr} |"
        )
    ratio_lines = []
    for (clip, name, thr), r in fps.items():
        mp = fps.get((clip, "MediaPipe, tracking", "own"))
        if mp and name.startswith("ours, tracking on"):
            people = (
                ""
                if r["people_per_frame"] <= 1.05
                else f" (ours: {r['people_per_frame']:.1f} people/frame, MediaPipe: 1)"
            )
            ratio_lines.append(
                f"- {clip}, {name}, {thr} thread(s): **{r['fps'] / mp['fps']:.2f}x** MediaPipe "
                f"with tracking{people}"
            )
    if ratio_lines:
        lines += [
            "",
            "### Ours / MediaPipe throughput (issue 10 target: >= 1.3x one person, tracking on)",
            "",
        ] + ratio_lines
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dev.bench2d", description=__doc__.split("\n")[0])
    p.add_argument("--engines", type=Path, default=None)
    p.add_argument(
        "--threads", default="1,2", help="ONNX Runtime thread counts for the per-stage table"
    )
    p.add_argument("--fps-threads", default="1", help="thread counts for the clip runs")
    p.add_argument("--reps", type=int, default=50, help="repetitions per stage")
    p.add_argument("--frames", type=int, default=150, help="frames per clip run")
    p.add_argument("--no-mediapipe", action="store_true")
    p.add_argument(
        "--tracking-only",
        action="store_true",
        help="only the clip runs with tracking on (no per-stage table, no tracking-off runs)",
    )
    p.add_argument(
        "--paired-rounds",
        type=int,
        default=0,
        help="only our default config vs MediaPipe tracking, back to back, this many rounds "
        "(at --fps-threads' first count); prints the pairs",
    )
    p.add_argument(
        "--spin-rounds",
        type=int,
        default=0,
        help="only our default config with ONNX Runtime's idle spinning off vs on, back to back, "
        "this many rounds (use --fps-threads 2: with 1 thread there is no pool to spin)",
    )
    p.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="FIELD=VALUE",
        help="Pose2DConfig overrides (Python literals) for every run of ours, e.g. "
        "person_finder='movenet' detect_tiles=(2,)",
    )
    p.add_argument(
        "--write-docs", type=Path, default=None, help="write the section into this markdown file"
    )
    return p


def parse_overrides(items: list[str]) -> dict:
    """--set FIELD=VALUE items -> {field: Python literal}."""
    out = {}
    for item in items:
        field, _, value = item.partition("=")
        out[field.strip()] = ast.literal_eval(value.strip())
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    engines = args.engines or oracle_client.default_engines_dir()
    clips = load_clips(oracle_client.shared_dir())
    overrides = parse_overrides(args.set)
    single_clip, street_clip = "skier (1 person)", "street (multi-person)"
    if args.paired_rounds > 0 or args.spin_rounds > 0:
        return _main_pairs(args, argv, engines, clips, overrides)
    decoders = ["regression", "refine", "softargmax"]
    stages = {}
    for t in [] if args.tracking_only else [int(x) for x in args.threads.split(",")]:
        stages[t] = stage_latency(engines, clips[single_clip][0], t, args.reps, decoders)
        stages[t]["frame"] = f"COCO skier photo 640x425, {stages[t]['people']} person(s) found"
        print(
            f"stages, {t} thread(s):",
            {k: tuple(round(x, 2) for x in v) for k, v in stages[t]["rows"].items()},
            flush=True,
        )
    runs = [
        ("ours, tracking on (default config)", {}),
        ("ours, tracking on, newcomer scan inline", {"async_scan": False}),
        ("ours, tracking on, detector only when lost", {"detect_every_n": 0}),
        ("ours, tracking off (detector every frame)", {"tracking": False}),
    ]
    if args.tracking_only:
        runs = [(name, cfg) for name, cfg in runs if cfg.get("tracking", True)]
    fps = {}
    for clip in (single_clip, street_clip):
        for t in [int(x) for x in args.fps_threads.split(",")]:
            for name, cfg in runs:
                fps[(clip, name, t)] = r = clip_fps(
                    engines, clips[clip], args.frames, t, **{**overrides, **cfg}
                )
                print(
                    clip,
                    name,
                    t,
                    {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()},
                    flush=True,
                )
        if not args.no_mediapipe:
            for mode in ("tracking", "static"):
                r = mediapipe_fps(clips[clip], args.frames, mode)
                if r is not None:
                    fps[(clip, f"MediaPipe, {mode}", "own")] = r
                    print(
                        clip,
                        "MediaPipe",
                        mode,
                        {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()},
                        flush=True,
                    )
    import onnxruntime

    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    notes = [
        f"{stamp}, {cv2.getNumberOfCPUs()} CPUs shared with other work (a VM): read the numbers as "
        f"indicative. ONNX Runtime {onnxruntime.__version__} CPU; MediaPipe 0.10.21 "
        "`mp.solutions.pose` (model_complexity=1, TFLite/XNNPACK, its own graph scheduler), timed "
        "inside its own process on the same frames. CPU cores used = process CPU time / wall time "
        "over the timed frames (ONNX Runtime's thread pool spins, so 2 threads show ~2 cores). "
        "Decoding video is not timed."
    ]
    section = render(
        ".venv/bin/python -m dev.bench2d " + " ".join(shlex.quote(a) for a in argv),
        stages,
        fps,
        notes,
    )
    print(section)
    if args.write_docs:
        write_section(args.write_docs, SECTION, section, "# Benchmarks")
    return 0


def _main_pairs(args, argv: list[str], engines: Path, clips: dict, overrides: dict) -> int:
    """--paired-rounds / --spin-rounds: print (never writes docs: the pairs go into a hand-written
    section)."""
    threads = int(args.fps_threads.split(",")[0])
    n = args.frames
    if args.spin_rounds > 0:
        rounds = args.spin_rounds
        runners = {
            "no spinning": lambda f: clip_fps(engines, f, n, threads, allow_spinning=False),
            "spinning": lambda f: clip_fps(engines, f, n, threads, allow_spinning=True),
        }
    else:
        if oracle_client.oracle_python() is None:
            print("dev.bench2d --paired-rounds needs .venv-mediapipe", file=sys.stderr)
            return 2
        rounds = args.paired_rounds
        runners = {
            "ours": lambda f: clip_fps(engines, f, n, threads, **overrides),
            "MediaPipe": lambda f: mediapipe_fps(f, n, "tracking"),
        }
    ordered = {k: clips[k] for k in ("skier (1 person)", "street (multi-person)")}
    rows = paired_rounds(ordered, rounds, runners)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    notes = [
        f"{stamp}, {os.cpu_count()} CPUs, ONNX Runtime {threads} thread(s), {n} frames per run, "
        f"config overrides: {overrides or 'none (default config)'}; MediaPipe 0.10.21 "
        "mp.solutions.pose tracking, in its own process. CPU ms / frame = process CPU time "
        "(all threads) / frames."
    ]
    command = ".venv/bin/python -m dev.bench2d " + " ".join(shlex.quote(a) for a in argv)
    print(render_pairs(command, rows, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
