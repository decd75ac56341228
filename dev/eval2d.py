"""python -m dev.eval2d: the 2D stage against human COCO keypoint annotations and against MediaPipe.

For the 4 COCO photos in <shared>/data/real_images/coco it runs our multi-person 2D stage (static:
detector on every image, no tracking) once per decoder, and MediaPipe 0.10.21's single-person
`mp.solutions.pose` through the oracle venv, and reports per image and overall:
- found: GT people with >= 5 labelled keypoints (12 here) matched to a prediction with OKS >= 0.5
  (greedy by prediction score; unlabelled GT people are ignore regions, metrics2d.py);
- phantoms: predictions that match no annotated person (ignore regions included) even at OKS >=
  0.1: people reported where nobody is (a chair, a toy, a pizza) or a second skeleton on one body;
- PCK@0.2: per found person, fraction of labelled keypoints within 0.2 * max(bbox w, bbox h) px of
  the annotation; averaged over the found people;
- AP (OKS 0.50:0.05:0.95, COCO-style 101-point) and AP@0.5, all images pooled; a prediction's score
  is the mean visibility of its 17 COCO keypoints (MediaPipe's Python API exposes no presence);
- px to MediaPipe: mean distance of all 33 landmarks to MediaPipe's on the same person (the 3
  wheel-shipped photos, and the COCO people MediaPipe found), which ranks the decoders.
`--write-docs docs/accuracy.md` puts the tables between the eval2d markers of that file.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from dev import oracle_client
from dev.doc_sections import write_section
from dev.metrics2d import UNMATCHED, average_precision, greedy_match, oks_matrix, pck
from pose3d_ros.core.skeleton import BLAZEPOSE_TO_COCO17

MIN_LABELLED = 5
FOUND_OKS = 0.5
PHANTOM_OKS = 0.1  # a prediction matching no annotated person even this loosely is a phantom
PCK_ALPHA = 0.2
SECTION = "eval2d"  # docs/accuracy.md markers <!-- eval2d:begin --> ... <!-- eval2d:end -->


@dataclass
class CocoImage:
    """One annotated photo: rgb (H, W, 3) uint8; kp (G, 17, 3) x, y, v px;
    bbox (G, 4) x, y, w, h px."""

    name: str
    rgb: np.ndarray
    kp: np.ndarray
    bbox: np.ndarray
    area_px2: np.ndarray

    @property
    def counted(self) -> np.ndarray:
        """(G,) bool: people with >= MIN_LABELLED labelled keypoints (the ones recall counts)."""
        return (self.kp[:, :, 2] > 0).sum(axis=1) >= MIN_LABELLED

    @property
    def ignore(self) -> np.ndarray:
        """(G,) bool: people without any labelled keypoint (COCO ignore regions)."""
        return (self.kp[:, :, 2] > 0).sum(axis=1) == 0


@dataclass
class Predictions:
    """Per image: kp33 (P, 33, 2) px and visibility (P, 33)."""

    kp33: list[np.ndarray] = field(default_factory=list)
    vis33: list[np.ndarray] = field(default_factory=list)


def load_coco(coco_dir: Path) -> list[CocoImage]:
    """Images and person-keypoint annotations of <coco_dir>/person_keypoints.json (RGB frames)."""
    data = json.loads((coco_dir / "person_keypoints.json").read_text())
    out = []
    for im in sorted(data["images"], key=lambda i: i["file_name"]):
        bgr = cv2.imread(str(coco_dir / im["file_name"]), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(coco_dir / im["file_name"])
        anns = [
            a for a in data["annotations"] if a["image_id"] == im["id"] and not a.get("iscrowd", 0)
        ]
        kp = np.array([a["keypoints"] for a in anns], dtype=np.float64).reshape(-1, 17, 3)
        bbox = np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4)
        area = np.array([a["area"] for a in anns], dtype=np.float64)
        out.append(
            CocoImage(im["file_name"], np.ascontiguousarray(bgr[:, :, ::-1]), kp, bbox, area)
        )
    return out


def _stack(
    poses_kp: list[np.ndarray], poses_vis: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    kp = np.stack(poses_kp) if poses_kp else np.zeros((0, 33, 2))
    vis = np.stack(poses_vis) if poses_vis else np.zeros((0, 33))
    return kp, vis


def run_ours(estimator, frames: list[np.ndarray], progress: str | None = None) -> Predictions:
    """Static multi-person predictions: estimator.reset() before every frame."""
    preds = Predictions()
    it = frames
    if progress:
        from tqdm import tqdm

        it = tqdm(frames, desc=progress, leave=False)
    for frame in it:
        estimator.reset()
        poses = estimator.process(frame)
        kp, vis = _stack([p.keypoints_px for p in poses], [p.visibility for p in poses])
        preds.kp33.append(kp)
        preds.vis33.append(vis)
    return preds


def run_mediapipe(frames: list[np.ndarray]) -> Predictions:
    """MediaPipe's single-person static predictions via the oracle venv (cached)."""
    preds = Predictions()
    for people in oracle_client.oracle_landmarks(frames, "static"):
        kp, vis = _stack([p["keypoints_px"] for p in people], [p["visibility"] for p in people])
        preds.kp33.append(kp)
        preds.vis33.append(vis)
    return preds


