"""Replace one tool's marked section of a shared markdown file, leaving the rest alone."""

from __future__ import annotations

from pathlib import Path


def write_section(doc: Path, name: str, body: str, title: str) -> None:
    """Put `body` between `<!-- name:begin -->` and `<!-- name:end -->` in `doc`.

    Creates the file with `title` when missing; appends the markers when the file lacks them.
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = doc.read_text() if doc.exists() else title + "\n"
    i, j = text.find(begin), text.find(end)
    if i >= 0 and j > i:
        tail = text[j + len(end) :].lstrip("\n")
        text = text[:i] + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
