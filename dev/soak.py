"""Soak benchmark of pose3d_node over real DDS: memory, drops by reason and latency over minutes.

    scripts/isolated.sh .venv/bin/python -m dev.soak [--minutes 10] \
        [--write-docs docs/benchmarks.md]

Starts the node as its own process (config/pose3d.yaml), publishes 640x480 rgb8 frames (+ the
camera_info with the same stamp) at 30 Hz: COCO photos with 1, 2 and 3 people from ../shared, each
held for --scene-s seconds so tracks start and end. Every few seconds it
samples the node's RSS (VmRSS summed over the node's process group, /proc/<pid>/status); it
reads /diagnostics for the drop counters by reason and the node's stage latencies, and measures
Image published -> body TF received itself. At the end the node gets SIGINT; its log is scanned for
error lines. A benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from dev.dds_env import assert_isolated
from dev.doc_sections import write_section
from dev.node_process import start_node, stop_node

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSE3D_SHARED", ROOT / ".." / "shared"))
REAL = SHARED / "data" / "real_images"
# (photo, its columns used (x0, x1) px or None for all, people the node finds there at 640x480
# with the default parameters); 000000000790 holds 4 people, its columns 205.. hold three of them
SCENES = (
    ("coco/000000000785.jpg", None, 1),
    ("coco/000000040083.jpg", None, 2),
    ("coco_mini/000000000790.jpg", (205, 640), 3),
)
WIDTH_PX, HEIGHT_PX = 640, 480
RSS_LIMIT_GROWTH = 0.05  # acceptance: at most 5 % RSS growth over the run
ERROR_MARKERS = ("[ERROR]", "[FATAL]", "Traceback")


def letterbox(bgr: np.ndarray, width_px: int, height_px: int) -> np.ndarray:
    """(h, w, 3) image scaled to fit (height_px, width_px, 3), centred on black."""
    import cv2

    h, w = bgr.shape[:2]
    scale = min(width_px / w, height_px / h)
    nw, nh = int(round(w * scale)), int(round(h * scale))
    out = np.zeros((height_px, width_px, 3), np.uint8)
    y0, x0 = (height_px - nh) // 2, (width_px - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def load_scene(source: str, columns_px: tuple[int, int] | None) -> np.ndarray:
    """A photo (its columns x0..x1 px, or all) letterboxed to (480, 640, 3) uint8 RGB."""
    import cv2

    bgr = cv2.imread(str(REAL / source))
    if bgr is None:
        raise SystemExit(f"cannot read {REAL / source}")
    if columns_px is not None:
        bgr = bgr[:, columns_px[0] : columns_px[1]]
    return cv2.cvtColor(letterbox(bgr, WIDTH_PX, HEIGHT_PX), cv2.COLOR_BGR2RGB)


def group_rss_kib(pgid: int) -> int:
    """VmRSS (KiB) summed over the live processes of process group `pgid`."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid or fields[0] == "Z":
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def run(args, proc: subprocess.Popen) -> dict:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Header
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.core.types import CameraIntrinsics
    from pose3d_ros.ros.conversions import (
        intrinsics_to_camera_info,
        ns_to_stamp,
        rgb_to_image,
        stamp_to_ns,
    )

    header = Header(frame_id="camera_optical_frame")
    intr = CameraIntrinsics.default_for(WIDTH_PX, HEIGHT_PX, 60.0)
    scenes = [(rgb_to_image(load_scene(src, cols), header), n) for src, cols, n in SCENES]
    info = intrinsics_to_camera_info(intr, header)

    rclpy.init()
    node = rclpy.create_node("pose3d_soak")
    qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    pub_img = node.create_publisher(Image, "/soak/image", qos)
    pub_info = node.create_publisher(CameraInfo, "/soak/camera_info", qos)
    sent_s: dict[int, float] = {}
    arrived_s: dict[int, float] = {}
    bodies: dict[int, set] = {}  # stamp -> body_<id> frames on /tf (the people in that frame)
    diag: dict[str, str] = {}
    levels: dict[str, int] = {}

    def on_tf(msg):
        t = time.perf_counter()
        for tf in msg.transforms:
            if tf.child_frame_id.startswith("body_"):
                stamp_ns = stamp_to_ns(tf.header.stamp)
                arrived_s.setdefault(stamp_ns, t)
                bodies.setdefault(stamp_ns, set()).add(tf.child_frame_id)

    def on_diag(msg):
        for st in msg.status:
            if st.name.startswith("pose3d_node"):
                diag.clear()
                diag.update({kv.key: kv.value for kv in st.values})
                level = {0: "OK", 1: "WARN", 2: "ERROR", 3: "STALE"}.get(
                    int.from_bytes(st.level, "little")
                    if isinstance(st.level, bytes)
                    else int(st.level),
                    "?",
                )
                levels[level] = levels.get(level, 0) + 1

    node.create_subscription(
        TFMessage, "/tf", on_tf, QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    )
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)

    def send(image, stamp_ns: int) -> None:
        image.header.stamp = info.header.stamp = ns_to_stamp(stamp_ns)
        pub_info.publish(info)
        sent_s[stamp_ns] = time.perf_counter()
        pub_img.publish(image)

    # wait until the node answers (discovery + model load)
    stamp_ns = time.time_ns()
    deadline = time.perf_counter() + args.start_timeout_s
    while not arrived_s:
        if time.perf_counter() > deadline or proc.poll() is not None:
            raise SystemExit(
                f"the node gave no body TF within {args.start_timeout_s} s (log: {args.node_log})"
            )
        stamp_ns += 100_000_000
        send(scenes[0][0], stamp_ns)
        end = time.perf_counter() + 0.5
        while not arrived_s and time.perf_counter() < end:
            rclpy.spin_once(node, timeout_sec=0.01)
    sent_s.clear()
    arrived_s.clear()
    bodies.clear()
    levels.clear()

    period_s = 1.0 / args.rate_hz
    frames_per_scene = max(1, int(round(args.scene_s * args.rate_hz)))
    total_frames = int(round(args.minutes * 60.0 * args.rate_hz))
    rss = [(0.0, group_rss_kib(proc.pid))]
    t0 = time.perf_counter()
    next_rss_s = args.rss_every_s
    late = 0
    for i in range(total_frames):
        due = t0 + i * period_s
        while True:
            now = time.perf_counter()
            if now >= due:
                break
            rclpy.spin_once(node, timeout_sec=min(0.005, due - now))
        if now - due > period_s:
            late += 1  # the publisher itself fell a frame behind (machine busy)
        image, _ = scenes[(i // frames_per_scene) % len(scenes)]
        stamp_ns += int(period_s * 1e9)
        send(image, stamp_ns)
        if now - t0 >= next_rss_s:
            rss.append((now - t0, group_rss_kib(proc.pid)))
            next_rss_s += args.rss_every_s
            if proc.poll() is not None:
                raise SystemExit(
                    f"the node exited with {proc.returncode} during the soak (log: {args.node_log})"
                )
    end = time.perf_counter() + 2.5  # the last frames' TF and one more diagnostics period
    while time.perf_counter() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    rss.append((time.perf_counter() - t0, group_rss_kib(proc.pid)))
    node.destroy_node()
    rclpy.try_shutdown()

    lat_ms = np.array([1e3 * (arrived_s[s] - t) for s, t in sent_s.items() if s in arrived_s])
    return {
        "sent": len(sent_s),
        "answered": len(lat_ms),
        "late": late,
        "rss": rss,
        "diag": dict(diag),
        "levels": levels,
        "lat_ms": lat_ms,
        "duration_s": rss[-1][0],
        "people": np.bincount([len(bodies[s]) for s in sent_s if s in bodies]),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summarise(res: dict, args, exit_code: int, log_text: str) -> tuple[str, bool, str]:
    """(markdown section, passed, RSS samples as one line)."""
    rss = res["rss"]
    warm = [kib for t, kib in rss if t >= args.warmup_s] or [rss[-1][1]]
    start_kib, warm_kib, end_kib = rss[0][1], warm[0], rss[-1][1]
    growth = (end_kib - warm_kib) / warm_kib
    growth_from_start = (end_kib - start_kib) / start_kib
    errors = [ln for ln in log_text.splitlines() if any(m in ln for m in ERROR_MARKERS)]
    d = res["diag"]
    counts = {k[len("count_") :]: v for k, v in sorted(d.items()) if k.startswith("count_")}
    stages = sorted({k[: -len("_ms_p50")] for k in d if k.endswith("_ms_p50")})
    lat = res["lat_ms"]
    passed = growth <= RSS_LIMIT_GROWTH and not errors and exit_code == 0
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    people = ", ".join(str(n) for _, _, n in SCENES)
    lines = [
        "### Soak: memory, drops and latency over a long run",
        "",
        f"Command: `scripts/isolated.sh .venv/bin/python -m dev.soak --minutes {args.minutes:g}` "
        f"({now}; {cpu_model()}, `nproc` {os.cpu_count()}).",
        f"Node in its own process over Fast DDS (config/pose3d.yaml), {args.rate_hz:g} Hz "
        f"{WIDTH_PX}x{HEIGHT_PX} rgb8 + camera_info, COCO photos with {people} people, each "
        f"held {args.scene_s:g} s. RSS = VmRSS of the node's process group, "
        f"sampled every {args.rss_every_s:g} s; growth is measured from the first sample after "
        f"{args.warmup_s:g} s of warm-up.",
        "",
        "| minutes | RSS start MiB | RSS after warm-up MiB | RSS end MiB | growth "
        "| growth from start | error lines | exit code |",
        "|---|---|---|---|---|---|---|---|",
        f"| {res['duration_s'] / 60:.1f} | {start_kib / 1024:.1f} | {warm_kib / 1024:.1f} "
        f"| {end_kib / 1024:.1f} | {100 * growth:+.2f} % | {100 * growth_from_start:+.2f} % "
        f"| {len(errors)} | {exit_code} |",
        "",
        f"Frames: {res['sent']} published ({res['late']} sent over a period late), "
        f"{d.get('frames_received', '?')} received by the node, "
        f"{d.get('frames_processed', '?')} processed, "
        f"{res['answered']} answered with a body TF; input frames missing by stamp: "
        f"{d.get('input_frames_missing_by_stamp', '?')}. /diagnostics levels seen: "
        + ", ".join(f"{k} {v}" for k, v in sorted(res["levels"].items()))
        + ".",
        "",
        "People per answered frame (body frames on /tf): "
        + ", ".join(f"{n}: {c}" for n, c in enumerate(res["people"]) if c)
        + ".",
        "",
        "Drops by reason (/diagnostics count_*): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + ".",
        "",
        "| latency | p50 ms | p95 ms |",
        "|---|---|---|",
    ]
    if lat.size:
        lines.append(
            f"| Image published -> body TF (all {lat.size} answered frames) | "
            f"{np.percentile(lat, 50):.1f} | {np.percentile(lat, 95):.1f} |"
        )
    for st in stages:
        p50, p95 = d[st + "_ms_p50"], d[st + "_ms_p95"]
        lines.append(f"| node stage {st} (last 100 frames, /diagnostics) | {p50} | {p95} |")
    lines += [
        "",
        f"Result: {'PASS' if passed else 'FAIL'} (RSS growth <= {100 * RSS_LIMIT_GROWTH:.0f} %, "
        "no error lines, exit code 0).",
    ]
    if errors:
        lines += ["", "Error lines (first 5):", ""] + [f"    {ln}" for ln in errors[:5]]
    rss_series = " ".join(f"{t:.0f}s:{kib / 1024:.0f}" for t, kib in rss[:: max(1, len(rss) // 20)])
    return "\n".join(lines), passed, rss_series


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate-hz", type=float, default=30.0)
    ap.add_argument("--scene-s", type=float, default=10.0, help="seconds each scene is held")
    ap.add_argument("--rss-every-s", type=float, default=5.0)
    ap.add_argument(
        "--warmup-s", type=float, default=60.0, help="RSS growth is measured after this"
    )
    ap.add_argument("--start-timeout-s", type=float, default=120.0)
    ap.add_argument(
        "--param", action="append", default=[], help="node parameter override name:=value"
    )
    ap.add_argument("--node-log", type=Path, default=Path("out/soak_node.log"))
    ap.add_argument(
        "--write-docs", type=Path, help="replace the soak section of this markdown file"
    )
    args = ap.parse_args(argv)
    assert_isolated()
    args.node_log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_node(args.node_log, args.param, "soak")
    try:
        res = run(args, proc)
    finally:
        code = stop_node(proc)
    text, passed, rss_series = summarise(res, args, code, args.node_log.read_text(errors="replace"))
    print(text)
    print(f"\nRSS samples (s:MiB): {rss_series}")
    if args.write_docs:
        write_section(args.write_docs, "soak", text, "# Benchmarks")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
