"""Curation: captures of many tools -> one clean, validated, leakage-safe canonical table.

Subpackages: ``sources`` (one adapter per capture format), ``rules`` (the cleaning
rules, objects over Arrow arrays), ``contracts`` (Great Expectations suites),
``leakage`` (audit and split), ``engines`` (the Dask engine). The names below are
the public API; they are imported on first use, so ``import curation`` stays cheap
(the command line's ``--help`` imports nothing heavy).

``curate`` itself is ``curation.curate.curate`` (the name of its module too).

>>> import curation
>>> curation.split.__module__, curation.Taxonomy.__module__
('curation.leakage.split', 'curation.taxonomy')
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "expand_inputs": "curation.curate",
    "clean_batch": "curation.clean",
    "CleanResult": "curation.clean",
    "RULES": "curation.clean",
    "Taxonomy": "curation.taxonomy",
    "target_values": "curation.targets",
    "TableMeta": "curation.schema",
    "read_meta": "curation.schema",
    "write_demo": "curation.demo",
    "load_data": "curation.tables",
    "IotforgeError": "curation.errors",
    "validate_frame": "curation.contracts",
    "load_suite": "curation.contracts",
    "profile_frame": "curation.contracts",
    "audit": "curation.leakage",
    "split": "curation.leakage",
    "SplitResult": "curation.leakage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'curation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
