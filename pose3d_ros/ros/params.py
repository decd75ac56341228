"""Every node parameter, declared once: name, default, description, allowed range, run-time safety.

The defaults of the core's settings are the core config dataclasses' own (one source); the
node-only ones are written here. config/pose3d.yaml repeats them for users to edit (a test checks
they agree). Values become a validated, typed `NodeSettings`; an invalid set at run time is
refused by the on-set callback with the ConfigError text as the reason. Read-only parameters
(model loading, QoS, subscriptions) can only be given at start-up.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Mapping

from pose3d_ros.backends.factory import BACKEND_KINDS
from pose3d_ros.core.filters import OneEuroConfig
from pose3d_ros.core.pipeline import PipelineConfig
from pose3d_ros.core.pose2d import Pose2DConfig
from pose3d_ros.core.pose2d.config import LANDMARK_MODELS, PERSON_FINDERS
from pose3d_ros.core.pose2d.decode import DECODER_METHODS
from pose3d_ros.core.pose3d.placement import PlacementConfig
from pose3d_ros.core.pose3d.source3d import SOURCES
from pose3d_ros.core.tracks.tracking import TrackerConfig
from pose3d_ros.errors import ConfigError
from pose3d_ros.ros.conversions import DEFAULT_MAX_IMAGE_PIXELS

IMAGE_TRANSPORTS = ("raw", "compressed")
JOINT_TF_PUBLISHERS = ("node", "robot_state_publisher")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: range is (lo, hi) for numbers, a tuple of strings for choices, or None."""

    name: str
    default: object
    description: str
    range: tuple | None = None
    read_only: bool = False


