"""The packages of schoolit import each other without circles, and the kernel imports none of them.

A node is a subpackage of `schoolit` (`accounts`, `web`, `kernel`, ...) or one of its top-level modules
(`db`, `settings`, ...). Every import counts, also one inside a function: a lazy import hides a circle
from Python, not from the reader. `KNOWN_CYCLES` lists the circles still to be broken; it may only
shrink.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import schoolit

ROOT = Path(schoolit.__file__).parent

# Imports that close a circle, not broken yet. Only remove entries.
KNOWN_BACK_EDGES: set[tuple[str, str]] = set()


def _node(module: str) -> str | None:
    """The graph node of a dotted module name inside schoolit, or None for anything else."""
    parts = module.split(".")
    if parts[0] != "schoolit" or len(parts) < 2:
        return None
    return parts[1]


def _is_node(name: str) -> bool:
    return (ROOT / name).is_dir() or (ROOT / f"{name}.py").is_file()


def import_graph() -> dict[str, dict[str, set[str]]]:
    """node -> imported node -> the files that import it."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        source = relative.parts[0].removesuffix(".py")
        if source == "__init__" or "piccolo_migrations" in relative.parts:
            continue
        for statement in ast.walk(ast.parse(path.read_text(), str(path))):
            imported: list[str] = []
            if isinstance(statement, ast.Import):
                imported = [alias.name for alias in statement.names]
            elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
                imported = [statement.module]
                if statement.module == "schoolit":  # `from schoolit import db`
                    imported = [f"schoolit.{alias.name}" for alias in statement.names]
            for module in imported:
                target = _node(module)
                if target is not None and target != source and _is_node(target):
                    graph[source][target].add(str(relative))
    return graph


def strongly_connected(graph: dict[str, dict[str, set[str]]]) -> list[frozenset[str]]:
    """The circles of the graph: its strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _describe(graph: dict[str, dict[str, set[str]]], cycle: frozenset[str]) -> str:
    return "; ".join(f"{a} -> {b} ({', '.join(sorted(graph[a][b]))})"
                     for a in sorted(cycle) for b in sorted(graph[a]) if b in cycle)


def test_the_packages_import_each_other_without_new_circles() -> None:
    graph = import_graph()
    gone = sorted(edge for edge in KNOWN_BACK_EDGES if edge[1] not in graph[edge[0]])
    assert not gone, f"no longer imported, remove them from KNOWN_BACK_EDGES: {gone}"
    pruned = {source: {target: files for target, files in targets.items() if (source, target) not in KNOWN_BACK_EDGES}
              for source, targets in graph.items()}
    cycles = strongly_connected(pruned)
    assert not cycles, "import circles: " + " | ".join(_describe(pruned, cycle) for cycle in cycles)


def test_web_and_accounts_do_not_import_each_other() -> None:
    graph = import_graph()
    assert "web" not in graph["accounts"], sorted(graph["accounts"]["web"])
    assert "accounts" not in graph["web"], sorted(graph["web"]["accounts"])


def test_the_kernel_imports_nothing_of_schoolit_outside_itself() -> None:
    assert not import_graph()["kernel"]


def test_the_graph_finds_circles_and_whole_module_imports() -> None:
    """The walker itself: a circle is found, and `from schoolit import x` counts as importing x."""
    graph = {"a": {"b": {"a.py"}}, "b": {"a": {"b.py"}}, "c": {"a": {"c.py"}}}
    assert strongly_connected(graph) == [frozenset({"a", "b"})]
    real = import_graph()
    assert "settings" in real["accounts"]  # `from schoolit.settings import get_settings`
    assert "db" in real["web"]  # `from schoolit import db` in web/controllers.py
