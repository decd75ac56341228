"""python -m dev.eval2d_finders: person finders side by side on COCO photos (static, one image at
a time, no tracking).

Methods (each on <shared>/data/real_images/coco and coco_mini):
- `blazepose`: the 2D stage at its default Pose2DConfig (BlazePose detector, whole frame + tiles);
- `blazepose_whole`: the same with the detector on the whole frame only (MediaPipe's path);
- `movenet+landmarks`: MoveNet MultiPose finds the people (core/pose2d/movenet.py: one pass, no
  face needed), each seeds a BlazePose landmark ROI, the rest of the stage as the default;
- `both+landmarks`: the BlazePose detector (whole frame + tiles) and MoveNet both seed landmark
  crops (person_finder "both");
- `movenet`: MoveNet MultiPose alone, its 17 COCO keypoints as the prediction (score: mean
  keypoint score, as eval2d scores BlazePose people).
`--landmark-models full heavy thunder lightning thunder_rotated` runs each method that uses the
stage with that Pose2DConfig.landmark_model: the product path (assembly.open_pose2d; `thunder` /
`lightning`: MoveNet Thunder / Lightning as the keypoint model, core/pose2d/movenet_single.py;
`thunder_rotated`: thunder with each crop turned by its ROI's rotation, a measurement only). The
`*+thunder` methods are the earlier research path: Thunder on each found person's crop with their
own selection (ThunderPeople). `--movenet-score-fit MODEL` (`--thunder-score-fit` = thunder)
instead fits that model's ScoreCalibration: its crops of the annotated people against crops of
their background (person score), and its keypoints against their labels (visibility).
Scores come from dev/eval2d.score_coco (found = GT people with >= 5 labelled keypoints matched at
OKS >= 0.5; AP; PCK@0.2 on found people; phantoms = predictions matching no annotated person even
at OKS 0.1) plus: people predicted on photos where nobody is
annotated ("empty-photo people"), and ms per image (wall and CPU, ONNX Runtime 1 thread; run it
under `nice` on a shared machine and read the times as indicative).
`--write-docs docs/pose2d.md [--section finders_sizes]` puts the table between that file's
finders (or the named) markers.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from dev.doc_sections import write_section
from dev.eval2d import Predictions, load_coco, score_coco
from pose3d_ros.core.pose2d.config import LANDMARK_MODELS
from pose3d_ros.core.skeleton import BLAZEPOSE_TO_COCO17

SECTION = "finders"
SETS = ("coco", "coco_mini")
METHODS = ("blazepose", "blazepose_whole", "movenet+landmarks", "movenet", "both+landmarks")
# gt+landmarks: a perfect person finder (the annotation itself seeds each crop): the most the
# landmark model can find; not in the default run
EXTRA_METHODS = ("gt+landmarks", "gt+thunder", "movenet+thunder", "both+thunder")
# *+thunder: MoveNet Thunder (single person, COCO-17) on each found person's upright square crop
THUNDER = {
    "onnx": None,
    "min_score": 0.2,
    "duplicate_iou": 0.6,
    "crop_scale": 1.0,
    "min_keypoints": 0,  # plausibility: at least this many keypoints scored >= 0.3
    "rotated": False,  # landmark model thunder_rotated: the stage's Thunder crops follow the ROI
}


def _shared() -> Path:
    from dev.oracle_client import shared_dir

    return shared_dir()


# landmark models this evaluation can run: Pose2DConfig's, and thunder with ROI-rotated crops
EVAL_LANDMARK_MODELS = (*LANDMARK_MODELS, "thunder_rotated")


def model_scores(pose, calibration=None) -> np.ndarray:
    """(17,) the model's own keypoint scores of a MovenetSingleModel pose (its visibility is
    movenet_single.keypoint_visibility of them with `calibration`, default Thunder's: inverted
    here)."""
    from pose3d_ros.core.pose2d import movenet_single

    return movenet_single.keypoint_scores(
        pose.visibility[BLAZEPOSE_TO_COCO17], calibration or movenet_single.THUNDER
    )


def coco17_as_33(people: list) -> tuple[np.ndarray, np.ndarray]:
    """MoveNet people (COCO-17 keypoints_px, keypoint_scores) placed in the 33-landmark slots
    eval2d scores (movenet_single.coco17_to_blazepose): ((P, 33, 2) px, (P, 33) scores)."""
    from pose3d_ros.core.pose2d.movenet_single import coco17_to_blazepose

    if not people:
        return np.zeros((0, 33, 2)), np.zeros((0, 33))
    return coco17_to_blazepose(
        np.stack([p.keypoints_px for p in people]), np.stack([p.keypoint_scores for p in people])
    )


def clip_frames(n_frames: int) -> dict[str, list[np.ndarray]]:
    """The shared street clip (5 frames, played forth and back) and the COCO skier photo
    repeated, n_frames each, RGB."""
    import cv2

    cap = cv2.VideoCapture(
        str(_shared() / "data" / "real_images" / "video" / "street_walk_5frames.mp4")
    )
    street = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        street.append(np.ascontiguousarray(bgr[:, :, ::-1]))
    cap.release()
    loop = street + street[-2:0:-1]
    skier = cv2.imread(str(_shared() / "data" / "real_images" / "coco" / "000000000785.jpg"))
    return {
        "street": [loop[k % len(loop)] for k in range(n_frames)],
        "skier": [np.ascontiguousarray(skier[:, :, ::-1])] * n_frames,
    }


def tracking_timing(engines_dir: Path, finders: list[str], n_frames: int) -> dict:
    """Tracking mode (the default config but for person_finder and the --set overrides): per clip
    and finder, wall ms per frame p50 / p95, people per frame (mean) and the number of distinct
    2D track keys (people ids) over the clip, one ONNX Runtime thread."""
    from pose3d_ros.assembly import open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig

    out: dict = {}
    for clip, frames in clip_frames(n_frames).items():
        for finder in finders:
            config = Pose2DConfig(**{**OVERRIDES, "person_finder": finder})
            est = open_pose2d(engines_dir, "onnxruntime", 1, config)
            times, people, keys = [], [], set()
            try:
                est.process(frames[0])
                est.reset()
                for frame in frames:
                    t0 = time.perf_counter()
                    poses = est.process(frame)
                    times.append(time.perf_counter() - t0)
                    people.append(len(poses))
                    keys.update(p.track_key for p in poses)
            finally:
                est.close()
            ms = 1e3 * np.asarray(times)
            out[f"{clip} {finder}"] = {
                "p50_ms": float(np.percentile(ms, 50)),
                "p95_ms": float(np.percentile(ms, 95)),
                "people": float(np.mean(people)),
                "ids": len(keys),
            }
            r = out[f"{clip} {finder}"]
            print(
                f"tracking {clip:6s} {finder:9s} p50 {r['p50_ms']:.1f} ms p95 {r['p95_ms']:.1f} ms "
                f"people/frame {r['people']:.2f} ids {r['ids']}",
                flush=True,
            )
    return out


def movenet_engines(engines_dir: Path, side_px: int, work_dir: Path) -> Path:
    """An engines folder whose movenet_multipose.onnx takes side x side px: engines_dir itself
    for the built size, else a folder under work_dir with the model converted at that size (from
    the cached npm tarball) and links to engines_dir's other models."""
    from pose3d_ros.assembly import MOVENET_FILE
    from pose3d_ros.models.tfjs.build import MovenetBuildOptions, build_movenet
    from pose3d_ros.models.tfjs.npm_package import MOVENET_MULTIPOSE
    from pose3d_ros.models.wheel import default_cache_dir

    manifest = json.loads((engines_dir / "movenet_manifest.json").read_text())
    if manifest["models"][MOVENET_MULTIPOSE.name]["input_hw"] == [side_px, side_px]:
        return engines_dir
    out = work_dir / f"movenet_{side_px}"
    out.mkdir(parents=True, exist_ok=True)
    for f in engines_dir.iterdir():
        if (
            f.suffix in (".onnx", ".json")
            and f.name != MOVENET_FILE
            and not (out / f.name).exists()
        ):
            (out / f.name).symlink_to(f.resolve())
    opts = MovenetBuildOptions(
        engines_dir=out,
        cache_dir=default_cache_dir(),
        sizes={MOVENET_MULTIPOSE.name: (side_px, side_px)},
    )
    build_movenet(opts, log=lambda m: None)
    return out


