r"""pose3d_play: publish a video file, an image folder or one image as a camera would.

Each frame goes out as sensor_msgs/Image (rgb8) plus a sensor_msgs/CameraInfo with the
identical header (stamp = publish time, frame_id = --frame-id), at a fixed rate, so the
node can be tried without a camera:

    pose3d_play clip.mp4                      # a video at its own frame rate
    pose3d_play frames/ --rate 15 --loop      # an image folder (sorted by name), forever
    pose3d_play person.jpg --count 100        # one image, 100 times at 10 Hz
    pose3d_play clip.mp4 --camera-info cam.yaml --image-topic /camera/color/image_raw \
        --camera-info-topic /camera/color/camera_info

CameraInfo comes from a camera_calibration YAML (image_width, image_height,
camera_matrix, distortion_model, distortion_coefficients, rectification_matrix,
projection_matrix) or, without one, a pinhole with --hfov-deg (default 60 deg) and the
principal point at the image centre, no distortion.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pose3d_ros.errors import ConfigError, InputError
from pose3d_ros.tools.play_inputs import (
    IMAGE_SUFFIXES,
    frames,
    load_calibration,
    parse_size,
    resized,
    video_fps,
)
from pose3d_ros.tools.player_node import run_player

DEFAULT_FRAME_ID = "camera_color_optical_frame"
DEFAULT_IMAGE_RATE_HZ = 10.0


def build_parser() -> argparse.ArgumentParser:
    """The command line of pose3d_play."""
    parser = argparse.ArgumentParser(
        prog="pose3d_play",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", type=Path, help="video file, folder of images, or one image")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help=f"frames per second (default: the video's own rate, else {DEFAULT_IMAGE_RATE_HZ})",
    )
    repeat = parser.add_mutually_exclusive_group()
    repeat.add_argument("--loop", action="store_true", help="repeat the source until interrupted")
    repeat.add_argument(
        "--count",
        type=int,
        default=0,
        help="publish exactly this many frames, repeating the source as needed",
    )
    parser.add_argument("--image-topic", default="image", help="Image topic (default: %(default)s)")
    parser.add_argument(
        "--camera-info-topic", default="camera_info", help="CameraInfo topic (default: %(default)s)"
    )
    parser.add_argument(
        "--frame-id", default=DEFAULT_FRAME_ID, help="header.frame_id (default: %(default)s)"
    )
    parser.add_argument(
        "--camera-info",
        type=Path,
        default=None,
        metavar="YAML",
        help="camera_calibration YAML; its image size must match the published frames",
    )
    parser.add_argument(
        "--hfov-deg",
        type=float,
        default=60.0,
        help="horizontal field of view of the default pinhole without --camera-info (%(default)s)",
    )
    parser.add_argument(
        "--resize",
        type=parse_size,
        default=None,
        metavar="WxH",
        help="scale every frame to this size before publishing",
    )
    parser.add_argument(
        "--qos",
        choices=("reliable", "best_effort"),
        default="reliable",
        help="publisher reliability; reliable also serves best-effort subscribers (%(default)s)",
    )
    parser.add_argument(
        "--wait-subscribers",
        type=int,
        default=0,
        metavar="N",
        help="start once N subscribers match both the image and camera_info topics "
        "(default: do not wait)",
    )
    parser.add_argument(
        "--wait-timeout-s",
        type=float,
        default=30.0,
        help="give up waiting for subscribers after this long (%(default)s s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of pose3d_play; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.count < 0:
        raise SystemExit("pose3d_play: --count must be >= 0")
    try:
        calibration = load_calibration(args.camera_info) if args.camera_info else None
        rate_hz = args.rate
        if rate_hz is None:
            is_video = args.source.is_file() and args.source.suffix.lower() not in IMAGE_SUFFIXES
            rate_hz = (video_fps(args.source) if is_video else 0.0) or DEFAULT_IMAGE_RATE_HZ
        if not rate_hz > 0:
            raise ConfigError(f"--rate must be > 0, got {rate_hz}")
        source = frames(args.source, repeat=args.loop or args.count > 0)
        first = resized(next(source), args.resize)
    except (InputError, ConfigError, StopIteration) as err:
        print(f"pose3d_play: {err or 'the source has no frames'}", file=sys.stderr)
        return 2
    return run_player(args, rate_hz, calibration, first, source)


if __name__ == "__main__":
    sys.exit(main())
