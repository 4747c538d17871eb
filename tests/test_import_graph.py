"""The library's import graph (read from the source, imports inside functions included):
no circles, and imports point the way ARCHITECTURE.md says."""

from __future__ import annotations

import pytest
from import_graph import cycles, import_graph

GRAPH = import_graph()
EDGES = sorted((a, b) for a, targets in GRAPH.items() for b in targets)


def _package(module: str) -> str:
    """``curation``, ``augment``, ``evaluation``, ``expectations``, ``cli`` or ``top``."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("cli", "commands", "__main__"):
        return "cli"
    return parts[1] if len(parts) > 1 else "top"


def test_the_graph_is_read() -> None:
    # the helper sees the edges it must: otherwise every check below passes vacuously
    assert "iotforge.augment._factory" in GRAPH["iotforge.augment._auto"]
    assert "iotforge.curation.errors" in GRAPH["iotforge.augment._registry"]
    assert any(_package(b) == "curation" for a, b in EDGES if _package(a) == "evaluation")
    assert any(_package(b) == "cli" for a, b in EDGES if _package(a) == "cli")


def test_no_import_circles() -> None:
    assert cycles(GRAPH) == []


def test_cycles_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# (importing package, imported package) that ARCHITECTURE.md forbids
FORBIDDEN = [("curation", "augment"), ("curation", "evaluation"), ("augment", "evaluation"),
             *((p, "cli") for p in ("curation", "augment", "evaluation", "expectations",
                                    "top"))]


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_imports_point_one_way(source: str, target: str) -> None:
    wrong = [(a, b) for a, b in EDGES if _package(a) == source and _package(b) == target]
    assert wrong == []
