"""The intrinsics and depth image that go with a colour frame, or why there are none.

Callbacks store every camera_info (converted, or the error it gave) and depth message by stamp;
the worker asks for the ones matching its frame. A problem never drops the frame: it returns the
fallback (intrinsics from fallback_hfov_deg; no depth) with the reason, which the node counts and
logs (ros/drops.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pose3d_ros.core.types import CameraIntrinsics
from pose3d_ros.errors import InputError
from pose3d_ros.ros import conversions
from pose3d_ros.ros.frame_sync import StampCache

NS_PER_S = 1_000_000_000
DEPTH_MATCH_S = 0.05  # a depth image pairs with the colour image whose stamp is this close


@dataclass(frozen=True)
class Matched:
    """value: what the frame uses; problem: why it is a fallback (None when it is the real
    thing)."""

    value: object
    problem: str | None = None


class CameraInputs:
    """Stamp-matched camera_info and depth for the worker. Thread-safe (StampCache)."""

    def __init__(self):
        self._infos = StampCache()
        self._depths = StampCache(size=5)

    def add_camera_info(self, msg) -> None:
        try:
            value = conversions.camera_info_to_intrinsics(msg)
        except InputError as e:
            value = e
        self._infos.add(conversions.stamp_to_ns(msg.header.stamp), value)

    def add_depth(self, msg) -> None:
        self._depths.add(conversions.stamp_to_ns(msg.header.stamp), msg)

    def intrinsics(
        self,
        stamp_ns: int,
        width_px: int,
        height_px: int,
        timeout_s: float,
        wait_s: float,
        fallback_hfov_deg: float,
    ) -> Matched:
        """The camera_info nearest the stamp (within timeout_s, waiting up to wait_s for the exact
        one), if it is usable for a width x height image; else the fallback pinhole and the
        reason."""
        found, value = self._infos.nearest(stamp_ns, int(timeout_s * NS_PER_S), wait_s=wait_s)
        if not found:
            problem = "no camera_info received (or none near the image stamp)"
        elif isinstance(value, InputError):
            problem = f"camera_info unusable: {value}"
        elif (value.width_px, value.height_px) != (width_px, height_px):
            problem = (
                f"camera_info is for {value.width_px}x{value.height_px}, "
                f"the image is {width_px}x{height_px}"
            )
        else:
            problem = value.implausibility()
            if problem is None:
                return Matched(value)
            problem = f"camera_info implausible: {problem}"
        return Matched(
            CameraIntrinsics.default_for(width_px, height_px, fallback_hfov_deg), problem
        )

    def depth_m(
        self, stamp_ns: int, width_px: int, height_px: int, wait_s: float, max_pixels: int
    ) -> Matched:
        """(H, W) float32 m depth aligned to the frame, or None and the reason."""
        found, msg = self._depths.nearest(stamp_ns, int(DEPTH_MATCH_S * NS_PER_S), wait_s=wait_s)
        if not found:
            return Matched(None, "no depth image near the colour image's stamp")
        try:
            depth = conversions.depth_to_m(msg, max_pixels)
        except InputError as e:
            return Matched(None, f"depth image unusable: {e}")
        if depth.shape != (height_px, width_px):
            return Matched(
                None,
                f"depth image {depth.shape[1]}x{depth.shape[0]} is not aligned to the "
                f"{width_px}x{height_px} colour image",
            )
        if not np.any(np.isfinite(depth)):
            return Matched(None, "depth image has no valid reading")
        return Matched(depth)
