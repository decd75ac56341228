"""The README's promises: two commands on the first screen, CI runs the test command, tables
current."""

import re
import subprocess

from factories import REPO_ROOT as ROOT
from scripts import readme_tables


def _first_screen() -> str:
    return "\n".join(ROOT.joinpath("README.md").read_text().splitlines()[:25])


def test_first_screen_has_the_two_commands():
    screen = _first_screen()
    assert "make demo" in screen and "make test" in screen


def test_ci_runs_the_readme_test_command():
    ci = ROOT.joinpath(".ci", "run").read_text()
    assert "make test" in ci


def test_parameter_table_is_generated_from_the_specs():
    text = ROOT.joinpath("README.md").read_text()
    assert readme_tables.param_table() in text, "run `.venv/bin/python scripts/readme_tables.py`"


def test_make_knows_the_two_targets():
    out = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "test", "demo"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr


def test_test_files_named_in_the_docs_exist():
    docs = [ROOT / "README.md", ROOT / "engines" / "README.md", ROOT / "Makefile"]
    docs += sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "scripts").glob("*.py"))
    named = {
        m for d in docs if d.is_file() for m in re.findall(r"\btest/[\w/.]+\.py\b", d.read_text())
    }
    assert named, "no test paths found: the pattern is broken"
    assert sorted(p for p in named if not (ROOT / p).is_file()) == []
