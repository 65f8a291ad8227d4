"""The floors: which package may import which (docs/architecture.md).

- ``piiaudit/`` is the base: it imports none of the packages above it.
- ``addon/``, ``hooks/`` and ``analysis/`` are the three streams: each imports the base and
  itself, never another stream.
- ``commands/`` sits on top and is the only place that wires streams together.
- ``tests/`` holds the test helpers (tests/support, tests/conftest.py); no product package
  imports it, and no test module imports another test module.

Every import counts, including those inside functions and under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT = {"piiaudit", "addon", "hooks", "analysis", "commands", "tests", "benchmarks"}
ALLOWED = {
    "piiaudit": {"piiaudit"},
    "addon": {"piiaudit", "addon"},
    "hooks": {"piiaudit", "hooks"},
    "analysis": {"piiaudit", "analysis"},
    "commands": {"piiaudit", "addon", "hooks", "analysis", "commands"},
}


def imported_packages(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, top-level project package) for every import in the source, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, n.split(".")[0]) for n in names if n.split(".")[0] in PROJECT]
    return found


def product_files() -> list[Path]:
    return sorted(p for floor in ALLOWED for p in (REPO / floor).rglob("*.py")
                  if "node_modules" not in p.parts)


def crossings() -> list[str]:
    wrong = []
    for path in product_files():
        floor = path.relative_to(REPO).parts[0]
        for line, package in imported_packages(path.read_text(encoding="utf-8"), str(path)):
            if package not in ALLOWED[floor]:
                wrong.append(f"{path.relative_to(REPO)}:{line} imports {package}")
    return wrong


def test_no_import_crosses_a_floor_upward_or_sideways():
    assert crossings() == []


@pytest.mark.parametrize("source, floor, expected", [
    ("def f():\n    from analysis import pipeline\n", "addon", ["analysis"]),
    ("if True:\n    import hooks.runner as r\n", "piiaudit", ["hooks"]),
    ("from . import sibling\nimport json\nfrom piiaudit import vocab\n", "analysis", []),
    ("from tests.support import samples\n", "analysis", ["tests"]),
])
def test_the_check_sees_imports_at_any_depth(source, floor, expected):
    packages = [p for _, p in imported_packages(source, "<case>") if p not in ALLOWED[floor]]
    assert packages == expected


def test_every_product_package_is_checked():
    assert {p.relative_to(REPO).parts[0] for p in product_files()} == set(ALLOWED)
    assert len(product_files()) > 60


def test_modules_import_helpers_from_support_not_from_each_other():
    tests = REPO / "tests"
    test_modules = {p.stem for p in tests.glob("test_*.py")}
    wrong = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            parts = [n.split(".") for n in names]
            if any(p[0] in test_modules or (p[0] == "tests" and len(p) > 1 and p[1] in test_modules) for p in parts):
                wrong.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert wrong == [], "move what these share into tests/support or tests/conftest.py"