def score_coco(images: list[CocoImage], preds: Predictions) -> dict:
    """Recall, PCK and AP of one method's predictions (see the module docstring)."""
    rows, ap_inputs, pcks, errs = [], [], [], []
    for img, kp33, vis33 in zip(images, preds.kp33, preds.vis33):
        kp17 = kp33[:, BLAZEPOSE_TO_COCO17]
        scores = vis33[:, BLAZEPOSE_TO_COCO17].mean(axis=1) if len(kp33) else np.zeros(0)
        oks = oks_matrix(kp17, img.kp, img.bbox, img.area_px2)
        ap_inputs.append((oks, scores, img.ignore))
        match = greedy_match(oks, scores, FOUND_OKS, img.ignore)
        found = [(p, g) for p, g in enumerate(match) if g >= 0 and img.counted[g]]
        loose = greedy_match(oks, scores, PHANTOM_OKS, img.ignore)
        phantoms = int(np.sum(loose == UNMATCHED))
        img_pck = [
            float(pck(kp17[p][None], img.kp[g][None], img.bbox[g][None], PCK_ALPHA)[0])
            for p, g in found
        ]
        pcks.extend(img_pck)
        for p, g in found:  # labelled-keypoint errors as a fraction of the bbox's longer side
            lab = img.kp[g, :, 2] > 0
            errs.extend(
                np.linalg.norm(kp17[p][lab] - img.kp[g][lab, :2], axis=1) / img.bbox[g, 2:].max()
            )
        rows.append(
            {
                "image": img.name,
                "people": int(img.counted.sum()),
                "predictions": int(len(kp33)),
                "found": len(found),
                "phantoms": phantoms,
                "pck": float(np.mean(img_pck)) if img_pck else float("nan"),
            }
        )
    aps = average_precision(ap_inputs)
    return {
        "rows": rows,
        "people": sum(r["people"] for r in rows),
        "found": sum(r["found"] for r in rows),
        "phantoms": sum(r["phantoms"] for r in rows),
        "pck": float(np.mean(pcks)) if pcks else float("nan"),
        "err_frac": float(np.mean(errs)) if errs else float("nan"),
        "ap": float(np.mean(list(aps.values()))),
        "ap50": aps[0.5],
    }


def px_to_reference(ours: Predictions, ref: Predictions) -> list[float]:
    """Mean 33-landmark px distance from each reference person to our closest person (NaN: none)."""
    dists = []
    for kp_ours, kp_ref in zip(ours.kp33, ref.kp33):
        for person in kp_ref:
            if len(kp_ours) == 0:
                dists.append(float("nan"))
                continue
            d = np.linalg.norm(kp_ours - person[None], axis=-1).mean(axis=1)
            dists.append(float(d.min()))
    return dists


