"""The library's import graph, read from the source files (nothing is imported).

A helper module for the tests: every module of the installed package by its one name
(``iotforge.curation.rules._base`` for ``curation/rules/_base.py``), with the library
modules it imports at any depth of its code (inside functions too: a lazy import is
still an edge of the house), relative imports resolved.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"iotforge": "iotforge", "curation": "iotforge.curation",
           "augment": "iotforge.augment", "evaluation": "iotforge.evaluation",
           "expectations": "iotforge.expectations"}


def module_name(path: Path) -> str:
    rel = path.resolve().relative_to(ROOT).with_suffix("")
    parts = [FOLDERS[rel.parts[0]], *rel.parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def library_files() -> dict[str, Path]:
    return {module_name(p): p for top in FOLDERS for p in sorted((ROOT / top).rglob("*.py"))}


def imports_of(path: Path, modules: set[str], *, type_checking: bool = False) -> set[str]:
    """The library modules ``path`` imports (``from X import y`` counts ``X.y`` when it
    is a module); imports under ``if TYPE_CHECKING:`` only when ``type_checking``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if not type_checking:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for b in node.body for n in ast.walk(b))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for a in node.names:  # a submodule, else a name defined in ``target``
                sub = f"{target}.{a.name}"
                found.add(sub if sub in modules else target)
    return {m for m in found if m in modules and m != name}


def import_graph(*, type_checking: bool = False) -> dict[str, set[str]]:
    files = library_files()
    modules = set(files)
    return {name: imports_of(path, modules, type_checking=type_checking)
            for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out