SPECS = (
    ParamSpec("backend", "onnxruntime", "inference backend", BACKEND_KINDS, read_only=True),
    ParamSpec(
        "engines_dir",
        "",
        "folder with the ONNX models; empty = the package's engines/ (fill it with `make models`)",
        read_only=True,
    ),
    ParamSpec(
        "engine_cache_dir",
        "",
        "TensorRT engine cache; empty = $POSE3D_ENGINE_CACHE or "
        "~/.cache/pose3d_ros/engines (engines are built there at start-up when missing)",
        read_only=True,
    ),
    ParamSpec("threads", 1, "CPU threads per model (onnxruntime)", (1, 64), read_only=True),
    ParamSpec(
        "temporal_lifter",
        False,
        "lift tracked people with the causal temporal lifter over their last frames "
        "(lifter_h36m17_temporal.onnx; new tracks use the single-frame one; docs/lifter.md)",
        read_only=True,
    ),
    ParamSpec(
        "image_transport",
        "raw",
        "subscribe to `image` (raw) or `image/compressed`",
        IMAGE_TRANSPORTS,
        read_only=True,
    ),
    ParamSpec(
        "reliable_qos",
        False,
        "reliable input QoS instead of sensor-data best effort (REP-2003)",
        read_only=True,
    ),
    ParamSpec(
        "use_depth",
        False,
        "subscribe to an aligned `depth` image (16UC1 mm or 32FC1 m) for placement",
        read_only=True,
    ),
    ParamSpec(
        "roi_tracking",
        Pose2DConfig.tracking,
        "crop the next frame from this frame's landmarks (skips the detector)",
    ),
    ParamSpec(
        "detect_every_n",
        Pose2DConfig.detect_every_n,
        "with ROI tracking, also run the detector every N frames (0: only when nobody is tracked)",
        (0, 1000),
    ),
    ParamSpec(
        "detect_tiles",
        max(Pose2DConfig.detect_tiles, default=0),
        "detector tiling for small people: 0/1 whole frame only; G = also every "
        "KxK tile grid for K in 2..G",
        (0, 4),
    ),
    ParamSpec(
        "async_scan",
        Pose2DConfig.async_scan,
        "with ROI tracking, run the newcomer scan on a worker thread (no tracked frame waits)",
    ),
    ParamSpec(
        "scene_cut_min_corr",
        Pose2DConfig.scene_cut_min_corr,
        "a frame correlating less than this with the last one is a scene cut (every id ends)",
        (0.0, 1.0),
    ),
    ParamSpec("max_people", Pose2DConfig.max_people, "at most this many people per frame", (1, 64)),
    ParamSpec(
        "person_finder",
        Pose2DConfig.person_finder,
        "who finds people for the landmark model: blazepose (its detector, needs a face), "
        "movenet (MoveNet MultiPose, whole bodies, no face needed) or both (docs/pose2d.md)",
        PERSON_FINDERS,
        read_only=True,
    ),
    ParamSpec(
        "landmark_model",
        Pose2DConfig.landmark_model,
        "keypoint model on each person: BlazePose full (default) or heavy (more people found on "
        "crowded photos, ~4x the CPU per person), thunder (MoveNet Thunder, 17 COCO keypoints, "
        "no 3D of its own: source3d direct/fused use the lifter) or lightning (MoveNet Lightning, "
        "the same, ~3x cheaper, less accurate); heavy, thunder and lightning are made by "
        "`make setup`; docs/pose2d.md",
        LANDMARK_MODELS,
        read_only=True,
    ),
    ParamSpec(
        "min_detection_score",
        Pose2DConfig.min_detection_score,
        "person detector score threshold",
        (0.0, 1.0),
    ),
    ParamSpec(
        "min_presence",
        Pose2DConfig.min_presence,
        "landmark-model person presence needed to report a person",
        (0.0, 1.0),
    ),
    ParamSpec(
        "decoder", Pose2DConfig.decoder, "landmark decoding from the model outputs", DECODER_METHODS
    ),
    ParamSpec(
        "min_root_depth_m",
        PlacementConfig.min_depth_m,
        "a person placed closer than this to the camera is dropped",
        (0.01, 10.0),
    ),
    ParamSpec(
        "source3d",
        PipelineConfig.source3d,
        "root-relative 3D from: lifter (2D -> 3D network), direct (the landmark model's own 3D), "
        "fused (confidence-weighted mean, the lifter's orientation)",
        SOURCES,
    ),
    ParamSpec(
        "body_height_m",
        PlacementConfig.body_height_m,
        "standing height assumed for every person (sizes the skeleton, hence the distance, "
        "without depth; weighed against the floor when known); 0 = the 3D model's own size, "
        "else 0.5..2.5",
        (0.0, 2.5),
    ),
    ParamSpec(
        "camera_height_m",
        PlacementConfig.camera_height_m,
        "camera height above the floor; 0 = unknown (no floor constraint)",
        (0.0, 100.0),
    ),
    ParamSpec(
        "camera_pitch_deg",
        PlacementConfig.camera_pitch_deg,
        "optical axis below the horizontal, down positive (used with camera_height_m)",
        (-90.0, 90.0),
    ),
    ParamSpec(
        "camera_roll_deg",
        PlacementConfig.camera_roll_deg,
        "camera turned about its optical axis, clockwise as seen from behind positive "
        "(used with camera_height_m)",
        (-180.0, 180.0),
    ),
    ParamSpec(
        "floor_frame",
        "",
        "a TF frame whose z = 0 is the floor (z up, e.g. base_footprint): the floor is taken "
        "from /tf and /tf_static between it and the image's frame_id and wins over "
        "camera_height_m / pitch / roll (used until TF connects them); empty = off",
        read_only=True,
    ),
    ParamSpec(
        "reprojection_weight",
        PlacementConfig.reprojection_weight,
        "pull each placed joint onto its own 2D ray by this x its 2D confidence (1: the 3D "
        "reprojects exactly onto the keypoints; depths are kept)",
        (0.0, 1.0),
    ),
    ParamSpec(
        "track_timeout_s",
        TrackerConfig.timeout_s,
        "a track unseen for this long ends (its id is never reused)",
        (0.0, 60.0),
    ),
    ParamSpec(
        "track_min_iou", TrackerConfig.min_iou, "least 2D box IoU to continue a track", (0.0, 1.0)
    ),
    ParamSpec("smoothing.enabled", OneEuroConfig.enabled, "One-Euro filtering of the 3D joints"),
    ParamSpec(
        "smoothing.min_cutoff_hz",
        OneEuroConfig.min_cutoff_hz,
        "One-Euro cutoff at rest (lower: smoother, more lag)",
        (0.01, 100.0),
    ),
    ParamSpec(
        "smoothing.beta",
        OneEuroConfig.beta,
        "One-Euro cutoff increase per m/s of speed (higher: less lag)",
        (0.0, 100.0),
    ),
    ParamSpec(
        "smoothing.d_cutoff_hz",
        OneEuroConfig.d_cutoff_hz,
        "One-Euro cutoff of the speed estimate",
        (0.01, 100.0),
    ),
    ParamSpec("publish_tf", True, "publish body_<id> and <joint>_<id> frames on /tf"),
    ParamSpec("publish_markers", True, "publish ~/markers (MarkerArray)"),
    ParamSpec("publish_rep155", True, "publish /humans/bodies/... (needs hri_msgs)"),
    ParamSpec(
        "joint_tf_publisher",
        "node",
        "who publishes the <joint>_<id> frames: this node on /tf, or "
        "robot_state_publisher from /humans/bodies/<id>/joint_states + urdf (this node then "
        "publishes only body_<id>)",
        JOINT_TF_PUBLISHERS,
    ),
    ParamSpec(
        "debug_image.max_fps",
        15.0,
        "most frames per second on ~/debug_image (only drawn while subscribed; 0 = every frame)",
        (0.0, 120.0),
    ),
    ParamSpec("debug_image.draw_fps", True, "write the processing rate into the debug image"),
    ParamSpec(
        "fallback_hfov_deg",
        60.0,
        "horizontal field of view assumed when no camera_info arrives (one warning)",
        (10.0, 170.0),
    ),
    ParamSpec(
        "camera_info_wait_s",
        0.03,
        "how long a frame waits for the camera_info with its stamp",
        (0.0, 1.0),
    ),
    ParamSpec(
        "camera_info_timeout_s",
        5.0,
        "a camera_info whose stamp is further than this from the image's is not used",
        (0.0, 3600.0),
    ),
    ParamSpec(
        "diagnostics_period_s",
        1.0,
        "period of /diagnostics (or the log line without diagnostic_msgs)",
        (0.1, 60.0),
        read_only=True,
    ),
    ParamSpec(
        "no_input_warn_s",
        5.0,
        "warn (log and /diagnostics) when no image has arrived for this long",
        (0.5, 3600.0),
        read_only=True,
    ),
    ParamSpec(
        "max_image_pixels",
        DEFAULT_MAX_IMAGE_PIXELS,
        "larger images are dropped before decoding "
        "(raw: from the message header; compressed: from the PNG/JPEG header)",
        (1024, 1 << 28),
    ),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}