def load_samples() -> list[np.ndarray]:
    """The 3 wheel-shipped photos as RGB, decoded in the oracle venv and stored as PNG."""
    paths = oracle_client.dump_samples(oracle_client.repo_root() / ".cache" / "samples")
    return [
        np.ascontiguousarray(cv2.imread(str(p), cv2.IMREAD_COLOR)[:, :, ::-1])
        for p in paths.values()
    ]


def _fmt(x: float, spec: str = ".2f") -> str:
    return "n/a" if x is None or not np.isfinite(x) else format(x, spec)


def render_markdown(command: str, results: dict, default_decoder: str) -> str:
    """The docs/accuracy.md section body (goes between the eval2d markers)."""
    ours, mp = results["decoders"][default_decoder], results.get("mediapipe")
    lines = [
        "## 2D keypoints: COCO human annotations and MediaPipe parity",
        "",
        f"Made by `{command}` (static: the person finder on every image, no tracking).",
        "",
        f"Definitions: a person counts when it has >= {MIN_LABELLED} labelled keypoints; it is "
        "*found* when greedy matching (by score) pairs it with a prediction at OKS >= "
        f"{FOUND_OKS}. PCK@{PCK_ALPHA}: fraction of labelled keypoints within {PCK_ALPHA} x "
        "max(bbox w, bbox h) of the annotation, per found person, averaged. AP: COCO-style OKS AP "
        "over 0.50:0.05:0.95 (101-point interpolated, all images pooled; unlabelled people are "
        "ignore regions), score = mean visibility of the 17 COCO keypoints. "
        "Implementation: `dev/metrics2d.py`.",
        "",
        f"### Per image (ours: decoder `{default_decoder}`; MediaPipe 0.10.21 "
        "`mp.solutions.pose`, single person)",
        "",
        "| image | people | ours found | ours PCK@0.2 | MediaPipe found | MediaPipe PCK@0.2 |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(ours["rows"]):
        m = mp["rows"][i] if mp else None
        lines.append(
            f"| {r['image']} | {r['people']} | {r['found']} | {_fmt(r['pck'])} | "
            f"{m['found'] if m else 'n/a'} | {_fmt(m['pck']) if m else 'n/a'} |"
        )
    lines += [
        "",
        "### Overall",
        "",
        "| method | found | phantoms | PCK@0.2 (found) | mean error, % of bbox side | AP | "
        "AP@0.5 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in [(f"ours ({default_decoder})", ours)] + ([("MediaPipe", mp)] if mp else []):
        lines.append(
            f"| {name} | {s['found']} / {s['people']} | {s['phantoms']} | {_fmt(s['pck'])} | "
            f"{_fmt(100 * s['err_frac'], '.1f')} | {_fmt(s['ap'], '.3f')} | "
            f"{_fmt(s['ap50'], '.3f')} |"
        )
    lines += [
        "",
        "### Decoders (landmark 2D from the model's regression, MediaPipe's heatmap refinement, "
        "or soft-argmax integral regression)",
        "",
        "px to MediaPipe: mean distance of the 33 landmarks from MediaPipe's on the same person, "
        "with the BlazePose detector on the whole frame only (MediaPipe's path, "
        "`person_finder=blazepose`, `detect_tiles=0`), so the decoder is the only difference. "
        "found / PCK / AP: the default 2D config (person finder and tiles), per decoder.",
        "",
        "| decoder | px to MediaPipe, 3 photos (mean of per-photo means / worst photo) | px to "
        "MediaPipe, COCO people it found | found | PCK@0.2 | mean error, % "
        "of bbox side | AP | AP@0.5 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in results["decoders"].items():
        ps, pc = s.get("px_samples", []), s.get("px_coco", [])
        samp = f"{_fmt(np.nanmean(ps))} / {_fmt(np.nanmax(ps))}" if ps else "n/a"
        lines.append(
            f"| {name} | {samp} | {_fmt(np.nanmean(pc)) if pc else 'n/a'} | {s['found']} / "
            f"{s['people']} | {_fmt(s['pck'])} | {_fmt(100 * s['err_frac'], '.1f')} | "
            f"{_fmt(s['ap'], '.3f')} | {_fmt(s['ap50'], '.3f')} |"
        )
    if results.get("tracking_px"):
        lines += [
            "",
            "### Tracking mode vs MediaPipe's (informative)",
            "",
            "Ours: tracking, detector on the first frame only, whole frame, `refine`; MediaPipe: "
            "`static_image_mode=False`, `smooth_landmarks=False`. Mean px per frame:",
            "",
        ]
        for clip, d in results["tracking_px"].items():
            lines.append(
                f"- {clip}: frame 0 {_fmt(d[0])}, frame 1 {_fmt(d[1])}, later frames median "
                f"{_fmt(float(np.nanmedian(d[2:])))} / max {_fmt(float(np.nanmax(d[2:])))}"
            )
        lines += [
            "",
            "Frame 0 is the static path; frame 1 is cropped from frame 0's auxiliary landmarks (a "
            "filter's first sample passes unchanged). MediaPipe always smooths the auxiliary "
            "landmarks that place the next frame's crop (one-euro filter, min_cutoff 0.01, beta "
            "10, derivative cutoff 1, speed scaled by the aux pair's box side, 30 Hz simulated "
            "timestamps, even with `smooth_landmarks=False`; read from the wheel's compiled "
            "graph); ours does the same (`pose2d.roi_tracker.AuxSmoother`, "
            "`Pose2DConfig.smooth_aux`, default on). Cropping from the raw ones instead "
            "(`smooth_aux=False`) drifted 2-5 px from MediaPipe from frame 2 on (later-frame "
            "median 1.94 px skier, 4.97 px street).",
        ]
    lines += ["", "### Findings", ""] + conclusions(results)
    return "\n".join(lines) + "\n"


def conclusions(results: dict) -> list[str]:
    """Which decoder is closest to MediaPipe and which is best against the human annotations."""
    decs = results["decoders"]
    out = []
    with_px = {
        d: np.nanmean(s["px_samples"] + s["px_coco"])
        for d, s in decs.items()
        if s.get("px_samples")
    }
    if with_px:
        best = min(with_px, key=with_px.get)
        out.append(
            f"- Closest to MediaPipe: `{best}` ({with_px[best]:.2f} px mean over the 3 photos and "
            "the COCO people). mp.solutions.pose does refine landmarks from the heatmaps (min "
            "confidence 0.5). The wheel's graph file names kernel_size 7, but its output is "
            "matched by `refine` with kernel 9 (0.02-0.07 px) and not with 7 (0.4-2.0 px; "
            "docs/pose2d.md), so `refine_kernel` defaults to 9."
        )
    best_ap = max(decs, key=lambda d: decs[d]["ap"])
    best_err = min(decs, key=lambda d: decs[d]["err_frac"])
    out.append(
        f"- Against the human annotations: best AP `{best_ap}` ({decs[best_ap]['ap']:.3f}), lowest "
        f"mean error `{best_err}` ({100 * decs[best_err]['err_frac']:.1f}% of the bbox side). With "
        "12 people this ranking is indicative only; recall and PCK@0.2 "
        "do not separate the decoders."
    )
    return out


def evaluate(
    engines_dir: Path,
    coco_dir: Path,
    decoders: list[str],
    with_mediapipe: bool,
    threads: int = 1,
    detect_tiles: int | None = None,
    progress: bool = True,
) -> dict:
    """Everything the tables show, as a dict (see render_markdown)."""
    from pose3d_ros.assembly import open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    images = load_coco(coco_dir)
    frames = [im.rgb for im in images]
    samples = load_samples() if with_mediapipe else []
    mp_coco = run_mediapipe(frames) if with_mediapipe else None
    mp_samples = run_mediapipe(samples) if with_mediapipe else None
    results: dict = {"decoders": {}}
    for dec in decoders:
        extra = {} if detect_tiles is None else {"detect_tiles": detect_tiles}
        est = open_pose2d(
            engines_dir, "onnxruntime", threads, Pose2DConfig(tracking=False, decoder=dec, **extra)
        )
        try:
            s = score_coco(images, run_ours(est, frames, f"COCO {dec}" if progress else None))
        finally:
            est.close()
        if (
            with_mediapipe
        ):  # MediaPipe's own detection path (whole frame only), so only the decoder differs
            est = open_pose2d(
                engines_dir,
                "onnxruntime",
                threads,
                Pose2DConfig(
                    tracking=False, decoder=dec, detect_tiles=0, person_finder="blazepose"
                ),
            )
            try:
                s["px_coco"] = px_to_reference(run_ours(est, frames, None), mp_coco)
                s["px_samples"] = px_to_reference(run_ours(est, samples, None), mp_samples)
            finally:
                est.close()
        results["decoders"][dec] = s
    if with_mediapipe:
        results["mediapipe"] = score_coco(images, mp_coco)
        results["tracking_px"] = tracking_parity(engines_dir, threads)
    return results


def tracking_parity(engines_dir: Path, threads: int = 1) -> dict[str, list[float]]:
    """Per frame, px from MediaPipe's tracking mode (no landmark smoothing) to ours (tracking,
    detector only on the first frame, whole frame only, `refine`), over the two benchmark clips."""
    from dev.bench2d import load_clips
    from pose3d_ros.assembly import open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    out = {}
    for clip, frames in load_clips(oracle_client.shared_dir()).items():
        ref = Predictions()
        for people in oracle_client.oracle_landmarks(frames, "tracking"):
            kp, vis = _stack([p["keypoints_px"] for p in people], [p["visibility"] for p in people])
            ref.kp33.append(kp)
            ref.vis33.append(vis)
        est = open_pose2d(
            engines_dir,
            "onnxruntime",
            threads,
            Pose2DConfig(
                tracking=True,
                detect_every_n=0,
                detect_tiles=0,
                decoder="refine",
                person_finder="blazepose",
            ),
        )
        try:
            ours = Predictions()
            for frame in frames:
                poses = est.process(frame)
                kp, vis = _stack([p.keypoints_px for p in poses], [p.visibility for p in poses])
                ours.kp33.append(kp)
                ours.vis33.append(vis)
        finally:
            est.close()
        out[clip] = px_to_reference(ours, ref)
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dev.eval2d", description=__doc__.split("\n")[0])
    p.add_argument(
        "--engines", type=Path, default=None, help="folder with the converted ONNX models"
    )
    p.add_argument(
        "--coco",
        type=Path,
        default=None,
        help="COCO folder (default <shared>/data/real_images/coco)",
    )
    p.add_argument(
        "--decoders",
        default=None,
        help="comma list (default: the configured default first, then the others); the first one "
        "is shown in the per-image table",
    )
    p.add_argument(
        "--no-mediapipe", action="store_true", help="skip the oracle venv (no MediaPipe columns)"
    )
    p.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    p.add_argument("--tiles", type=int, default=None, help="override Pose2DConfig.detect_tiles")
    p.add_argument(
        "--write-docs", type=Path, default=None, help="write the section into this markdown file"
    )
    p.add_argument("--json", type=Path, default=None, help="also dump the raw results as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    engines = args.engines or oracle_client.default_engines_dir()
    coco = args.coco or oracle_client.shared_dir() / "data" / "real_images" / "coco"
    if args.decoders:
        decoders = [d.strip() for d in args.decoders.split(",") if d.strip()]
    else:
        from pose3d_ros.core.pose2d import Pose2DConfig
        from pose3d_ros.core.pose2d.decode import DECODER_METHODS

        default = Pose2DConfig().decoder
        decoders = [default] + [d for d in DECODER_METHODS if d != default]
    with_mp = not args.no_mediapipe
    if with_mp and oracle_client.oracle_python() is None:
        print(
            "note: no .venv-mediapipe "
            "(scripts/setup_mediapipe_oracle.sh): MediaPipe columns left out",
            file=sys.stderr,
        )
        with_mp = False
    results = evaluate(engines, coco, decoders, with_mp, args.threads, args.tiles)
    given = argv if argv is not None else sys.argv[1:]
    command = ".venv/bin/python -m dev.eval2d " + " ".join(shlex.quote(a) for a in given)
    section = render_markdown(command.strip(), results, decoders[0])
    print(section)
    if args.write_docs:
        write_section(args.write_docs, SECTION, section, "# Accuracy")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
