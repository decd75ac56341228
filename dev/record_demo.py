"""Record what pose3d_node publishes, as a separate process.

It writes annotated debug images, the skeletons as received over /tf, a matplotlib 3D figure of
them, and a JSON of the poses.

    python -m dev.record_demo --out out/demo --idle-s 4 --max-s 240

Stops once messages have stopped for --idle-s (after the first one) or after --max-s.
Joint positions are rebuilt from TF alone: camera <- body_<id> <- <joint>_<id>.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from pose3d_ros.core.body_frame import quat_xyzw_to_rotation
from pose3d_ros.core.skeleton import H36M_PARENTS, H36M_TO_ROS4HRI


def skeletons_from_tf(transforms: list[dict]) -> dict:
    """[{parent, child, stamp_ns, xyz, quat_xyzw}]
    -> {(stamp_ns, body_id): {frame, joints_m (17, 3)}}.

    Only bodies with all 17 joint frames at the same stamp are returned (camera optical frame, m).
    """
    bodies, joints = {}, {}
    for t in transforms:
        if t["child"].startswith("body_"):
            bodies[(t["stamp_ns"], t["child"][5:])] = t
        else:
            joints[(t["stamp_ns"], t["child"])] = t
    out = {}
    for (stamp_ns, bid), b in bodies.items():
        rot, origin = quat_xyzw_to_rotation(b["quat_xyzw"]), np.array(b["xyz"])
        rows = [joints.get((stamp_ns, f"{name}_{bid}")) for name in H36M_TO_ROS4HRI]
        if any(r is None or r["parent"] != f"body_{bid}" for r in rows):
            continue
        local = np.array([r["xyz"] for r in rows])
        out[(stamp_ns, bid)] = {"frame": b["parent"], "joints_m": local @ rot.T + origin}
    return out


def plot_skeletons(skeletons: dict, path: Path, max_frames: int = 6) -> None:
    """3D figure, one panel per stamp (the last max_frames stamps),
    camera optical frame drawn z-forward."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pose3d_ros.ros.markers import id_colour_rgb

    stamps = sorted({s for s, _ in skeletons})[-max_frames:]
    n = max(len(stamps), 1)
    fig = plt.figure(figsize=(4.5 * min(n, 3), 4.5 * ((n + 2) // 3)))
    for k, stamp in enumerate(stamps):
        ax = fig.add_subplot((n + 2) // 3, min(n, 3), k + 1, projection="3d")
        for (s, bid), sk in sorted(skeletons.items()):
            if s != stamp:
                continue
            j, colour = sk["joints_m"], id_colour_rgb(bid)
            # plot with x right, z (depth) into the page, -y up
            for c, p in enumerate(H36M_PARENTS):
                if p >= 0:
                    ax.plot(
                        [j[p, 0], j[c, 0]],
                        [j[p, 2], j[c, 2]],
                        [-j[p, 1], -j[c, 1]],
                        lw=2,
                        color=colour,
                    )
            ax.text(j[10, 0], j[10, 2], -j[10, 1] + 0.15, bid, fontsize=8)
        ax.set_xlabel("x (m, right)")
        ax.set_ylabel("z (m, forward)")
        ax.set_zlabel("-y (m, up)")
        ax.set_title(f"t = {(stamp - stamps[0]) / 1e9:.2f} s (camera optical frame)", fontsize=9)
        _equal_axes(ax)
        ax.view_init(elev=20, azim=-60)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _equal_axes(ax) -> None:
    lims = np.array([ax.get_xlim3d(), ax.get_ylim3d(), ax.get_zlim3d()])
    centre, half = lims.mean(axis=1), (lims[:, 1] - lims[:, 0]).max() / 2
    ax.set_xlim3d(centre[0] - half, centre[0] + half)
    ax.set_ylim3d(centre[1] - half, centre[1] + half)
    ax.set_zlim3d(centre[2] - half, centre[2] + half)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("out/demo"))
    ap.add_argument("--debug-topic", default="/pose3d_node/debug_image")
    ap.add_argument(
        "--idle-s", type=float, default=4.0, help="stop this long after the last message"
    )
    ap.add_argument("--max-s", type=float, default=240.0, help="stop after this long in any case")
    args = ap.parse_args(argv)

    import cv2
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import Image
    from tf2_msgs.msg import TFMessage

    from pose3d_ros.ros.conversions import image_to_rgb, stamp_to_ns

    args.out.mkdir(parents=True, exist_ok=True)
    rclpy.init()
    node = rclpy.create_node("pose3d_record_demo")
    tfs, images, last = [], [], [None]

    def on_tf(msg):
        last[0] = time.monotonic()
        for t in msg.transforms:
            tr, q = t.transform.translation, t.transform.rotation
            tfs.append(
                {
                    "parent": t.header.frame_id,
                    "child": t.child_frame_id,
                    "stamp_ns": stamp_to_ns(t.header.stamp),
                    "xyz": [tr.x, tr.y, tr.z],
                    "quat_xyzw": [q.x, q.y, q.z, q.w],
                }
            )

    def on_image(msg):
        last[0] = time.monotonic()
        path = args.out / f"debug_{len(images):03d}_{stamp_to_ns(msg.header.stamp)}.png"
        cv2.imwrite(str(path), cv2.cvtColor(image_to_rgb(msg), cv2.COLOR_RGB2BGR))
        images.append(path.name)

    reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
    node.create_subscription(TFMessage, "/tf", on_tf, reliable)
    node.create_subscription(
        Image,
        args.debug_topic,
        on_image,
        QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE),
    )
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < args.max_s:
            rclpy.spin_once(node, timeout_sec=0.1)
            if last[0] is not None and time.monotonic() - last[0] > args.idle_s:
                break
    except KeyboardInterrupt:
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()

    skeletons = skeletons_from_tf(tfs)
    poses = [
        {
            "stamp_ns": s,
            "body_id": bid,
            "frame": sk["frame"],
            "joint_names": list(H36M_TO_ROS4HRI),
            "joints_m": np.round(sk["joints_m"], 4).tolist(),
        }
        for (s, bid), sk in sorted(skeletons.items())
    ]
    (args.out / "poses.json").write_text(
        json.dumps({"poses": poses, "debug_images": images}, indent=1)
    )
    if skeletons:
        plot_skeletons(skeletons, args.out / "skeletons_3d.png")
    ids = sorted({p["body_id"] for p in poses})
    print(
        f"record_demo: {len(tfs)} transforms, {len(poses)} skeletons of {len(ids)} id(s) {ids}, "
        f"{len(images)} debug images -> {args.out}"
    )
    return 0 if poses and images else 1


if __name__ == "__main__":
    sys.exit(main())
