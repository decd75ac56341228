"""Posture and gesture (pose3d_ros/core/behaviour) on the CMU mocap: per-class precision / recall.

  .venv/bin/python -m dev.eval_behaviour --engine engines/lifter_h36m17.onnx

Every clip is played as one track at 30 fps through one fixed virtual camera per clip (a robot-like
camera: 0.8-1.6 m high, 2-6 m away, aimed at the clip's median pelvis height, rolled by a few
degrees; dev/behaviour_data.sample_camera). Two rows per set:
- shipped path: exact 2D projections + the lifter's 2D noise model (no clean samples) -> the lifter
  (ONNX, the engine given) -> One-Euro smoothing (the node's defaults) -> BehaviourTracker with the
  node's defaults (level-camera assumption, hysteresis);
- GT 3D: the exact camera-frame skeleton and its exact 2D, every joint trusted -> the same
  BehaviourTracker (what is lost to the camera-pose assumption and hysteresis alone).
Labels and their limits: dev/behaviour_data.py. Sets: held-out subjects (the lifter's test and val
splits: 2, 13, 6, 35) and all 26 subjects (the lifter was trained on the other 22). Walking clips
are played a second time with synthetic waves (dev/behaviour_data.add_wave).
A prediction of UNDEFINED counts as OTHER (what the node publishes).
Writes the markdown section between the behaviour markers of docs/accuracy.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from dev import behaviour_data as bd
from dev import lifter_data as ld
from dev.doc_sections import write_section
from pose3d_ros.assembly import open_lifter
from pose3d_ros.core.behaviour import BehaviourTracker, Gesture, Posture
from pose3d_ros.core.filters import OneEuroConfig, OneEuroFilter
from pose3d_ros.core.pose3d.lifting import normalise_2d

FPS = 30.0
HELD_OUT_SUBJECTS = (2, 6, 13, 35)
WAVE_CLIP_WORDS = r"^(walk|slow walk|brisk walk|normalwalk|walkstraight|walk forward)$"


def run_tracker(
    joints_m: np.ndarray, joints2d_px: np.ndarray, conf: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 3) m + (T, 17, 2) px + (T, 17) conf of one track at FPS -> reported (posture,
    gesture) per frame, UNDEFINED as OTHER."""
    tracker = BehaviourTracker()
    post, gest = [], []
    for k in range(len(joints_m)):
        stamp_ns = int(round(k * 1e9 / FPS))
        b = tracker.update("clip", stamp_ns, joints_m[k], joints2d_px[k], conf[k])
        post.append(max(int(b.posture), 0))
        gest.append(max(int(b.gesture), 0))
    return np.array(post), np.array(gest)


def smooth(joints_m: np.ndarray) -> np.ndarray:
    """The node's One-Euro smoothing (default settings) over a clip at FPS."""
    f = OneEuroFilter(OneEuroConfig())
    return np.stack([f.filter(j, k / FPS) for k, j in enumerate(joints_m)])


def clips(split_names=("train", "val", "test")):
    """Every clip: (name, subject, description, world joints (T, 17, 3) m)."""
    for split in split_names:
        s = ld.load_split(split)
        for ci, name in enumerate(s.clip_names):
            m = s.clip == ci
            yield name, int(s.subject[m][0]), s.descriptions[ci], s.poses_m[m]


def evaluate(args) -> list[dict]:
    """One record per played clip: labels, predictions of both rows, subject, description."""
    import re

    lifter = open_lifter(args.engine, args.backend, args.threads)
    rng = np.random.default_rng(args.seed)
    records = []
    for name, subject, desc, world in clips():
        versions = [(name, world, None)]
        if re.search(WAVE_CLIP_WORDS, desc.strip().lower()) and len(world) >= 3 * FPS:
            versions.append((name + "+wave", None, bd.plan_waves(len(world), rng, FPS)))
        for vname, w, waves in versions:
            if waves is not None:
                w = world
                for wave in waves:
                    w = bd.add_wave(w, wave, FPS)
            post_label, gest_label = bd.oracle_labels(w)
            for wave in waves or ():
                gest_label[wave.start : wave.end] = int(Gesture.WAVING)
            cam3d, uv, focal, center = bd.project(w, bd.sample_camera(w, rng))
            noisy, conf = ld.apply_noise(uv, rng, ld.NoiseModel(clean_fraction=0.0))
            feats = normalise_2d(noisy, conf, focal, center, lifter.conf_min)
            lifted = smooth(lifter.lift_features(feats))
            records.append(
                {
                    "clip": vname,
                    "subject": subject,
                    "description": desc,
                    "classes": bd.description_classes(desc),
                    "posture": post_label,
                    "gesture": gest_label,
                    "shipped": run_tracker(lifted, noisy, conf),
                    "gt3d": run_tracker(cam3d - cam3d[:, :1], uv, np.ones(conf.shape)),
                }
            )
    lifter.close()
    return records