@dataclass(frozen=True)
class OutputSettings:
    """What the node publishes, and how often the debug image is drawn."""

    publish_tf: bool
    publish_markers: bool
    publish_rep155: bool
    joint_tf_publisher: str
    debug_max_fps: float
    debug_draw_fps: bool


@dataclass(frozen=True)
class NodeSettings:
    """All parameter values, validated and typed: the node reads nothing else.

    values: the raw {name: value} they came from (run-time changes are validated against it).
    """

    backend: str
    engines_dir: str
    engine_cache_dir: str
    threads: int
    temporal_lifter: bool
    image_transport: str
    reliable_qos: bool
    use_depth: bool
    pipeline: PipelineConfig
    outputs: OutputSettings
    fallback_hfov_deg: float
    camera_info_wait_s: float
    camera_info_timeout_s: float
    diagnostics_period_s: float
    no_input_warn_s: float
    max_image_pixels: int
    floor_frame: str
    values: Mapping[str, object]


def check_value(spec: ParamSpec, value) -> None:
    """Raise ConfigError when value has the wrong type or is outside spec.range."""
    d = spec.default
    ok_type = (
        isinstance(value, bool)
        if isinstance(d, bool)
        else isinstance(value, int) and not isinstance(value, bool)
        if isinstance(d, int)
        else isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(d, float)
        else isinstance(value, str)
    )
    if not ok_type:
        raise ConfigError(f"parameter {spec.name} must be a {type(d).__name__}, got {value!r}")
    r = spec.range
    if r and isinstance(r[0], str) and value not in r:
        raise ConfigError(f"parameter {spec.name} must be one of {r}, got {value!r}")
    if r and not isinstance(r[0], str) and not r[0] <= value <= r[1]:
        raise ConfigError(f"parameter {spec.name} must be in [{r[0]}, {r[1]}], got {value!r}")


