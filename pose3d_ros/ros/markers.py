"""People -> RViz markers (visualization_msgs/MarkerArray), one namespace and colour per person.

Per person, in the image's optical frame: id 0 bones (LINE_LIST), id 1 joints (SPHERE_LIST),
id 2 the track id as a label above the head (TEXT_VIEW_FACING). When a track ends, DELETE
markers for the same namespace and ids remove it from RViz (no ghosts).
"""

from __future__ import annotations

import colorsys
import zlib

import numpy as np

from pose3d_ros.core.skeleton import H36M_JOINTS, H36M_PARENTS
from pose3d_ros.core.types import Person
from pose3d_ros.ros import naming

BONES_ID, JOINTS_ID, LABEL_ID = 0, 1, 2
_HEAD = H36M_JOINTS.index("head")


def id_colour_rgb(track_id: str) -> tuple[float, float, float]:
    """A stable, well-separated colour for a track id (hue from a hash of the id), components in
    [0, 1]."""
    hue = (zlib.crc32(track_id.encode()) * 0.618033988749895) % 1.0
    return colorsys.hsv_to_rgb(hue, 0.85, 1.0)


def _marker(kind: int, marker_id: int, ns: str, frame_id: str, stamp, rgb):
    from visualization_msgs.msg import Marker

    m = Marker()
    m.header.frame_id = frame_id
    m.header.stamp = stamp
    m.ns, m.id, m.type, m.action = ns, marker_id, kind, Marker.ADD
    m.pose.orientation.w = 1.0
    m.color.r, m.color.g, m.color.b = (float(c) for c in rgb)
    m.color.a = 1.0
    m.frame_locked = False
    return m


def _point(xyz):
    from geometry_msgs.msg import Point

    return Point(x=float(xyz[0]), y=float(xyz[1]), z=float(xyz[2]))


def person_markers(person: Person, frame_id: str, stamp) -> list:
    """Bones, joints and label of one tracked person, joints3d_m in the frame `frame_id`."""
    from visualization_msgs.msg import Marker

    ns, rgb = naming.marker_namespace(person.track_id), id_colour_rgb(person.track_id)
    j = person.joints3d_m
    bones = _marker(Marker.LINE_LIST, BONES_ID, ns, frame_id, stamp, rgb)
    bones.scale.x = 0.03
    bones.points = [_point(j[k]) for c, p in enumerate(H36M_PARENTS) if p >= 0 for k in (p, c)]
    joints = _marker(Marker.SPHERE_LIST, JOINTS_ID, ns, frame_id, stamp, rgb)
    joints.scale.x = joints.scale.y = joints.scale.z = 0.06
    joints.points = [_point(p) for p in j]
    label = _marker(Marker.TEXT_VIEW_FACING, LABEL_ID, ns, frame_id, stamp, rgb)
    # optical frame: y points down, so "above the head" is -y
    label.pose.position = _point(j[_HEAD] + np.array([0.0, -0.25, 0.0]))
    label.scale.z = 0.15
    label.text = person.track_id
    return [bones, joints, label]


def delete_markers(track_id: str, frame_id: str, stamp) -> list:
    """DELETE markers for every marker of an ended track."""
    from visualization_msgs.msg import Marker

    out = []
    for marker_id in (BONES_ID, JOINTS_ID, LABEL_ID):
        m = Marker()
        m.header.frame_id = frame_id
        m.header.stamp = stamp
        m.ns, m.id, m.action = naming.marker_namespace(track_id), marker_id, Marker.DELETE
        out.append(m)
    return out


def marker_array(markers: list):
    from visualization_msgs.msg import MarkerArray

    return MarkerArray(markers=markers)
