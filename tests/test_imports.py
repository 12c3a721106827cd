"""providers/ is a plain library with no import circle: its relative imports, at module level
and inside functions alike, form a graph without a cycle."""
from __future__ import annotations

import ast

from conftest import ROOT

PROVIDERS = ROOT / "providers"


def module_names() -> dict[str, object]:
    """Every module of providers/ by dotted name ("providers.http", "providers.emulator" for its
    __init__.py, "providers.emulator.server"), mapped to its file."""
    names = {}
    for path in PROVIDERS.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def relative_imports(name: str, path, modules) -> set[str]:
    """The modules of providers/ that module `name` imports with a relative import anywhere in
    its file (functions included: a lazy import still closes a circle)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = package.split(".")
        base = base[:len(base) - (node.level - 1)]
        if node.module:
            base += node.module.split(".")
        target = ".".join(base)
        named = [f"{target}.{alias.name}" for alias in node.names]
        submodules = [n for n in named if n in modules]  # from . import x, from .x import sub
        if node.module or not submodules:
            submodules.append(target)
        found.update(n for n in submodules if n in modules and n != name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of graph as [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_import_graph_sees_lazy_imports():
    modules = module_names()
    graph = {name: relative_imports(name, path, modules) for name, path in modules.items()}
    assert "providers.credentials" in graph["providers.pacing"]  # imported inside a function
    assert "providers.catalog" in graph["providers.emulator.gptunnel"]  # from .. import catalog
    assert "providers.emulator" in graph["providers.sandbox"]


def test_providers_has_no_import_cycle():
    modules = module_names()
    graph = {name: relative_imports(name, path, modules) for name, path in modules.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle in providers/: " + " -> ".join(cycle)