OVERRIDES: dict = {}  # Pose2DConfig fields set by --set for every method that uses the stage


class GroundTruthFinder:
    """A person finder that 'finds' the annotated people of the current photo (set `image`
    before each frame): each person with >= 2 labelled keypoints becomes a MoveNet-style person
    (labelled keypoints score 1) and seeds a landmark crop by the same rule as MoveNet's people
    (core/pose2d/movenet.to_detection). The bound any finder can reach with the landmark model."""

    concurrent_runs = False

    def __init__(self):
        self.image = None
        self.calls = 0

    def find(self, frame_rgb: np.ndarray, tiles: list = ()) -> list:
        from pose3d_ros.core.pose2d.movenet import MovenetPerson, to_detection

        self.calls += 1
        out = []
        for kp, (x, y, w, h) in zip(self.image.kp, self.image.bbox):
            labelled = kp[:, 2] > 0
            if labelled.sum() < 2:
                continue
            box = np.array([x, y, x + w, y + h], dtype=np.float64)
            person = MovenetPerson(kp[:, :2].astype(np.float64), labelled.astype(float), box, 1.0)
            out.append(to_detection(person))
        return out

    def close(self) -> None:
        pass


class ThunderPeople:
    """MoveNet Thunder (the package's movenet_single.MovenetSingleModel) on each finder
    Detection's crop (the ROI's centre and side x THUNDER['crop_scale'], upright): COCO-17
    keypoints in image px; here a person's score is its mean keypoint score; people below
    THUNDER['min_score'] and repeats (keypoint-box IoU > THUNDER['duplicate_iou'] with a better
    one) are dropped. Returns eval2d's 33-slot arrays (coco17_as_33)."""

    def __init__(self, onnx_path: Path, finder):
        from pose3d_ros.assembly import open_backend
        from pose3d_ros.core.pose2d.movenet_single import MovenetSingleModel

        self.finder = finder
        self.model = MovenetSingleModel(open_backend(Path(onnx_path), "onnxruntime", 1))

    def __call__(self, frame: np.ndarray, tiles: list) -> tuple[np.ndarray, np.ndarray]:
        from pose3d_ros.core.geometry import box_iou
        from pose3d_ros.core.pose2d.movenet import MovenetPerson
        from pose3d_ros.core.skeleton import BLAZEPOSE_TO_COCO17
        from pose3d_ros.core.types import Roi

        people = []
        rois = [
            Roi(np.asarray(d.roi.center_px, float), float(d.roi.size_px) * THUNDER["crop_scale"], 0)
            for d in self.finder.find(frame, tiles)
        ]
        for pose in self.model.estimate(frame, rois):
            kp = pose.keypoints_px[BLAZEPOSE_TO_COCO17]
            scores = model_scores(pose, self.model.calibration)
            score = float(scores.mean())
            if score < THUNDER["min_score"] or (scores >= 0.3).sum() < THUNDER["min_keypoints"]:
                continue
            box = np.concatenate([kp.min(axis=0), kp.max(axis=0)])
            people.append(MovenetPerson(kp, scores, box, score))
        people.sort(key=lambda p: -p.score)
        kept = []
        for p in people:
            if (
                kept
                and box_iou(p.box_px, np.stack([k.box_px for k in kept])).max()
                > THUNDER["duplicate_iou"]
            ):
                continue
            kept.append(p)
        return coco17_as_33(kept)

    def close(self) -> None:
        self.model.close()
        self.finder.close()


