"""What every curate engine shares: the run's plan and its report.

:func:`plan` opens each source once for its column specs and gives the one schema every
writer (local or Dask) takes; :func:`run_report` turns the files' report entries into
the run's report.json. :func:`iotforge.curation.curate.curate` calls an engine
(:mod:`iotforge.curation.engines.local` here, :mod:`iotforge.curation.engines.dask_curate`
on a cluster); both import this module, which imports neither of them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .._typing import DedupeScope, Policy
from ..rules import RULES
from ..schema import ARROW_TYPES, FIXED_ROLES, ColumnSpec, TableMeta, arrow_schema
from ..sources import SourceOptions
from ..taxonomy import Taxonomy

__all__ = ["SAME_RECORDS_SHARE", "plan", "promote", "run_report", "same_records"]

log = logging.getLogger(__name__)


def promote(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    """The type of a column that is ``a`` in one source and ``b`` in another.

    >>> promote(pa.int64(), pa.float64()), promote(pa.int64(), pa.string())
    (DataType(double), DataType(string))
    """
    if a == b:
        return a
    if pa.types.is_integer(a) and pa.types.is_floating(b) or (
            pa.types.is_floating(a) and pa.types.is_integer(b)):
        return pa.float64()
    return pa.string()


def plan(paths: list[Path], adapters: list[Any],
         options: SourceOptions) -> tuple[TableMeta, pa.Schema]:
    """Open every source once for its column specs, so one writer takes all rows.

    Opening reads only the first chunk of a file (the kind inference sample); the
    source is closed again and reopened for the real pass. Types of a column that
    differ between sources are promoted (int+float -> float, otherwise string).
    """
    plans: list[tuple[str, dict[str, ColumnSpec]]] = []
    for path, adapter in zip(paths, adapters, strict=True):
        source = adapter.open(path, options)
        close = getattr(source.batches, "close", None)
        if close is not None:
            close()
        plans.append((source.name, dict(source.specs)))
    roles: dict[str, str] = dict(FIXED_ROLES)
    types: dict[str, pa.DataType] = {}
    order: list[str] = []
    for _, specs in plans:
        for name, spec in specs.items():
            roles.setdefault(name, spec.role)
            typ = ARROW_TYPES[spec.kind]
            if name not in types:
                types[name] = typ
                order.append(name)
            else:
                types[name] = promote(types[name], typ)
    meta = TableMeta(stage="curate", roles=roles,
                     sources=sorted({name for name, _ in plans}),
                     extra={"inputs": [str(p) for p in paths]})
    fixed = arrow_schema({}, meta)
    schema = pa.schema([*fixed, *(pa.field(n, types[n]) for n in order)],
                       metadata={b"iotforge": meta.to_json().encode()})
    return meta, schema


def run_report(files: list[dict[str, Any]],
               fingerprints: list[tuple[frozenset[str], np.ndarray]], meta: TableMeta,
               policies: Mapping[str, Policy] | None, taxonomy: Taxonomy,
               dedupe_scope: DedupeScope) -> dict[str, Any]:
    """The run's report from the files' entries: totals, rules, classes, warnings.

    Every engine builds its report here; the warnings are logged as well.
    """
    total: dict[str, Any] = {k: sum(f[k] for f in files) for k in
                             ("rows_read", "rows_out", "rows_quarantined", "rows_duplicate")}
    rules: Counter[str] = Counter()
    for f in files:
        rules.update(f["rules"])
    total["rules"] = dict(sorted(rules.items()))
    classes: Counter[str] = Counter()
    for f in files:
        classes.update(f["classes"])
    total["classes"] = dict(classes.most_common())
    warnings = same_records(files, fingerprints)
    for warning in warnings:
        log.warning("%s", warning)
    return {
        "files": files,
        "total": total,
        "policies": {name: (policies or {}).get(name, r.policy) for name, r in RULES.items()},
        "taxonomy": taxonomy.origin,
        "roles": meta.roles,
        "dedupe_scope": dedupe_scope,
        "warnings": warnings,
    }


SAME_RECORDS_SHARE = 0.5
"""Share of a file's distinct feature rows found in another file that makes them "the same
records" (e.g. NSL-KDD's .txt and .arff copies of one set) and earns a warning."""


def same_records(files: list[dict[str, Any]],
                 fingerprints: list[tuple[frozenset[str], np.ndarray]]) -> list[str]:
    """Warnings for pairs of files that hold mostly the same feature rows.

    Files are compared when they have the same feature columns; their distinct
    feature-row hashes (labels left out, so a copy relabelled ``attack`` still
    matches) are intersected. Curating both counts every such record twice.
    """
    warnings = [
        f"{f['path']} repeats {f['rows_repeating_earlier_files']:,} of its {f['rows_read']:,} "
        f"records from earlier input files: the same capture given twice?"
        for f in files
        if f["rows_repeating_earlier_files"] >= SAME_RECORDS_SHARE * max(f["rows_read"], 1)]
    for i, (cols_a, a) in enumerate(fingerprints):
        for j in range(i + 1, len(fingerprints)):
            cols_b, b = fingerprints[j]
            if cols_a != cols_b or not len(a) or not len(b):
                continue
            common = len(np.intersect1d(a, b, assume_unique=True))
            smaller = min(len(a), len(b))
            if common >= SAME_RECORDS_SHARE * smaller:
                warnings.append(
                    f"{files[j]['path']} and {files[i]['path']} hold the same records "
                    f"({common:,} of {smaller:,} distinct feature rows in common): the same "
                    f"capture in two formats? Curate one of them")
    return warnings
