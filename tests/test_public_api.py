"""The public API: one obvious line per job, complete ``__all__``, one set of defaults."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from import_graph import library_files
from iotforge.augment import get_augmenter, make_augmenter, method_names


@pytest.mark.parametrize("method", method_names(auto=True))
def test_make_augmenter_keeps_the_class_defaults(method: str) -> None:
    # the command line, params.yaml's stages and auto make augmenters by name: their
    # defaults are the class's own, not a second table
    cls = get_augmenter(method)
    assert make_augmenter(method).get_params() == cls().get_params()
    assert type(make_augmenter(method)) is cls


def test_make_augmenter_passes_what_it_is_given() -> None:
    aug = make_augmenter("smote", strategy={"scan": 5}, random_state=3,
                         params={"k_neighbors": 2})
    assert (aug.sampling_strategy, aug.random_state, aug.k_neighbors) == ({"scan": 5}, 3, 2)


# -- __all__ ------------------------------------------------------------------------------
# A public module (no part of its name private; the command line is not a library API)
# lists in __all__ every public name it defines, and only names it holds; a name it
# takes from another public module is that module's (one public home per name), while
# it may be the public face of names from private modules. A package's __init__
# gathers: its __all__ is exactly what it imports from its own modules or offers lazily
# (the TYPE_CHECKING imports that mirror its lazy table), read from the source.

NOT_API = {"log", "logger"}  # a module's logger is not part of its API


def _library() -> dict[str, Path]:
    return {name: path for name, path in library_files().items()
            if not any(p.startswith("_") for p in name.split("."))
            and not name.startswith(("iotforge.cli", "iotforge.commands"))}


def _defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(e.id for t in node.targets for e in ast.walk(t)
                         if isinstance(e, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") and n not in NOT_API}


def _imported(tree: ast.Module, package: str, *, type_checking: bool
              ) -> dict[str, str]:
    """Top-level ``from X import name`` (or inside ``if TYPE_CHECKING:``): name -> X,
    relative imports resolved against ``package``."""
    found: dict[str, str] = {}
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            body.extend(node.body if type_checking else [])
        elif not type_checking:
            body.append(node)
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            parts = package.split(".")
            base = parts[:len(parts) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            found.update({a.asname or a.name: source for a in node.names})
    return found


def _is_public(module: str) -> bool:
    return module.startswith("iotforge") and not any(
        p.startswith("_") for p in module.split("."))


@pytest.mark.parametrize("name", sorted(_library()))
def test_all_lists_exactly_the_public_names(name: str) -> None:
    path = _library()[name]
    module = importlib.import_module(name)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    listed = list(module.__all__)
    assert len(listed) == len(set(listed)), f"{name}: a name listed twice"
    missing = [n for n in listed if not hasattr(module, n)]
    assert missing == [], f"{name}.__all__ lists names it does not hold"
    defined = _defined(tree)
    if path.name == "__init__.py":
        own = {n for n, src in _imported(tree, name, type_checking=False).items()
               if src.startswith(name + ".")}
        lazy = set(_imported(tree, name, type_checking=True))
        assert set(listed) == defined | own | lazy
        return
    assert defined - set(listed) == set(), f"{name}: public names missing from __all__"
    imports = _imported(tree, name.rpartition(".")[0], type_checking=False)
    borrowed = {n for n in listed if n in imports and _is_public(imports[n])}
    assert borrowed == set(), f"{name}.__all__ lists names whose home is another module"
    assert set(listed) <= defined | {n for n in imports if not _is_public(imports[n])}


def test_the_all_check_reads_definitions_and_imports() -> None:
    tree = ast.parse("import logging\nlog = logging.getLogger()\nLIMIT = 3\n"
                     "def f(): ...\nclass _Hidden: ...\nfrom ._x import y\n")
    assert _defined(tree) == {"LIMIT", "f"}
    assert _imported(tree, "iotforge.curation", type_checking=False) == {
        "y": "iotforge.curation._x"}


def test_one_line_per_job_and_nothing_heavy_until_used() -> None:
    # a fresh interpreter: the packages and the top-level names load no scikit-learn,
    # torch, Dask or Great Expectations until a function is taken
    import subprocess
    import sys

    code = ("import sys, iotforge, iotforge.augment, iotforge.curation, iotforge.evaluation\n"
            "names = sorted(iotforge.__all__)\n"
            "heavy = [m for m in ('sklearn', 'torch', 'dask', 'great_expectations', 'imblearn')"
            " if m in sys.modules]\n"
            "from iotforge import curate, make_augmenter, evaluate\n"
            "print(names, heavy, curate.__module__, make_augmenter.__module__,"
            " evaluate.__module__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ("['augment_table', 'curate', 'evaluate', 'load_suite', 'make_augmenter', "
                   "'read_canonical', 'split', 'validate_frame'] [] iotforge.curation.curate "
                   "iotforge.augment._factory iotforge.evaluation.evaluate")