def background_rois(image, n: int, rng: np.random.Generator) -> list:
    """Up to n random upright squares (side 0.2..0.8 of the photo's shorter side) that overlap no
    annotated person's box by more than 5 % of that box: crops with nobody in them."""
    from pose3d_ros.core.types import Roi

    h, w = image.rgb.shape[:2]
    boxes = image.bbox.copy()
    boxes[:, 2:] += boxes[:, :2]
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1.0)
    out = []
    for _ in range(50 * n):
        if len(out) >= n:
            break
        side = rng.uniform(0.2, 0.8) * min(h, w)
        c = rng.uniform([side / 2, side / 2], [w - side / 2, h - side / 2])
        lo, hi = c - side / 2, c + side / 2
        ix = np.clip(np.minimum(hi[0], boxes[:, 2]) - np.maximum(lo[0], boxes[:, 0]), 0, None)
        iy = np.clip(np.minimum(hi[1], boxes[:, 3]) - np.maximum(lo[1], boxes[:, 1]), 0, None)
        if len(boxes) and float((ix * iy / area).max()) > 0.05:
            continue
        out.append(Roi(c, float(side), 0.0))
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """(mid, slope) of p = sigmoid(slope * (x - mid)) fitted to labels y (0/1) by Newton's method
    (maximum likelihood)."""
    w = np.zeros(2)
    a = np.stack([np.ones_like(x), x], axis=1)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        hess = a.T @ (a * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        w -= np.linalg.solve(hess, a.T @ (p - y))
    return float(-w[0] / w[1]), float(w[1])


def movenet_score_fit(
    engines_dir: Path, sets: list[str], landmark_model: str = "thunder", seed: int = 0
) -> dict:
    """A MoveNet single-pose model's ScoreCalibration (movenet_single.py; landmark_model thunder
    or lightning). Visibility (kp_mid, kp_slope): a keypoint is right when labelled and within
    keypoint OKS 0.5 of its label, on the people's crops. Person (mid, slope): the model's
    top_k_mean on the crop of every annotated person with >= 5 labelled keypoints
    (GroundTruthFinder's ROIs) and on background_rois (4 per photo), the logistic fitted to tell
    them apart, and the share of each that the package's current calibration puts at >= 0.5
    (keeps a track) and >= 0.8 (starts a person)."""
    from pose3d_ros.assembly import LANDMARK_FILES, open_backend
    from pose3d_ros.core.pose2d import movenet_single

    model = movenet_single.MovenetSingleModel(
        open_backend(engines_dir / LANDMARK_FILES[landmark_model], "onnxruntime", 1)
    )
    cal = model.calibration
    from dev.metrics2d import COCO_SIGMAS

    rng = np.random.default_rng(seed)
    gt, x, y, kx, ky = GroundTruthFinder(), [], [], [], []
    try:
        for name in sets:
            for img in load_coco(_shared() / "data" / "real_images" / name):
                counted = img.counted  # people with >= 5 labelled keypoints: the ones scored
                gt.image = dataclasses.replace(
                    img, kp=img.kp[counted], bbox=img.bbox[counted], area_px2=img.area_px2[counted]
                )
                for label, rois in (
                    (1.0, [d.roi for d in gt.find(img.rgb)]),
                    (0.0, background_rois(img, 4, rng)),
                ):
                    for k, pose in enumerate(model.estimate(img.rgb, rois)):
                        x.append(movenet_single.top_k_mean(model_scores(pose, cal), cal.top_k))
                        y.append(label)
                        if label:  # keypoint level: labelled and within OKS 0.5 of the label
                            g = gt.image.kp[k]
                            d2 = np.sum((pose.keypoints_px[BLAZEPOSE_TO_COCO17] - g[:, :2]) ** 2, 1)
                            var = (2.0 * COCO_SIGMAS) ** 2 * gt.image.area_px2[k]
                            kx.extend(model_scores(pose, cal))
                            ky.extend((g[:, 2] > 0) & (np.exp(-d2 / var / 2.0) >= 0.5))
    finally:
        model.close()
    x, y = np.asarray(x), np.asarray(y)
    mid, slope = fit_logistic(x, y)
    kx, ky = np.asarray(kx), np.asarray(ky, dtype=float)
    kmid, kslope = fit_logistic(kx, ky)
    score = np.array([movenet_single.person_score(np.full(17, v), cal) for v in x])
    out = {
        "model": landmark_model,
        "people": int(y.sum()),
        "background": int((1 - y).sum()),
        "mid": mid,
        "slope": slope,
    }
    out.update(keypoints=len(kx), keypoints_right=int(ky.sum()), kp_mid=kmid, kp_slope=kslope)
    for cls, m in (("people", y == 1), ("background", y == 0)):
        out[f"{cls}_top_k_mean_p5_p50_p95"] = np.percentile(x[m], [5, 50, 95]).round(3).tolist()
        out[f"{cls}_score_ge_0.5"] = float(np.mean(score[m] >= 0.5))
        out[f"{cls}_score_ge_0.8"] = float(np.mean(score[m] >= 0.8))
    return out


def _probe_crops(est):
    """Measurement probes on the stage's MoveNet single-pose keypoint model (thunder, lightning):
    ROI-rotated crops (landmark model thunder_rotated) and the crop side x
    THUNDER['crop_scale'] (--thunder-crop-scale); `est` unchanged otherwise."""
    from pose3d_ros.core.pose2d.config import MOVENET_LANDMARK_MODELS
    from pose3d_ros.core.pose2d.movenet_single import MovenetSingleModel

    if est.config.landmark_model in MOVENET_LANDMARK_MODELS and (
        THUNDER["rotated"] or THUNDER["crop_scale"] != 1.0
    ):
        est._landmarks = MovenetSingleModel(
            est._backends[1], upright=not THUNDER["rotated"], crop_scale=THUNDER["crop_scale"]
        )
    return est


def _static_people(est, frame) -> tuple[np.ndarray, np.ndarray]:
    """The estimator on one frame as a still (tracking reset first): ((P, 33, 2) keypoints px,
    (P, 33) visibility)."""
    est.reset()
    poses = est.process(frame)
    kp = np.stack([p.keypoints_px for p in poses]) if poses else np.zeros((0, 33, 2))
    vis = np.stack([p.visibility for p in poses]) if poses else np.zeros((0, 33))
    return kp, vis


def _open(method: str, engines_dir: Path, min_movenet_score: float, tiles: tuple[int, ...]):
    """(callable frame -> (kp33, vis33), closer) for one method; `tiles`: MoveNet's extra
    zoomed regions (grid sizes, finder.tile_regions)."""
    from pose3d_ros.assembly import open_movenet_finder, open_pose2d
    from pose3d_ros.core.pose2d import Pose2DConfig
    from pose3d_ros.core.pose2d.finder import tile_regions

    if method.endswith("+thunder"):
        from pose3d_ros.core.pose2d.finder import tile_regions

        onnx = THUNDER["onnx"] or engines_dir / "movenet_thunder.onnx"
        gt = GroundTruthFinder()
        if method == "gt+thunder":
            finder = gt
        else:
            finder = open_movenet_finder(engines_dir, "onnxruntime", 1, min_movenet_score)
        if method == "both+thunder":  # the BlazePose detector's people, then MoveNet's
            from pose3d_ros.assembly import DETECTOR_FILE, open_backend
            from pose3d_ros.core.pose2d.finder import PersonFinder
            from pose3d_ros.core.pose2d.movenet import UnionFinder

            c = Pose2DConfig(**OVERRIDES)
            det = open_backend(engines_dir / DETECTOR_FILE, "onnxruntime", 1)
            finder = UnionFinder(PersonFinder(det, c.min_detection_score, c.nms_iou), finder)
        thunder = ThunderPeople(onnx, finder)

        def run_thunder(frame, image):
            gt.image = image
            h, w = frame.shape[:2]
            return thunder(frame, [r for g in tiles for r in tile_regions(w, h, g)])

        return run_thunder, thunder.close
    if method == "gt+landmarks":
        from pose3d_ros.assembly import LANDMARK_FILES, open_backend
        from pose3d_ros.core.pose2d import Pose2DEstimator

        config = Pose2DConfig(**{**OVERRIDES, "tracking": False, "detect_tiles": ()})
        gt = GroundTruthFinder()
        landmarks = open_backend(
            engines_dir / LANDMARK_FILES[config.landmark_model], "onnxruntime", 1
        )
        est = _probe_crops(Pose2DEstimator(None, landmarks, config, finder=gt))

        def run_gt(frame, image):
            gt.image = image
            return _static_people(est, frame)

        return run_gt, est.close
    if method == "movenet":
        finder = open_movenet_finder(engines_dir, "onnxruntime", 1, min_movenet_score)

        def run(frame):
            h, w = frame.shape[:2]
            regions = [r for g in tiles for r in tile_regions(w, h, g)]
            people = finder.people(frame, regions)
            return coco17_as_33(people)

        return run, finder.close
    if method == "blazepose":  # the finder named, whatever the default finder is
        config = Pose2DConfig(**{**OVERRIDES, "tracking": False, "person_finder": "blazepose"})
    elif method == "blazepose_whole":
        config = Pose2DConfig(
            **{**OVERRIDES, "tracking": False, "detect_tiles": 0, "person_finder": "blazepose"}
        )
    elif method == "both+landmarks":
        config = Pose2DConfig(
            **OVERRIDES, tracking=False, person_finder="both", movenet_min_score=min_movenet_score
        )
    else:
        config = Pose2DConfig(
            **OVERRIDES,
            tracking=False,
            detect_tiles=tiles,
            person_finder="movenet",
            movenet_min_score=min_movenet_score,
        )
    est = _probe_crops(open_pose2d(engines_dir, "onnxruntime", 1, config))

    return (lambda frame: _static_people(est, frame)), est.close


def variants(
    methods: list[str], sides: list[int], tiles: list[str], landmark_models: list[str] = ("full",)
) -> list[tuple]:
    """(label, method, MoveNet side px, MoveNet tile grids, landmark model) for every method x
    MoveNet option x landmark model (Pose2DConfig.landmark_model; `movenet` has none). Labels
    name the landmark model when it is not full."""
    out = []
    for method in methods:
        lms = ["full"] if method == "movenet" or "thunder" in method else list(landmark_models)
        for lm in lms:
            tag = "" if lm == "full" else f" [{lm}]"
            if method == "both+landmarks":
                out += [(f"{method} {side}px{tag}", method, side, (), lm) for side in sides]
                continue
            if not (method.startswith("movenet") or method == "both+thunder"):
                out.append((method + tag, method, None, (), lm))
                continue
            for side in sides:
                for t in tiles:
                    grids = tuple(int(g) for g in t.split(",") if g.strip() and int(g) >= 2)
                    label = f"{method} {side}px" + (f" tiles {t}" if grids else "") + tag
                    out.append((label, method, side, grids, lm))
    return out


def evaluate(
    engines_dir: Path,
    sets: list[str],
    methods: list[str],
    min_movenet_score: float,
    sides: list[int] = (256,),
    tiles: list[str] = ("0",),
    work_dir: Path = Path(".cache/eval2d_finders"),
    landmark_models: list[str] = ("full",),
) -> dict:
    """results[set][label] = score_coco's dict + empty_photo_people, wall_ms, cpu_ms."""
    results: dict = {}
    for name in sets:
        images = load_coco(_shared() / "data" / "real_images" / name)
        results[name] = {}
        for method_label, method, side, grids, lm in variants(
            methods, list(sides), list(tiles), list(landmark_models)
        ):
            engines = engines_dir if side is None else movenet_engines(engines_dir, side, work_dir)
            THUNDER["rotated"] = lm == "thunder_rotated"
            OVERRIDES["landmark_model"] = "thunder" if THUNDER["rotated"] else lm
            run, close = _open(method, engines, min_movenet_score, grids)
            if not method.startswith("gt+") and not method.endswith("+thunder"):
                run = (lambda f: lambda frame, image: f(frame))(run)
            preds, wall, cpu = Predictions(), [], []
            try:
                run(images[0].rgb, images[0])  # warm-up
                for img in images:
                    t0, c0 = time.perf_counter(), time.process_time()
                    kp, vis = run(img.rgb, img)
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                    preds.kp33.append(kp)
                    preds.vis33.append(vis)
            finally:
                close()
            s = score_coco(images, preds)
            s["empty_photo_people"] = sum(
                len(k) for img, k in zip(images, preds.kp33) if not img.counted.any()
            )
            s["empty_photos"] = sum(1 for img in images if not img.counted.any())
            s["wall_ms"] = 1e3 * float(np.median(wall))
            s["cpu_ms"] = 1e3 * float(np.median(cpu))
            results[name][method_label] = s
            print(
                f"{name:9s} {method_label:28s} found {s['found']}/{s['people']} AP {s['ap']:.3f} "
                f"PCK {s['pck']:.3f} phantoms {s.get('phantoms', '-')} "
                f"empty-photo people {s['empty_photo_people']} "
                f"ms {s['wall_ms']:.0f} (cpu {s['cpu_ms']:.0f})",
                flush=True,
            )
    return results


def machine() -> str:
    """The CPU model and core count, for the table's caption."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}".strip()


def render_markdown(command: str, results: dict) -> str:
    lines = [
        f"Command: `{command}` ({machine()}, "
        "ONNX Runtime 1 thread, static photos, median ms per photo).",
        "",
        "| set | finder | found (OKS >= 0.5) | AP | PCK@0.2 | phantoms | people on empty photos "
        "| ms | CPU ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, per in results.items():
        for method, s in per.items():
            lines.append(
                f"| {name} | {method} | {s['found']}/{s['people']} | {s['ap']:.3f} | "
                f"{s['pck']:.3f} | {s.get('phantoms', '-')} | "
                f"{s['empty_photo_people']} ({s['empty_photos']} photos) | "
                f"{s['wall_ms']:.0f} | {s['cpu_ms']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def render_tracking(command: str, rows: dict) -> str:
    lines = [
        f"Command: `{command}` ({machine()}, ONNX Runtime 1 thread, tracking on, default config "
        "but for person_finder and --set; ids = distinct 2D track keys over the clip).",
        "",
        "| clip | person_finder | p50 ms | p95 ms | p95 / p50 | people per frame | ids |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, r in rows.items():
        clip, finder = key.split(" ", 1)
        lines.append(
            f"| {clip} | {finder} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['p95_ms'] / r['p50_ms']:.2f} | {r['people']:.2f} | {r.get('ids', '-')} |"
        )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dev.eval2d_finders", description=__doc__.split("\n")[0]
    )
    p.add_argument("--engines-dir", type=Path, default=None)
    p.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS + EXTRA_METHODS)
    p.add_argument(
        "--movenet-min-score", type=float, default=None, help="person score (default: config's)"
    )
    p.add_argument(
        "--movenet-sides", nargs="+", type=int, default=[256], help="MoveNet input side(s), px"
    )
    p.add_argument(
        "--movenet-tiles",
        nargs="+",
        default=["0"],
        help="MoveNet tile grid sets, e.g. 0 2 2,3 (0: whole frame only)",
    )
    p.add_argument(
        "--thunder-onnx",
        type=Path,
        default=None,
        help="MoveNet Thunder ONNX for the *+thunder methods (default engines/movenet_thunder.onnx"
        ", pose3d_models --movenet-thunder)",
    )
    p.add_argument("--thunder-min-score", type=float, default=THUNDER["min_score"])
    p.add_argument(
        "--thunder-min-keypoints",
        type=int,
        default=0,
        help="drop a Thunder person with fewer keypoints scored >= 0.3",
    )
    p.add_argument(
        "--thunder-crop-scale",
        type=float,
        default=THUNDER["crop_scale"],
        help="Thunder's crop side / the landmark ROI's side (the *+thunder methods; also a probe "
        "of the stage's thunder / lightning keypoint crops)",
    )
    p.add_argument(
        "--landmark-models",
        nargs="+",
        default=["full"],
        choices=EVAL_LANDMARK_MODELS,
        help="landmark model(s) for the methods that use one (heavy: pose3d_models "
        "--blazepose-heavy; thunder: --movenet-thunder; lightning: --movenet-lightning; "
        "thunder_rotated: thunder on crops turned "
        "by the ROI's rotation)",
    )
    p.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="FIELD=VALUE",
        help="Pose2DConfig overrides (Python literals), e.g. confirm_new=False",
    )
    p.add_argument(
        "--tracking-frames",
        type=int,
        default=0,
        help="instead: time tracking mode per finder on the street clip and the skier, N frames",
    )
    p.add_argument(
        "--tracking-finders",
        nargs="+",
        default=["blazepose", "movenet", "both"],
        choices=["blazepose", "movenet", "both"],
        help="person finders for --tracking-frames",
    )
    p.add_argument(
        "--movenet-score-fit",
        choices=["thunder", "lightning"],
        default=None,
        help="instead: fit that model's score and visibility logistics (movenet_single."
        "ScoreCalibration) on the --sets (people vs background, keypoints vs labels)",
    )
    p.add_argument(
        "--thunder-score-fit",
        action="store_true",
        help="the same as --movenet-score-fit thunder",
    )
    p.add_argument("--write-docs", type=Path, default=None, help="e.g. docs/pose2d.md")
    p.add_argument(
        "--section", default=SECTION, help="the docs markers to write between (default finders)"
    )
    p.add_argument("--json", type=Path, default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from pose3d_ros.assembly import resolve_engines_dir
    from pose3d_ros.core.pose2d import Pose2DConfig

    THUNDER["onnx"] = args.thunder_onnx
    THUNDER["min_score"] = args.thunder_min_score
    THUNDER["crop_scale"] = args.thunder_crop_scale
    THUNDER["min_keypoints"] = args.thunder_min_keypoints
    for item in args.set:
        key, _, value = item.partition("=")
        OVERRIDES[key] = ast.literal_eval(value)
    engines = args.engines_dir or resolve_engines_dir()
    score = (
        Pose2DConfig().movenet_min_score
        if args.movenet_min_score is None
        else args.movenet_min_score
    )
    argv_txt = " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    command = f"python -m dev.eval2d_finders {argv_txt}".strip()
    fit_model = "thunder" if args.thunder_score_fit else args.movenet_score_fit
    if fit_model:
        fit = movenet_score_fit(engines, args.sets, fit_model)
        print(json.dumps(fit, indent=2))
        if args.json:
            args.json.write_text(json.dumps(fit, indent=2))
        return 0
    if args.tracking_frames:
        finders = args.tracking_finders
        rows = tracking_timing(engines, finders, args.tracking_frames)
        md = render_tracking(command, rows)
        print(md)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))
        if args.write_docs:
            write_section(args.write_docs, args.section, md, "# The 2D stage")
        return 0
    results = evaluate(
        engines,
        args.sets,
        args.methods,
        score,
        args.movenet_sides,
        args.movenet_tiles,
        landmark_models=args.landmark_models,
    )
    md = render_markdown(command, results)
    print(md)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    if args.write_docs:
        write_section(args.write_docs, args.section, md, "# The 2D stage")
    return 0


if __name__ == "__main__":
    sys.exit(main())
