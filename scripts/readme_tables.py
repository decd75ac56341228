"""Regenerate the parameter table in README.md from pose3d_ros.ros.params.SPECS (the single source).

.venv/bin/python scripts/readme_tables.py
(test/docs/test_readme.py checks the table is current)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # dev/ is not installed: import it (and pose3d_ros) from the checkout

from dev.doc_sections import write_section  # noqa: E402
from pose3d_ros.ros.params import SPECS  # noqa: E402

README = ROOT / "README.md"


def param_table() -> str:
    rows = ["| parameter | default | range | run-time | description |", "|---|---|---|---|---|"]
    for s in SPECS:
        rng = (
            ""
            if s.range is None
            else (
                " \\| ".join(s.range)
                if isinstance(s.range[0], str)
                else f"{s.range[0]}..{s.range[1]}"
            )
        )
        default = (
            f"`{s.default!r}`"
            if not isinstance(s.default, str)
            else f"`{s.default}`"
            if s.default
            else '`""`'
        )
        rows.append(
            f"| `{s.name}` | {default} | {rng} | "
            f"{'no' if s.read_only else 'yes'} | {s.description} |"
        )
    return "\n".join(rows)


def main() -> int:
    write_section(README, "params", param_table(), "# pose3d_ros")
    print(f"wrote the parameter table into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
