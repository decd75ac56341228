"""Python `logging` of the ROS-free layers (core, backends, TensorRT's logger) onto a ROS logger."""

from __future__ import annotations

import logging


class RosLogHandler(logging.Handler):
    """Forwards records of one Python logger tree (default "pose3d_ros") to an rclpy logger."""

    def __init__(self, ros_logger, level: int = logging.INFO):
        super().__init__(level)
        self._ros = ros_logger

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = f"[{record.name}] {record.getMessage()}"
        except Exception:  # noqa: BLE001 - a bad format string must not break the caller
            text = f"[{record.name}] {record.msg!r}"
        if record.levelno >= logging.CRITICAL:
            self._ros.fatal(text)
        elif record.levelno >= logging.ERROR:
            self._ros.error(text)
        elif record.levelno >= logging.WARNING:
            self._ros.warning(text)
        elif record.levelno >= logging.INFO:
            self._ros.info(text)
        else:
            self._ros.debug(text)


def attach(ros_logger, tree: str = "pose3d_ros") -> RosLogHandler:
    """Install a RosLogHandler on `tree`; detach(handler) removes it."""
    handler = RosLogHandler(ros_logger)
    logger = logging.getLogger(tree)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler


def detach(handler: RosLogHandler, tree: str = "pose3d_ros") -> None:
    logging.getLogger(tree).removeHandler(handler)
