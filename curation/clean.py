"""Clean one batch: every rule of :data:`iotforge.curation.rules.RULES`, in order, on Arrow arrays.

Each rule detects one general problem, has a policy (``fix``, ``set_missing``,
``quarantine``, ``report`` or ``drop``) and counts what it touched. No rule knows a
dataset: a quirk of one capture is an instance of a general rule, configured by the
column specs the adapters and mapping files declare. The rules live in
:mod:`iotforge.curation.rules` (one module per family); docs/cleaning.md lists them.
:func:`clean_batch` applies them to one Arrow table with explicit record numbers, so
it serves one chunk of a file as well as one partition of a Dask engine.

>>> import pyarrow as pa
>>> from iotforge.curation.schema import ColumnSpec
>>> specs = {"dst_port": ColumnSpec("dst_port", "numeric", "int", "port")}
>>> table = pa.table({"dst_port": [" 80", "-", "70000"], "type": ["ddos", "normal", "ddos"]})
>>> res = clean_batch(table, [10, 11, 12], specs, label_columns=["type"])
>>> res.frame["dst_port"].tolist(), res.frame["label"].tolist()
([80, <NA>, <NA>], ['ddos', 'normal', 'ddos'])
>>> res.counts["range"], res.counts["missing_marker"]
(1, 1)
>>> res = clean_batch(table, [10, 11, 12], specs, label_columns=["type"],
...                   policies={"range": "quarantine"})
>>> res.quarantine[["source_row", "rule", "column"]].values.tolist()
[[12, 'range', 'dst_port']]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ._typing import Policy
from .rules import RULES, BatchContext, Flag
from .rules._base import bounds, from_floats
from .rules._timestamps import parse_timestamp_array, parse_timestamps
from .schema import (
    ATTACK_FAMILY,
    AUGMENTER,
    IS_ATTACK,
    IS_SYNTHETIC,
    LABEL,
    LABEL_RAW,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    ColumnSpec,
)
from .sources._base import InvalidRecord
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    import pandas as pd

QUARANTINE_COLUMNS = (SOURCE, SOURCE_FILE, SOURCE_ROW, "rule", "reason", "column", "record")
QUARANTINE_SCHEMA = pa.schema([
    pa.field(c, pa.int64() if c == SOURCE_ROW else pa.string()) for c in QUARANTINE_COLUMNS
])
_INT_LIMIT = 2.0 ** 63


@dataclass
class CleanResult:
    """The rows a batch keeps, the rows it quarantines, and what each rule touched.

    ``table`` holds the kept rows (provenance, labels, then the spec columns, typed
    by their kind), ``quarantined`` the rejected ones (:data:`QUARANTINE_SCHEMA`).
    ``row_hash`` holds, for each row of ``table``, a 64-bit hash of its raw record
    (see :func:`iotforge.curation.rules.duplicates.key_columns`): the exact-duplicate
    key; ``id_free_hash`` the same without the id-role columns (None: there are none).
    ``frame`` and
    ``quarantine`` are the same two tables as pandas DataFrames.
    """

    table: pa.Table
    quarantined: pa.Table
    counts: Counter[str] = field(default_factory=Counter)
    row_hash: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    id_free_hash: np.ndarray | None = None

    @property
    def frame(self) -> pd.DataFrame:
        """The kept rows as pandas: integers ``Int64`` and booleans ``boolean`` (both
        with missing values), the provenance and ``is_attack`` flags plain."""
        import pandas as pd

        out = {}
        for name, col in zip(self.table.column_names, self.table.columns, strict=True):
            if pa.types.is_integer(col.type) and name != SOURCE_ROW:
                out[name] = pd.array(col.to_pylist(), dtype="Int64")
            elif pa.types.is_boolean(col.type) and name not in (IS_SYNTHETIC, IS_ATTACK):
                out[name] = pd.array(col.to_pylist(), dtype="boolean")
            else:
                out[name] = col.to_pandas()
        return pd.DataFrame(out, columns=self.table.column_names)

    @property
    def quarantine(self) -> pd.DataFrame:
        """The quarantined rows as pandas."""
        return self.quarantined.to_pandas()


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    return Taxonomy.default()


def clean_batch(
    table: pa.Table,
    source_row: Sequence[int] | np.ndarray,
    specs: Mapping[str, ColumnSpec],
    *,
    label_columns: Sequence[str] = (),
    binary_label: str | None = None,
    fixed_label: str | None = None,
    label_map: Mapping[str, str] | None = None,
    taxonomy: Taxonomy | None = None,
    policies: Mapping[str, Policy] | None = None,
    source: str = "",
    source_file: str = "",
    invalid: Sequence[InvalidRecord] = (),
    encoding_fixed: int = 0,
) -> CleanResult:
    """Apply every rule to one batch; see the module docstring for an example.

    Parameters
    ----------
    table : pyarrow.Table
        The batch as an adapter delivers it (canonical column names; text or typed).
    source_row : sequence of int
        The record number of each row in its file (any numbering: a Dask partition
        passes its own).
    specs : mapping of str to ColumnSpec
        The source's column specs; columns without one are not kept.
    label_columns, binary_label, fixed_label, label_map
        Where the labels come from (see :class:`iotforge.curation.sources.Source`).
    taxonomy : Taxonomy, optional
        Raw label -> class (default: the built-in one).
    policies : mapping of str to Policy, optional
        Non-default policies by rule name.
    source, source_file : str
        Provenance written into every row.
    invalid : sequence of InvalidRecord
        Records the reader could not make a row of; they are quarantined.
    encoding_fixed : int
        Records the reader decoded with the fallback encoding.

    Returns
    -------
    CleanResult
    """
    policy: dict[str, Policy] = {name: r.policy for name, r in RULES.items()}
    policy.update(policies or {})
    ctx = BatchContext(
        table, source_row, specs, policies=policy, label_columns=label_columns,
        binary_label=binary_label, fixed_label=fixed_label, label_map=label_map,
        taxonomy=taxonomy or _default_taxonomy(), invalid=invalid,
        encoding_fixed=encoding_fixed)
    counts: Counter[str] = Counter()
    flags: list[tuple[tuple[int, int], str, Flag]] = []
    row_hash = np.zeros(ctx.n, dtype=np.uint64)
    id_free_hash: np.ndarray | None = None
    for index, rule in enumerate(RULES.values()):
        effect = rule.apply(ctx)
        if effect.count:
            counts[rule.name] += effect.count
        ctx.values.update(effect.columns)
        ctx.labels.update(effect.labels)
        # a row goes to quarantine under the rule that flagged it first in column
        # order (labels after every column), then in rule order
        flags += [((ctx.order(f.column), index), rule.name, f) for f in effect.flags]
        if effect.row_hash is not None:
            row_hash = effect.row_hash
            id_free_hash = effect.id_free_hash
    owner = _first_flags(flags, ctx.n)
    keep = owner < 0
    quarantined = _quarantine(ctx, flags, owner, source, source_file)
    for rule_name in quarantined.column("rule").to_pylist():
        counts[f"quarantine:{rule_name}"] += 1
    kept = _output(ctx, source, source_file)
    if not keep.all():
        kept = kept.filter(pa.array(keep))
        row_hash = row_hash[keep]
        id_free_hash = id_free_hash[keep] if id_free_hash is not None else None
    return CleanResult(table=kept, quarantined=quarantined, counts=counts, row_hash=row_hash,
                       id_free_hash=id_free_hash)


def _first_flags(flags: list[tuple[tuple[int, int], str, Flag]], n: int) -> np.ndarray:
    """For each row, the index in ``flags`` of the flag that quarantines it (-1: none)."""
    owner = np.full(n, -1, dtype=np.int64)
    for i in sorted(range(len(flags)), key=lambda i: flags[i][0]):
        new = flags[i][2].rows & (owner < 0)
        owner[new] = i
    return owner


def _quarantine(ctx: BatchContext, flags: list[tuple[tuple[int, int], str, Flag]],
                owner: np.ndarray, source: str, source_file: str) -> pa.Table:
    """Invalid records first, then flagged rows in row order, with their raw record."""
    rows, rules, reasons, columns, records = [], [], [], [], []
    for rec in ctx.invalid:
        rows.append(rec.line)
        rules.append(rec.rule)
        reasons.append(rec.reason)
        columns.append("")
        records.append(json.dumps({"line": rec.text}))
    idx = np.flatnonzero(owner >= 0)
    if len(idx):
        raw = ctx.table.take(pa.array(idx)).to_pylist()
        for i, record in zip(idx, raw, strict=True):
            _, rule, flag = flags[owner[i]]
            rows.append(int(ctx.source_row[i]))
            rules.append(rule)
            reasons.append(flag.reasons if isinstance(flag.reasons, str)
                           else flag.reasons[i])
            columns.append(flag.column)
            records.append(json.dumps(record, default=str))
    k = len(rows)
    return pa.Table.from_arrays([
        pa.array([source] * k, pa.string()), pa.array([source_file] * k, pa.string()),
        pa.array(rows, pa.int64()), pa.array(rules, pa.string()),
        pa.array(reasons, pa.string()), pa.array(columns, pa.string()),
        pa.array(records, pa.string())], schema=QUARANTINE_SCHEMA)


def _repeat(value: str, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))


def _typed(ctx: BatchContext, name: str, spec: ColumnSpec) -> pa.Array:
    """A spec column's cleaned values in the type of its kind (numbers read as float64
    become int64 in an ``int`` column; values past int64 cannot be stored)."""
    values = ctx.values[name]
    if ctx.numeric(name) and spec.kind == "int" and not pa.types.is_integer(values.type):
        view = ctx.floats(values)
        lo, hi = bounds(view)
        if lo <= -_INT_LIMIT or hi >= _INT_LIMIT:
            values = from_floats(np.where(np.abs(view) < _INT_LIMIT, view, np.nan))
        return values.cast(pa.int64())
    return values


def _output(ctx: BatchContext, source: str, source_file: str) -> pa.Table:
    n = ctx.n
    columns: dict[str, pa.Array] = {
        SOURCE: _repeat(source, n),
        SOURCE_FILE: _repeat(source_file, n),
        SOURCE_ROW: pa.array(ctx.source_row, pa.int64()),
        IS_SYNTHETIC: pa.array(np.zeros(n, dtype=bool)),
        AUGMENTER: pa.nulls(n, pa.string()),
    }
    for name in (LABEL, LABEL_RAW, IS_ATTACK, ATTACK_FAMILY):
        columns[name] = ctx.labels[name]
    for name, spec in ctx.specs.items():
        columns[name] = _typed(ctx, name, spec)
    return pa.table(columns)


__all__ = ["QUARANTINE_COLUMNS", "QUARANTINE_SCHEMA", "CleanResult", "clean_batch",
           "parse_timestamp_array", "parse_timestamps"]
