"""No import circle among a package's modules: each module can be read (and loaded) after the ones it uses.

Every import counts, at any depth, including those under ``if TYPE_CHECKING`` (a circle
hidden there is still a circle in the design). ``analysis/`` is checked today; the check
itself is tested on a made-up package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def module_imports(package_dir: Path) -> dict[str, set[str]]:
    """module name -> the package's own modules it imports (by name, relative to the package)."""
    package = package_dir.name
    modules = {p.stem for p in package_dir.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name in modules:
        path = package_dir / f"{name}.py"
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package if node.level else node.module or ""
                if node.level and node.module:
                    base = f"{package}.{node.module}"
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                if parts[0] == package and len(parts) > 1 and parts[1] in modules:
                    found.add(parts[1])
        graph[name] = found - {name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def test_no_import_circle_among_the_analysis_modules():
    graph = module_imports(REPO / "analysis")
    assert len(graph) > 20 and graph["report"] >= {"pageapart", "workbook", "reportdata"} and "htmlpage" in graph["pageapart"]
    assert circles(graph) == []


@pytest.mark.parametrize("files, expected", [
    ({"a": "from pkg import b\n", "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import X\n"},
     [["a", "b"]]),
    ({"a": "import pkg.b\n", "b": "def f():\n    from . import c\n", "c": "from .a import thing\n", "d": "import pkg.a\n"},
     [["a", "b", "c"]]),
    ({"a": "from pkg import b\n", "b": "import json\nfrom piiaudit import vocab\n"}, []),
])
def test_the_check_finds_circles_at_any_depth(tmp_path, files, expected):
    package = tmp_path / "pkg"
    package.mkdir()
    for name, source in files.items():
        (package / f"{name}.py").write_text(source)
    assert circles(module_imports(package)) == expected