def precision_recall(label: np.ndarray, pred: np.ndarray, cls: int) -> tuple[int, float, float]:
    """(frames labelled cls, precision, recall); NaN where undefined."""
    tp = int(np.sum((pred == cls) & (label == cls)))
    n_pred, n_label = int(np.sum(pred == cls)), int(np.sum(label == cls))
    return (
        n_label,
        tp / n_pred if n_pred else float("nan"),
        tp / n_label if n_label else float("nan"),
    )


def table(records: list[dict], kind: str, classes) -> list[str]:
    """Markdown rows: class, labelled frames, the share of them in clips whose description names
    the class (synthetic waves count as named), the subjects most of them come from (by frames),
    precision / recall of both rows (%)."""
    idx = 0 if kind == "posture" else 1
    label = np.concatenate([r[kind] for r in records])
    preds = {row: np.concatenate([r[row][idx] for r in records]) for row in ("shipped", "gt3d")}
    rows = []
    for cls in classes:
        named = np.concatenate(
            [
                np.full(
                    len(r[kind]),
                    bd.class_key(cls) in r["classes"]
                    or (cls == Gesture.WAVING and r["clip"].endswith("+wave")),
                )
                for r in records
            ]
        )
        mask = label == int(cls)
        share = f"{100 * named[mask].mean():.0f} %" if mask.any() else "-"
        subjects = np.concatenate([np.full(len(r[kind]), r["subject"]) for r in records])[mask]
        ids, counts = np.unique(subjects, return_counts=True)
        top = ", ".join(str(i) for i in ids[np.argsort(-counts)][:4]) or "-"
        cells = []
        for pred in preds.values():
            _, p, rcl = precision_recall(label, pred, int(cls))
            cells.append(f"{_pct(p)} / {_pct(rcl)}")
        rows.append(
            f"| {cls.name} | {int(mask.sum())} | {share} | {top} | " + " | ".join(cells) + " |"
        )
    return rows


def confusion(records: list[dict], kind: str, classes, row: str = "shipped") -> list[str]:
    """Markdown confusion counts: one line per label, one column per prediction."""
    idx = 0 if kind == "posture" else 1
    label = np.concatenate([r[kind] for r in records])
    pred = np.concatenate([r[row][idx] for r in records])
    abbrev = {"BOTH_HANDS_RAISED": "BOTH", "LEFT_HAND_RAISED": "LEFT", "RIGHT_HAND_RAISED": "RIGHT"}
    short = [abbrev.get(c.name, c.name) for c in classes]
    lines = [
        f"| label \\ {row} | " + " | ".join(short) + " |",
        "|---|" + "---:|" * len(classes),
    ]
    for c in classes:
        m = label == int(c)
        if m.any():
            counts = [int(np.sum(pred[m] == int(p))) for p in classes]
            lines.append(f"| {c.name} | " + " | ".join(str(n) for n in counts) + " |")
    return lines


def _pct(v: float) -> str:
    return "-" if not np.isfinite(v) else f"{100 * v:.0f}"


POSTURES = (Posture.STANDING, Posture.SITTING, Posture.CROUCHING, Posture.LAYING, Posture.OTHER)
GESTURES = (
    Gesture.WAVING,
    Gesture.BOTH_HANDS_RAISED,
    Gesture.LEFT_HAND_RAISED,
    Gesture.RIGHT_HAND_RAISED,
    Gesture.HANDS_ON_FACE,
    Gesture.ARMS_CROSSED,
    Gesture.OTHER,
)


