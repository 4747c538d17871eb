"""Cleaning rules as objects over Arrow arrays: one module per family, one registry.

Each public module of this package is a family of rules and says where the family
runs (``STEP``): ``shape`` (what the reader found: row shape, encoding, line ends,
repeated and constant columns), ``values`` (whitespace, markers, case, booleans,
numbers, timestamps), ``clocks`` (two clocks of a record that differ), ``domains``
(sentinels, ranges), ``labels`` (missing, unknown, conflicting) and ``duplicates``
(exact and conflicting). :func:`discover` imports them
and builds :data:`RULES`, every concrete :class:`Rule` subclass in family order, then
in the order of definition: the order a batch is cleaned in. A new rule is a new class
in the module of its family (or a new module with its ``STEP``); it is then in
``RULES``, in ``--policy``, in report.json and in the test of every (rule, policy)
pair.

>>> list(RULES)[:4]
['row_shape', 'encoding', 'line_endings', 'duplicate_column']
>>> RULES["range"].policies
('set_missing', 'quarantine')
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from ._base import (
    BatchContext,
    Effect,
    FileCheck,
    FileContext,
    FileRule,
    Flag,
    Rule,
)
from ._hash import hash_values, row_hash


def discover() -> dict[str, Rule]:
    """Every rule of the family modules of this package, by name, in cleaning order."""
    found: list[tuple[int, int, Rule]] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        step = getattr(module, "STEP", 100)
        classes = [obj for obj in vars(module).values()
                   if inspect.isclass(obj) and issubclass(obj, Rule)
                   and obj.__module__ == module.__name__ and not inspect.isabstract(obj)]
        found += [(step, i, cls()) for i, cls in enumerate(classes)]
    rules: dict[str, Rule] = {}
    for _, _, rule in sorted(found, key=lambda f: (f[0], f[1])):
        if rule.name in rules:
            raise RuntimeError(f"two cleaning rules are named {rule.name!r}")
        rules[rule.name] = rule
    return rules


RULES: dict[str, Rule] = discover()
"""Every cleaning rule by name, in the order a batch is cleaned."""

__all__ = ["RULES", "BatchContext", "Effect", "FileCheck", "FileContext", "FileRule", "Flag",
           "Rule", "discover", "hash_values", "row_hash"]
