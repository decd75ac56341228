"""Periodic health report on /diagnostics (diagnostic_msgs) when importable, else a log line.

Level: ERROR when most recent frames were dropped; WARN when no image has arrived for
`no_input_warn_s` (the message names the resolved topic) or something was dropped since the last
report (frames replaced while busy are counted, not warned about); OK otherwise. Values: rate,
latency per stage, frames received / processed, every drop reason's count (ros/drops.py) and the
frames missing from the input by their stamps.
"""

from __future__ import annotations

import time
from typing import Callable

from pose3d_ros.ros.drops import DropLog
from pose3d_ros.ros.frame_sync import LatestSlot, StampGaps
from pose3d_ros.ros.naming import DIAGNOSTICS_TOPIC
from pose3d_ros.ros.stats import RunStats

MOSTLY_DROPPED = 0.5  # ERROR above this share of dropped frames among the recent ones


class Diagnostics:
    """Builds and publishes the report; silence() tells how long no image has arrived."""

    def __init__(
        self,
        node,
        stats: RunStats,
        slot: LatestSlot,
        drops: DropLog,
        gaps: StampGaps,
        image_topic: str,
        no_input_warn_s: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._node, self._stats, self._slot, self._drops, self._gaps = (
            node,
            stats,
            slot,
            drops,
            gaps,
        )
        self._topic = image_topic
        self._no_input_warn_s = no_input_warn_s
        self._clock = clock
        self._start_s = clock()
        self._seen_received = 0
        self._last_input_s = self._start_s
        self._dropped_before = 0
        self._silence_logged = False
        try:
            from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

            self._types = (DiagnosticArray, DiagnosticStatus, KeyValue)
            self._pub = node.create_publisher(DiagnosticArray, DIAGNOSTICS_TOPIC, 10)
        except ImportError:
            self._types = None
            self._pub = None

    def silence_s(self) -> float:
        """Seconds since an image last arrived (or since start)."""
        if self._slot.received != self._seen_received:
            self._seen_received = self._slot.received
            self._last_input_s = self._clock()
        return self._clock() - self._last_input_s

    def values(self) -> dict[str, str]:
        st, slot = self._stats, self._slot
        out = {
            "fps": f"{st.fps():.2f}",
            "image_topic": self._topic,
            "frames_received": str(slot.received),
            "frames_processed": str(st.processed),
            "frames_dropped": str(st.failed),
            "people": str(st.people),
            "input_frames_missing_by_stamp": str(self._gaps.missing),
            "seconds_since_last_image": f"{self.silence_s():.1f}",
        }
        out.update({f"count_{reason}": str(n) for reason, n in self._drops.counts().items()})
        out["count_busy"] = str(slot.dropped)
        for stage, (p50, p95) in st.latency_ms().items():
            out[f"{stage}_ms_p50"] = f"{p50:.1f}"
            out[f"{stage}_ms_p95"] = f"{p95:.1f}"
        return out

    def level_and_message(self, values: dict[str, str]) -> tuple[str, str]:
        """("OK" | "WARN" | "ERROR", one-line summary)."""
        silent_s = float(values["seconds_since_last_image"])
        # frames replaced while the worker was busy are the newest-frame policy working (a camera
        # faster than the node), so they are counted (count_busy) but do not raise WARN
        dropped = self._stats.failed + int(values["count_person_rejected"])
        new_drops, self._dropped_before = dropped - self._dropped_before, dropped
        if self._stats.failure_ratio() > MOSTLY_DROPPED:
            return "ERROR", (
                f"most recent frames were dropped ({100 * self._stats.failure_ratio():.0f} %): "
                "see the count_* values and the node's log"
            )
        if silent_s >= self._no_input_warn_s:
            return "WARN", (
                f"no image on {self._topic} for {silent_s:.0f} s: check the image topic "
                "(remap image:=...) and that the camera publishes"
            )
        if new_drops:
            return "WARN", f"{values['fps']} fps, {new_drops} drops since the last report"
        return "OK", f"{values['fps']} fps"

    def report(self) -> None:
        values = self.values()
        level, message = self.level_and_message(values)
        self._log_silence(level, message, float(values["seconds_since_last_image"]))
        if self._pub is None:
            self._node.get_logger().info(
                f"{level}: {message}; " + " ".join(f"{k}={v}" for k, v in values.items())
            )
            return
        array_t, status_t, kv_t = self._types
        status = status_t(
            level=getattr(status_t, level),
            name="pose3d_node: pipeline",
            hardware_id="pose3d_ros",
            message=message,
        )
        status.values = [kv_t(key=k, value=v) for k, v in values.items()]
        msg = array_t(status=[status])
        msg.header.stamp = self._node.get_clock().now().to_msg()
        self._pub.publish(msg)

    def _log_silence(self, level: str, message: str, silent_s: float) -> None:
        """One warning line when the input goes silent, one info line when it comes back."""
        silent = silent_s >= self._no_input_warn_s
        if silent and not self._silence_logged:
            self._node.get_logger().warning(message)
        elif not silent and self._silence_logged:
            self._node.get_logger().info(f"images arrive again on {self._topic}")
        self._silence_logged = silent
