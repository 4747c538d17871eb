"""Curation: captures of many tools -> one clean, validated, leakage-safe canonical table.

Subpackages: ``sources`` (one adapter per capture format), ``rules`` (the cleaning
rules, objects over Arrow arrays), ``contracts`` (Great Expectations suites),
``leakage`` (audit and split), ``engines`` (the Dask engine). The names below are
the public API; they are imported on first use, so ``import curation`` stays cheap
(the command line's ``--help`` imports nothing heavy).

``curate`` itself is ``iotforge.curation.curate.curate`` (the name of its module too), and
``from iotforge import curate`` gives it.

>>> from iotforge import curation
>>> curation.split.__module__, curation.Taxonomy.__module__
('iotforge.curation.leakage.split', 'iotforge.curation.taxonomy')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._inputs import expand_inputs
    from .clean import CleanResult, clean_batch
    from .contracts import load_suite, profile_frame, validate_frame
    from .demo import write_demo
    from .errors import IotforgeError
    from .leakage import SplitResult, audit, split
    from .rules import RULES
    from .schema import TableMeta, read_meta
    from .tables import load_data
    from .targets import target_values
    from .taxonomy import Taxonomy

_EXPORTS = {
    "expand_inputs": "iotforge.curation._inputs",
    "clean_batch": "iotforge.curation.clean",
    "CleanResult": "iotforge.curation.clean",
    "RULES": "iotforge.curation.rules",
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

__all__ = ["RULES", "CleanResult", "IotforgeError", "SplitResult", "TableMeta", "Taxonomy",
           "audit", "clean_batch", "expand_inputs", "load_data", "load_suite", "profile_frame",
           "read_meta", "split", "target_values", "validate_frame", "write_demo"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
