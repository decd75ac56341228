"""The import structure: no cycles inside the package, and layers that only point down.

Read from the source with ast (every import, also those inside functions), so a lazy import
cannot hide a cycle or an upward arrow.
"""

import ast
from pathlib import Path

from factories import REPO_ROOT

PKG = REPO_ROOT / "pose3d_ros"

# layer -> the layers it may import (besides itself); "errors" and "files" are leaves
LEAVES = {"errors", "files"}
ALLOWED = {
    "errors": set(),
    "files": set(),
    "backends.base": LEAVES,
    "backends": LEAVES | {"backends.base"},
    "core": LEAVES | {"backends.base"},
    "models": LEAVES | {"core"},
    "assembly": LEAVES | {"backends.base", "backends", "core"},
    "ros": LEAVES | {"backends.base", "backends", "core", "assembly"},
    "tools": LEAVES | {"backends.base", "backends", "core", "assembly", "models", "ros"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def layer(module: str) -> str:
    rest = module.split(".")[1:]
    if rest[:2] == ["backends", "base"]:
        return "backends.base"
    return rest[0] if rest else "package"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_inside_the_package():
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_only_point_down():
    wrong = []
    for src, targets in import_graph().items():
        for dst in targets:
            a, b = layer(src), layer(dst)
            if a != b and a in ALLOWED and b not in ALLOWED[a]:
                wrong.append(f"{src} -> {dst}")
    assert wrong == []


def test_installed_package_has_no_research_code():
    names = {p.stem for p in PKG.rglob("*.py")}
    assert not names & {
        "train_lifter",
        "eval2d",
        "eval_lifter",
        "bench",
        "bench2d",
        "mediapipe_oracle",
        "oracle_client",
        "metrics",
        "metrics2d",
        "dds_env",
        "record_demo",
    }
    for p in PKG.rglob("*.py"):
        text = p.read_text()
        assert "import torch" not in text and "from dev" not in text and "import dev" not in text, p