def settings_from(values: Mapping[str, object]) -> NodeSettings:
    """{name: value} for every spec -> NodeSettings; raises ConfigError naming the bad parameter."""
    missing = [s.name for s in SPECS if s.name not in values]
    if missing:
        raise ConfigError(f"parameters missing: {missing}")
    unknown = sorted(set(values) - set(SPEC_BY_NAME))
    if unknown:
        raise ConfigError(f"unknown parameters: {unknown}")
    for s in SPECS:
        check_value(s, values[s.name])
    v = dict(values)
    pose2d = Pose2DConfig(
        min_detection_score=float(v["min_detection_score"]),
        min_presence=float(v["min_presence"]),
        max_people=v["max_people"],
        tracking=v["roi_tracking"],
        detect_every_n=v["detect_every_n"],
        async_scan=v["async_scan"],
        scene_cut_min_corr=float(v["scene_cut_min_corr"]),
        detect_tiles=tuple(range(2, v["detect_tiles"] + 1)),
        decoder=v["decoder"],
        person_finder=v["person_finder"],
        landmark_model=v["landmark_model"],
    )
    pipeline = PipelineConfig(
        pose2d=pose2d,
        placement=PlacementConfig(
            min_depth_m=float(v["min_root_depth_m"]),
            body_height_m=float(v["body_height_m"]),
            camera_height_m=float(v["camera_height_m"]),
            camera_pitch_deg=float(v["camera_pitch_deg"]),
            camera_roll_deg=float(v["camera_roll_deg"]),
            reprojection_weight=float(v["reprojection_weight"]),
        ),
        tracker=TrackerConfig(
            timeout_s=float(v["track_timeout_s"]), min_iou=float(v["track_min_iou"])
        ),
        smoothing=OneEuroConfig(
            enabled=v["smoothing.enabled"],
            min_cutoff_hz=float(v["smoothing.min_cutoff_hz"]),
            beta=float(v["smoothing.beta"]),
            d_cutoff_hz=float(v["smoothing.d_cutoff_hz"]),
        ),
        source3d=v["source3d"],
    )
    outputs = OutputSettings(
        publish_tf=v["publish_tf"],
        publish_markers=v["publish_markers"],
        publish_rep155=v["publish_rep155"],
        joint_tf_publisher=v["joint_tf_publisher"],
        debug_max_fps=float(v["debug_image.max_fps"]),
        debug_draw_fps=v["debug_image.draw_fps"],
    )
    return NodeSettings(
        backend=v["backend"],
        engines_dir=v["engines_dir"],
        engine_cache_dir=v["engine_cache_dir"],
        threads=v["threads"],
        temporal_lifter=v["temporal_lifter"],
        image_transport=v["image_transport"],
        reliable_qos=v["reliable_qos"],
        use_depth=v["use_depth"],
        pipeline=pipeline,
        outputs=outputs,
        fallback_hfov_deg=float(v["fallback_hfov_deg"]),
        camera_info_wait_s=float(v["camera_info_wait_s"]),
        camera_info_timeout_s=float(v["camera_info_timeout_s"]),
        diagnostics_period_s=float(v["diagnostics_period_s"]),
        no_input_warn_s=float(v["no_input_warn_s"]),
        max_image_pixels=v["max_image_pixels"],
        floor_frame=v["floor_frame"],
        values=v,
    )


