"""python -m dev.compare_demo A/poses.json B/poses.json: the people two `make demo` runs saw.

Frames are matched by order of their stamps (each run stamps with its own clock); per frame it
prints the number of people and their pelvis positions (camera optical frame, m, rounded to 1 cm),
and the number of distinct ids per run. Exit code 0 when every frame matches, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys


def frames(path: str) -> list[list[tuple[str, list[float]]]]:
    """Per frame (stamp order): [(body id, pelvis xyz m rounded to 0.01)] sorted by x."""
    by_stamp = collections.defaultdict(list)
    for pose in json.load(open(path))["poses"]:
        pelvis = [round(v, 2) for v in pose["joints_m"][0]]
        by_stamp[pose["stamp_ns"]].append((pose["body_id"], pelvis))
    return [sorted(by_stamp[s], key=lambda p: p[1][0]) for s in sorted(by_stamp)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    args = ap.parse_args(argv)
    a, b = frames(args.a), frames(args.b)
    ids = [len({i for f in run for i, _ in f}) for run in (a, b)]
    print(f"frames {len(a)} / {len(b)}, distinct ids {ids[0]} / {ids[1]}")
    same = len(a) == len(b) and ids[0] == ids[1]
    for k, (fa, fb) in enumerate(zip(a, b)):
        pa, pb = [p for _, p in fa], [p for _, p in fb]
        same &= pa == pb
        print(k, len(pa), len(pb), pa, "same" if pa == pb else pb)
    print("SAME PEOPLE" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
