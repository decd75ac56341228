"""Annotated debug frames: 2D skeletons, track ids and the processing rate (OpenCV drawing)."""

from __future__ import annotations

import cv2
import numpy as np

from pose3d_ros.core.geometry import points_box
from pose3d_ros.core.skeleton import BLAZEPOSE_EDGES
from pose3d_ros.core.types import Person


def annotate(
    frame_rgb: np.ndarray,
    people: list[Person],
    colours_rgb: dict[str, tuple[float, float, float]],
    fps: float | None = None,
    min_visibility: float = 0.3,
) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> a new annotated copy. colours_rgb: track id -> (r, g, b) in [0, 1].

    Landmarks with visibility below min_visibility are not drawn.
    """
    out = np.ascontiguousarray(frame_rgb).copy()
    thick = max(1, round(min(out.shape[:2]) / 300))
    for p in people:
        rgb = colours_rgb.get(p.track_id, (1.0, 1.0, 1.0))
        col = tuple(int(255 * c) for c in rgb)
        kp, vis = p.pose2d.keypoints_px, p.pose2d.visibility
        for a, b in BLAZEPOSE_EDGES:
            if vis[a] >= min_visibility and vis[b] >= min_visibility:
                cv2.line(out, _pt(kp[a]), _pt(kp[b]), col, thick, cv2.LINE_AA)
        for i in np.flatnonzero(vis >= min_visibility):
            cv2.circle(out, _pt(kp[i]), thick + 1, col, -1, cv2.LINE_AA)
        x0, y0 = points_box(p.pose2d.keypoints_px)[:2]
        label = p.track_id or "?"
        z = p.joints3d_m[0, 2]
        cv2.putText(
            out,
            f"{label} {z:.1f}m",
            _pt((x0, max(y0 - 6, 12))),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thick,
            col,
            thick,
            cv2.LINE_AA,
        )
    if fps is not None:
        cv2.putText(
            out,
            f"{fps:.1f} fps",
            (8, 20 * thick),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * thick,
            (255, 255, 0),
            thick,
            cv2.LINE_AA,
        )
    return out


def _pt(xy) -> tuple[int, int]:
    x, y = float(xy[0]), float(xy[1])
    return int(round(np.clip(x, -1e4, 1e4))), int(round(np.clip(y, -1e4, 1e4)))
