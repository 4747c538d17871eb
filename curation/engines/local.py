"""The local engine: one input file at a time, batch by batch, through the rules.

:func:`curate_file` streams one opened source: every batch through
:func:`~iotforge.curation.clean.clean_batch` (the batch rules), the rows every file rule lets
through (:class:`~iotforge.curation.rules.FileCheck`: exact duplicates) conformed to the run's
schema and written (the rows ``repeated_except_id`` quarantines go to the quarantine),
and at the end the file rules' counts and the file's report entry.
A plain file reader parses the next batch while one is cleaned, and Parquet is written
behind (:mod:`iotforge.curation._streaming`). :func:`run_local` runs every file of a
curate run this way, with the plan and report of :mod:`iotforge.curation.engines.planning`
that the Dask engine (:mod:`iotforge.curation.engines.dask_curate`) runs the same
rules per partition.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._streaming import WriteBehind, read_ahead
from .._typing import DedupeScope, Policy
from ..clean import QUARANTINE_SCHEMA, CleanResult, clean_batch
from ..rules import RULES, FileCheck, FileContext, FileRule
from ..rules.duplicates import (
    DuplicateIndex,
    ExactDuplicate,
    FirstSeen,
    RepeatCheck,
    RepeatedExceptId,
)
from ..schema import AUGMENTER, IS_SYNTHETIC, LABEL, SOURCE, SOURCE_FILE, SOURCE_ROW
from ..sources import SourceOptions
from ..taxonomy import Taxonomy
from .planning import plan, run_report

Progress = Callable[[str, int], None]


@dataclass
class Writers:
    """The curated and quarantine writers, fed by one background thread."""

    curated: pq.ParquetWriter
    quarantine: pq.ParquetWriter
    behind: WriteBehind


def curate_file(fctx: FileContext, format_name: str, schema: pa.Schema, writers: Writers,
                taxonomy: Taxonomy, policies: Mapping[str, Policy] | None,
                progress: Progress | None) -> tuple[dict[str, Any], Any]:
    """Curate one file into the writers; its report entry and feature-row fingerprint.

    Every batch goes through :func:`~iotforge.curation.clean.clean_batch` (the batch rules);
    the file rules (:class:`~iotforge.curation.rules.FileRule`: duplicates, constant columns,
    what the reader saw of the file) each follow the file with a
    :class:`~iotforge.curation.rules.FileCheck`, which picks the rows to write (exact
    duplicates) and gives its count and report details at the end. A plain file
    reader parses the next batch while this one is cleaned, and Parquet is written
    behind (:mod:`iotforge.curation._streaming`).
    """
    source, path = fctx.source, fctx.path
    checks: dict[str, FileCheck] = {name: rule.check(fctx) for name, rule in RULES.items()
                                    if isinstance(rule, FileRule)}
    counts: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    rows = {"rows_read": 0, "rows_out": 0, "rows_quarantined": 0, "rows_duplicate": 0}
    ahead = read_ahead(source.batches) if source.read_ahead else None
    with contextlib.closing(ahead) if ahead is not None else contextlib.nullcontext():
        for batch in ahead if ahead is not None else source.batches:
            res = clean_batch(
                batch.table, batch.source_row, source.specs,
                label_columns=source.label_columns, binary_label=source.binary_label,
                fixed_label=source.fixed_label, label_map=source.label_map,
                taxonomy=taxonomy, policies=policies, source=source.name,
                source_file=str(path), invalid=batch.invalid,
                encoding_fixed=batch.encoding_fixed)
            counts.update(res.counts)
            kept, repeated = selected(res, checks, schema)
            rows["rows_read"] += batch.table.num_rows + len(batch.invalid)
            rows["rows_out"] += kept.num_rows
            rows["rows_duplicate"] += res.table.num_rows - kept.num_rows - repeated.num_rows
            rows["rows_quarantined"] += res.quarantined.num_rows + repeated.num_rows
            if res.quarantined.num_rows:
                writers.behind.write(writers.quarantine, res.quarantined)
            if repeated.num_rows:
                counts[f"quarantine:{RepeatedExceptId.name}"] += repeated.num_rows
                writers.behind.write(writers.quarantine, repeated)
            if kept.num_rows:
                table = conform_table(kept, schema)
                writers.behind.write(writers.curated, table)
                for item in pc.value_counts(table.column(LABEL)).to_pylist():
                    classes[item["values"]] += item["counts"]
                for check in checks.values():
                    check.update(table)
            if progress:
                progress(str(path), batch.table.num_rows + len(batch.invalid))
    detail: dict[str, Any] = {}
    for name, check in checks.items():
        effect = check.finish()
        counts[name] += effect.count
        detail.update(effect.detail)
    if rows["rows_read"] != rows["rows_out"] + rows["rows_quarantined"] + rows["rows_duplicate"]:
        raise AssertionError(f"{path}: row accounting does not add up: {rows}")
    entry = {
        "path": str(path), "format": format_name, "source": source.name, **rows,
        "rules": {k: v for k, v in sorted(counts.items()) if v and ":" not in k},
        "quarantine_rules": {k.split(":", 1)[1]: v for k, v in sorted(counts.items())
                             if k.startswith("quarantine:")},
        "constant_columns": detail["constant_columns"],
        "conflicting_duplicate_groups": detail["conflicting_duplicate_groups"],
        "rows_repeating_earlier_files": detail["rows_repeating_earlier_files"],
        "classes": dict(classes.most_common()),
        "notes": [str(n) for n in source.notes],
    }
    return entry, detail["fingerprint"]


def selected(res: CleanResult, checks: Mapping[str, FileCheck],
             schema: pa.Schema | None = None) -> tuple[pa.Table, pa.Table]:
    """The cleaned rows every file check lets through (exact duplicates dropped), and the
    rows ``repeated_except_id`` quarantines (:data:`QUARANTINE_SCHEMA`), their records
    as written in ``schema`` (the Dask engine's staged rows are)."""
    keep: np.ndarray | None = None
    for check in checks.values():
        picked = check.select(res.row_hash)
        if picked is not None:
            keep = picked if keep is None else keep & picked
    repeat = checks.get(RepeatedExceptId.name)
    out = QUARANTINE_SCHEMA.empty_table()
    if isinstance(repeat, RepeatCheck):
        new = getattr(checks.get(ExactDuplicate.name), "new",
                      np.ones(res.table.num_rows, dtype=bool))  # no exact duplicates
        rows = np.asarray(res.table.column(SOURCE_ROW))
        # a file without id columns takes part too: a record of another file may equal
        # one of its records but for its ids
        free = res.id_free_hash if res.id_free_hash is not None else res.row_hash
        at, reasons = repeat.repeats(free, rows, new)
        if len(at) and repeat.quarantine:
            rows_at = res.table.take(pa.array(at, pa.int64()))
            out = repeat_quarantine(rows_at if schema is None else conform_table(rows_at, schema),
                                    np.arange(len(at)), reasons, repeat.ids)
            keep = np.ones(res.table.num_rows, dtype=bool) if keep is None else keep.copy()
            keep[at] = False
    table = res.table if keep is None or keep.all() else res.table.filter(pa.array(keep))
    return table, out


_PROVENANCE = (SOURCE, SOURCE_FILE, SOURCE_ROW, IS_SYNTHETIC, AUGMENTER)


def repeat_quarantine(table: pa.Table, at: np.ndarray, reasons: list[str],
                      ids: list[str]) -> pa.Table:
    """Quarantine rows (:data:`QUARANTINE_SCHEMA`) of ``table``'s rows at ``at``, under
    ``repeated_except_id``: the record is the row as it would have been written (its
    columns that hold a value, provenance aside).

    >>> t = pa.table({"source": ["s"], "source_file": ["a.csv"], "source_row": [3],
    ...               "uid": ["C1"], "bytes": [1.5], "note": pa.nulls(1, pa.string())})
    >>> q = repeat_quarantine(t, np.array([0]), ["why"], ["uid"])
    >>> q.column("record").to_pylist(), q.column("column").to_pylist()
    (['{"uid": "C1", "bytes": 1.5}'], ['uid'])
    """
    import json

    picked = table.take(pa.array(at, pa.int64()))
    records = [json.dumps({k: v for k, v in row.items()
                           if k not in _PROVENANCE and v is not None}, default=str)
               for row in picked.to_pylist()]
    k = picked.num_rows
    return pa.Table.from_arrays([
        picked.column(SOURCE).cast(pa.string()), picked.column(SOURCE_FILE).cast(pa.string()),
        picked.column(SOURCE_ROW).cast(pa.int64()),
        pa.array([RepeatedExceptId.name] * k, pa.string()), pa.array(reasons, pa.string()),
        pa.array([ids[0] if ids else ""] * k, pa.string()), pa.array(records, pa.string())],
        schema=QUARANTINE_SCHEMA)


def conform_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in ``schema``: columns it lacks are null, other types cast.

    A column promoted to text because files disagree on its type is written as pandas
    writes it (``80.0`` for a float, ``True`` for a boolean), as curate always has.

    >>> t = pa.table({"a": pa.array([1, None]), "c": [1.5, 2.0]})
    >>> schema = pa.schema([("a", pa.float64()), ("b", pa.string()), ("c", pa.string())])
    >>> conform_table(t, schema).to_pydict()
    {'a': [1.0, None], 'b': [None, None], 'c': ['1.5', '2.0']}
    """
    arrays = []
    present = set(table.column_names)  # a set: wide tables have thousands of columns
    for fld in schema:
        if fld.name not in present:
            arrays.append(pa.nulls(table.num_rows, fld.type))
            continue
        arr = table.column(fld.name)
        if arr.type != fld.type:
            if pa.types.is_string(fld.type):
                col = CleanResult(table.select([fld.name]), table.slice(0, 0)).frame[fld.name]
                arr = pa.chunked_array([pa.array(col.astype("string"), pa.string())])
            else:
                arr = arr.cast(fld.type)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=schema)


def run_local(paths: list[Path], adapters: list[Any], work: Path, options: SourceOptions,
              taxonomy: Taxonomy, policies: Mapping[str, Policy] | None,
              progress: Progress | None,
              dedupe_scope: DedupeScope = "global") -> dict[str, Any]:
    """curate's run here: every file streamed through the rules into the staging
    directory ``work``; returns the run's report (the Dask engine's
    :func:`~iotforge.curation.engines.dask_curate.run_dask` does the same on a cluster)."""
    meta, schema = plan(paths, adapters, options)
    files, fingerprints = _write(paths, adapters, work, schema, options, taxonomy, policies,
                                 progress, dedupe_scope)
    table_rows = pq.read_metadata(work / "curated.parquet").num_rows
    report = run_report(files, fingerprints, meta, policies, taxonomy, dedupe_scope)
    if table_rows != report["total"]["rows_out"]:
        raise AssertionError("curated rows differ from the accounting")
    return report


def _write(paths: list[Path], adapters: list[Any], work: Path, schema: pa.Schema,
           options: SourceOptions, taxonomy: Taxonomy, policies: Mapping[str, Policy] | None,
           progress: Progress | None, dedupe_scope: DedupeScope
           ) -> tuple[list[dict[str, Any]], list[tuple[frozenset[str], np.ndarray]]]:
    """Curate every file into the two Parquet writers; per file its report entry and
    feature-row fingerprint."""
    seen = DuplicateIndex()  # every file's records, for the cross-file counts
    first_seen = FirstSeen()  # every file's id-free records (global dedupe scope)
    files: list[dict[str, Any]] = []
    fingerprints: list[tuple[frozenset[str], np.ndarray]] = []
    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    with pq.ParquetWriter(work / "quarantine.parquet", QUARANTINE_SCHEMA) as qwriter, \
            pq.ParquetWriter(work / "curated.parquet", schema, use_dictionary=strings,
                             compression="zstd") as writer, WriteBehind() as behind:
        for path, adapter in zip(paths, adapters, strict=True):
            source = adapter.open(path, options)
            fctx = FileContext(path=Path(path), source=source, policies=policies or {},
                               index=seen, first_seen=first_seen, scope=dedupe_scope,
                               several=len(paths) > 1)
            entry, fingerprint = curate_file(fctx, adapter.name, schema,
                                             Writers(writer, qwriter, behind), taxonomy,
                                             policies, progress)
            files.append(entry)
            fingerprints.append(fingerprint)
    return files, fingerprints


__all__ = ["Progress", "Writers", "conform_table", "curate_file", "repeat_quarantine", "run_local",
           "selected"]
