"""Periodic health report: /diagnostics (diagnostic_msgs) when importable, else a log line."""

from __future__ import annotations

from pose3d_ros.ros.frame_sync import LatestSlot
from pose3d_ros.ros.naming import DIAGNOSTICS_TOPIC
from pose3d_ros.ros.stats import RunStats


class Diagnostics:
    """Reports fps, per-stage latency p50/p95, received / dropped / bad frames."""

    def __init__(self, node, stats: RunStats, slot: LatestSlot):
        self._node, self._stats, self._slot = node, stats, slot
        self._failed_before = 0
        try:
            from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

            self._types = (DiagnosticArray, DiagnosticStatus, KeyValue)
            self._pub = node.create_publisher(DiagnosticArray, DIAGNOSTICS_TOPIC, 10)
        except ImportError:
            self._types = None
            self._pub = None

    def values(self) -> dict[str, str]:
        st, slot = self._stats, self._slot
        out = {"fps": f"{st.fps():.2f}", "frames_received": str(slot.received),
               "frames_processed": str(st.processed), "frames_dropped_busy": str(slot.dropped),
               "frames_bad_input": str(st.bad_input), "inference_errors": str(st.model_errors),
               "people": str(st.people)}
        for stage, (p50, p95) in st.latency_ms().items():
            out[f"{stage}_ms_p50"] = f"{p50:.1f}"
            out[f"{stage}_ms_p95"] = f"{p95:.1f}"
        return out

    def report(self) -> None:
        values = self.values()
        if self._pub is None:
            self._node.get_logger().info(" ".join(f"{k}={v}" for k, v in values.items()))
            return
        array_t, status_t, kv_t = self._types
        failed = self._stats.bad_input + self._stats.model_errors
        new_failures, self._failed_before = failed - self._failed_before, failed
        status = status_t(level=status_t.WARN if new_failures else status_t.OK, name="pose3d_node: pipeline",
                          hardware_id="pose3d_ros",
                          message=f"{values['fps']} fps" + (f", {new_failures} frames failed" if new_failures else ""))
        status.values = [kv_t(key=k, value=v) for k, v in values.items()]
        msg = array_t(status=[status])
        msg.header.stamp = self._node.get_clock().now().to_msg()
        self._pub.publish(msg)