class SettingsMailbox:
    """Hands validated run-time changes from the parameter callback (executor thread) to the worker.

    propose() validates the changes against the newest settings (pending or current) and keeps the
    result; take() returns it once. One lock guards both, so no accepted change is lost.
    """

    def __init__(self, current: NodeSettings):
        self._lock = threading.Lock()
        self._current = current
        self._pending: NodeSettings | None = None

    def propose(self, changes: Mapping[str, object]) -> NodeSettings:
        """Validate {name: value} changes; raises ConfigError (nothing kept) when any is bad."""
        with self._lock:
            values = dict((self._pending or self._current).values)
            values.update(changes)
            new = settings_from(values)
            self._pending = new
            return new

    def take(self) -> NodeSettings | None:
        """The settings accepted since the last take(), or None; they become the current ones."""
        with self._lock:
            new, self._pending = self._pending, None
            if new is not None:
                self._current = new
            return new


def descriptor(spec: ParamSpec, lock_read_only: bool = True):
    """rcl_interfaces ParameterDescriptor with the description, range and read-only flag
    (lock_read_only False: no flag; the managed node refuses such changes itself unless it is
    unconfigured)."""
    from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor

    desc = ParameterDescriptor(
        description=spec.description, read_only=spec.read_only and lock_read_only
    )
    r = spec.range
    if r and isinstance(r[0], str):
        desc.additional_constraints = "one of: " + ", ".join(r)
    elif r and isinstance(spec.default, float):
        desc.floating_point_range = [
            FloatingPointRange(from_value=float(r[0]), to_value=float(r[1]), step=0.0)
        ]
    elif r and isinstance(spec.default, int) and not isinstance(spec.default, bool):
        desc.integer_range = [IntegerRange(from_value=int(r[0]), to_value=int(r[1]), step=1)]
    return desc


# parameters rclpy itself declares or reads on every node
ROS_OWN_PARAMETERS = ("use_sim_time", "start_type_description_service")
ROS_OWN_PREFIXES = ("qos_overrides.",)


def validate_overrides(overrides: Mapping[str, object]) -> None:
    """Check start-up values (params files and -p) before declaring: a name we do not know, a wrong
    type or an out-of-range value raises ConfigError naming the parameter, the value and what is
    allowed."""
    for name, value in overrides.items():
        if name in ROS_OWN_PARAMETERS or name.startswith(ROS_OWN_PREFIXES):
            continue
        spec = SPEC_BY_NAME.get(name)
        if spec is None:
            close = [s.name for s in SPECS if _similar(s.name, name)]
            hint = (
                f"; did you mean {close[0]}?"
                if close
                else "; see config/pose3d.yaml for the parameters"
            )
            raise ConfigError(f"unknown parameter {name}={value!r}{hint}")
        if (
            isinstance(spec.default, float)
            and isinstance(value, int)
            and not isinstance(value, bool)
        ):
            raise ConfigError(
                f"parameter {name} must be a float, got {value!r} (write {float(value)!r})"
            )
        check_value(spec, value)


def _similar(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.8


def declare_all(node, lock_read_only: bool = True) -> dict:
    """Validate the start-up overrides, declare every parameter on an rclpy node, and return
    {name: value} (the overrides from params files and the command line applied).
    lock_read_only: see descriptor()."""
    overrides = getattr(node, "_parameter_overrides", {})  # rclpy keeps them here until declared
    validate_overrides({name: p.value for name, p in overrides.items()})
    node.declare_parameters("", [(s.name, s.default, descriptor(s, lock_read_only)) for s in SPECS])
    return {s.name: node.get_parameter(s.name).value for s in SPECS}
