"""The README's promises: two commands on the first screen, CI runs the test command, tables current."""

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
    out = subprocess.run(["make", "-n", "-C", str(ROOT), "test", "demo"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
