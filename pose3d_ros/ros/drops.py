"""Every loss gets a reason: a counter per reason and a log line per reason, throttled per reason.

Frames dropped (bad image, too large, inference error), people dropped (placement), and
fallbacks that lower quality (no usable camera_info, depth unusable) are all reported here, so
/diagnostics can show each count and two different problems never hide each other's log line.
No ROS imports: the logger is anything with debug/info/warning/error methods.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

# reason -> what it means (/diagnostics shows each as count_<reason>; frames replaced while the
# worker was busy are counted by the input slot and shown as count_busy)
REASONS = {
    "bad_image": "frame dropped: the image message cannot be decoded (encoding, size, step, data)",
    "image_too_large": "frame dropped: more pixels than max_image_pixels",
    "bad_frame": "frame dropped: the pipeline refused the frame or its intrinsics",
    "inference_error": "frame dropped: a model failed",
    "unexpected_error": "frame dropped: an unexpected error",
    "person_rejected": (
        "person dropped: placed nearer than min_root_depth_m, behind the camera or not finite"
    ),
    "camera_info_fallback": "fallback intrinsics used: no usable camera_info for the frame",
    "depth_unusable": "placed without depth: no usable depth image for the frame",
}
DEFAULT_PERIOD_S = 5.0


class DropLog:
    """Counts events by reason and logs each reason at most once per `period_s`.

    report(reason, text, level) counts one event; the line says how many more of that reason were
    counted since its last line. Thread-safe.
    """

    def __init__(
        self,
        logger,
        period_s: float = DEFAULT_PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._logger = logger
        self._period_s = period_s
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {r: 0 for r in REASONS}
        self._last_log_s: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}

    def report(self, reason: str, text: str, level: str = "error", count: int = 1) -> None:
        """Count `count` events of `reason`; log `text` at level "error" | "warning" | "info" unless
        this reason was logged less than period_s ago."""
        if reason not in REASONS:
            raise KeyError(f"unknown drop reason {reason!r}")
        now = self._clock()
        with self._lock:
            self._counts[reason] += count
            last = self._last_log_s.get(reason)
            if last is not None and now - last < self._period_s:
                self._unlogged[reason] = self._unlogged.get(reason, 0) + count
                return
            more = self._unlogged.pop(reason, 0)
            self._last_log_s[reason] = now
        line = f"{text} ({more} more since the last such line)" if more else text
        # one call site per severity: rclpy's logger refuses a call site whose severity changes
        if level == "error":
            self._logger.error(line)
        elif level == "warning":
            self._logger.warning(line)
        else:
            self._logger.info(line)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
