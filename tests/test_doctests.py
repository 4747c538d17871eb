"""The docstring examples of every library module, imported by its installed name.

pytest's ``--doctest-modules`` would import ``curation/x.py`` from the file path as
``curation.x``, a second copy of ``iotforge.curation.x`` (two class objects for one
class break isinstance and pickling). So the modules are found by walking the installed
packages and each module's examples run with :mod:`doctest`, which imports nothing.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

ROOTS = ("iotforge", "iotforge.curation", "iotforge.augment", "iotforge.evaluation",
         "iotforge.expectations")


def library_modules() -> list[str]:
    """Every module of the installed package, by its one name (``__main__`` excluded)."""
    names: set[str] = set()
    for root in ROOTS:
        package = importlib.import_module(root)
        names.add(root)
        for info in pkgutil.walk_packages(package.__path__, f"{root}."):
            if not info.name.endswith("__main__"):
                names.add(info.name)
    return sorted(names)


MODULES = library_modules()


def test_every_folder_of_the_library_is_walked() -> None:
    # the walk above and an independent look at the files: a module missed by one is a bug
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    on_disk = {".".join(("iotforge", *p.relative_to(root).with_suffix("").parts))
               .replace("iotforge.iotforge", "iotforge").removesuffix(".__init__")
               for top in ("iotforge", "curation", "augment", "evaluation", "expectations")
               for p in (root / top).rglob("*.py") if "__main__" not in p.name}
    assert on_disk == set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(verbose=False)
    for test in finder.find(module, name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