def markdown(records: list[dict], args, info: dict) -> str:
    cmd = ".venv/bin/python -m dev.eval_behaviour " + " ".join(shlex.quote(a) for a in info["argv"])
    sets = {
        "held-out subjects 2, 6, 13, 35": [r for r in records if r["subject"] in HELD_OUT_SUBJECTS],
        "all 26 subjects": records,
    }
    lines = [
        "## Posture and gesture (CMU mocap, per-class precision / recall)",
        "",
        f"Command: `{cmd.strip()}`  ",
        f"Run {info['date']} UTC; {info['seconds']:.0f} s on {info['machine']} (CPU, 1 thread); "
        f"lifter `{args.engine}` sha256 {info['engine_sha256'][:12]}.",
        "",
        "What is measured (dev/eval_behaviour.py, dev/behaviour_data.py): every CMU clip played "
        "as one track at 30 fps through one fixed virtual camera per clip (0.8-1.6 m high, "
        "2-6 m away, aimed at the clip's median pelvis height, a few degrees of roll; the "
        "camera pose is not given to the classifier, "
        "which assumes a level camera). **shipped**: exact projections + the lifter's 2D noise "
        "model (every frame noisy: jitter, outliers, joint and limb dropout) -> the lifter "
        f"(`{args.engine}`) -> One-Euro smoothing -> `BehaviourTracker` with the node's defaults. "
        "**GT 3D**: the exact camera-frame skeleton and its exact 2D -> the same tracker. "
        "Cells: precision / recall, %; UNDEFINED predictions count as OTHER.",
        "",
        "**How the labels were made, and their limits.** Frame labels are the same rules applied "
        "to the ground-truth *world* skeleton with the true gravity direction and every joint "
        "trusted, without hysteresis: they define the classes exactly as the shipped rules do, "
        "so the table measures what survives the unknown camera pose, 2D noise, lifting, "
        "smoothing and hysteresis, not agreement with a human annotator. Clip descriptions were "
        "used to check them: 'named' is the share of a class's frames that come from clips whose "
        "description names it (sit; squat; arms held high / reach up / jumping jacks / hang; "
        "lift arm; wash self; folding arms); the rest are real frames the description does not "
        "confirm (e.g. SITTING on playground bars while climbing). The data has no clip of "
        "waving, laying, hands on face or crossed arms: WAVING is synthetic (walking clips "
        "played again with one arm replaced by a raised forearm swinging sideways at 1.5-3 Hz, "
        "20-35 deg, for 2-4 s; every frame of a wave is labelled WAVING, so the detector's "
        "start-up delay of about one second counts against recall), and LAYING, HANDS_ON_FACE "
        "and ARMS_CROSSED have only the few frames the rules find in climbing, dance and "
        "washing clips: their numbers are not evidence. The lifter was trained on the 22 "
        "subjects outside the held-out set.",
        "",
    ]
    for set_name, recs in sets.items():
        frames = sum(len(r["posture"]) for r in recs)
        lines += [
            f"**{set_name}** ({len(recs)} played clips, {frames} frames):",
            "",
            "| posture | frames | named | main subjects | shipped P / R | GT 3D P / R |",
            "|---|---:|---:|---|---:|---:|",
            *table(recs, "posture", POSTURES),
            "",
            "| gesture | frames | named | main subjects | shipped P / R | GT 3D P / R |",
            "|---|---:|---:|---|---:|---:|",
            *table(recs, "gesture", GESTURES),
            "",
        ]
    everyone = sets["all 26 subjects"]
    lines += [
        "Confusion counts, all subjects, shipped path (rows: label, columns: reported):",
        "",
        *confusion(everyone, "posture", POSTURES),
        "",
        *confusion(everyone, "gesture", GESTURES),
        "",
        "Reading the numbers: STANDING is reliable. SITTING and LAYING frames come from few "
        "subjects ('main subjects'; CMU subject 1 is playground climbing, in the lifter's "
        "training set), so their rows say little about other settings. CROUCHING loses most "
        "of its recall in the lifter, not in the rules (GT 3D keeps it): in squats the lifted "
        "knees are less bent (10-20 deg in the frames checked) and the hips higher. A hand "
        "raised during a wave is reported as raised until the wave is recognised (about one "
        "second) and for the whole wave when the camera sees the swing edge-on, which is where "
        "most of LEFT / RIGHT_HAND_RAISED's false positives and WAVING's missed frames are (see "
        "the confusion counts). HANDS_ON_FACE and ARMS_CROSSED are not shown to work: there is "
        "no data for them.",
        "",
    ]
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--engine", default="engines/lifter_h36m17.onnx")
    p.add_argument("--backend", default="onnxruntime", choices=("onnxruntime", "tensorrt"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--docs", default="docs/accuracy.md")
    p.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = p.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    return args


def machine() -> str:
    """CPU model and core count (Linux /proc/cpuinfo), else the platform's machine name."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(x.split(":", 1)[1].strip() for x in lines if x.startswith("model name"))
        return f"{model}, {os.cpu_count()} cores"
    except (OSError, StopIteration):
        return platform.machine()


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    records = evaluate(args)
    info = {
        "argv": args.argv,
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "seconds": time.perf_counter() - start,
        "machine": machine(),
        "engine_sha256": hashlib.sha256(Path(args.engine).read_bytes()).hexdigest(),
    }
    text = markdown(records, args, info)
    print(text)
    if not args.no_write:
        write_section(Path(args.docs), "behaviour", text, "# Accuracy")
        print(f"wrote {args.docs}")


if __name__ == "__main__":
    main()
