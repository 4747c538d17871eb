"""Curation: captures of many tools -> one clean, validated, leakage-safe canonical table.

Subpackages: ``sources`` (one adapter per capture format), ``rules`` (the cleaning
rules, objects over Arrow arrays), ``contracts`` (Great Expectations suites),
``leakage`` (audit and split), ``engines`` (the Dask engine). The names below are
the public API; they are imported on first use, so ``import curation`` stays cheap
(the command line's ``--help`` imports nothing heavy).

``curate`` itself is ``iotforge.curation.curate.curate`` (the name of its module too).

>>> from iotforge import curation
>>> curation.split.__module__, curation.Taxonomy.__module__
('iotforge.curation.leakage.split', 'iotforge.curation.taxonomy')
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "expand_inputs": "iotforge.curation.curate",
    "clean_batch": "iotforge.curation.clean",
    "CleanResult": "iotforge.curation.clean",
    "RULES": "iotforge.curation.clean",
    "Taxonomy": "iotforge.curation.taxonomy",
    "target_values": "iotforge.curation.targets",
    "TableMeta": "iotforge.curation.schema",
    "read_meta": "iotforge.curation.schema",
    "write_demo": "iotforge.curation.demo",
    "load_data": "iotforge.curation.tables",
    "IotforgeError": "iotforge.curation.errors",
    "validate_frame": "iotforge.curation.contracts",
    "load_suite": "iotforge.curation.contracts",
    "profile_frame": "iotforge.curation.contracts",
    "audit": "iotforge.curation.leakage",
    "split": "iotforge.curation.leakage",
    "SplitResult": "iotforge.curation.leakage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'curation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
