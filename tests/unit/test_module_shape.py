"""The house's shape: no import cycle among our modules, and no module outside the tests over 400 lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "producers", "consumers", "projections", "infra")
MAX_LINES = 400


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), lazy imports included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others():
    assert cycles(grimp.build_graph(*PACKAGES)) == []


def test_a_cycle_is_found():
    graph = grimp.ImportGraph()
    for a, b in (("pkg.a", "pkg.b"), ("pkg.b", "pkg.c"), ("pkg.c", "pkg.a"), ("pkg.c", "pkg.d")):
        graph.add_import(importer=a, imported=b)
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_no_module_outside_the_tests_is_over_400_lines():
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    sizes = {
        name: len((ROOT / name).read_text(encoding="utf-8").splitlines())
        for name in listed.stdout.split()
        if not name.startswith("tests/") and (ROOT / name).exists()
    }
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
