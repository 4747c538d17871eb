"""Curate captures: ingest -> clean -> dedupe -> account, streaming in batches.

For every input file ``rows_read = rows_out + rows_quarantined + rows_duplicate``:
every record is either written, quarantined with its rule and reason, or counted
as a duplicate of an earlier row. Memory holds one batch plus 8 bytes per distinct
row (the duplicate index), never the whole input. Outputs are written atomically:
a failure leaves the previous outputs or none.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "t.csv").write_text("date,time,temp,label,type\\n1-Apr-19,8:59:02,30,0,normal\\n"
...                              "1-Apr-19,8:59:02,30,0,normal\\n1-Apr-19,9:00:00,31\\n")
>>> report = curate([d / "t.csv"], d / "out")
>>> t = report["total"]
>>> t["rows_read"], t["rows_out"], t["rows_quarantined"], t["rows_duplicate"]
(3, 1, 1, 1)
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ._inputs import SKIP_NAMES as SKIP_NAMES
from ._inputs import _globbed as _globbed
from ._inputs import _reason as _reason
from ._inputs import _unusable_error as _unusable_error
from ._inputs import _usable_inputs, expand_inputs, settle_unusable
from ._inputs import _why as _why
from ._output import OutputSet
from ._streaming import WriteBehind
from ._typing import DedupeScope, OnBadFile, Policy
from .clean import QUARANTINE_SCHEMA, RULES
from .engines import EngineOption, dask_client, resolve_engine
from .engines.local import Progress, Writers, curate_file
from .errors import InputError, UsageError
from .rules import FileContext
from .rules.duplicates import DuplicateIndex, conflicts
from .rules.shape import track_constant
from .schema import (
    ARROW_TYPES,
    FIXED_ROLES,
    ColumnSpec,
    TableMeta,
    arrow_schema,
)
from .sources import SourceOptions
from .taxonomy import Taxonomy

log = logging.getLogger(__name__)

_Dedupe = DuplicateIndex  # the exact-duplicate index, now in iotforge.curation.rules.duplicates


def _promote(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if a == b:
        return a
    if pa.types.is_integer(a) and pa.types.is_floating(b) or (
            pa.types.is_floating(a) and pa.types.is_integer(b)):
        return pa.float64()
    return pa.string()


def curate(
    inputs: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    format: str | None = None,
    mapping: Mapping[str, Any] | None = None,
    taxonomy_files: Iterable[str | os.PathLike[str]] = (),
    policies: Mapping[str, Policy] | None = None,
    default_label: str | None = None,
    label_rules: Any = None,
    progress: Progress | None = None,
    on_bad_file: OnBadFile = "fail",
    dedupe_scope: DedupeScope = "global",
    engine: EngineOption = "local",
    scheduler: str | None = None,
    partition_bytes: int | None = None,
) -> dict[str, Any]:
    """Curate ``inputs`` into ``out_dir``: curated.parquet, quarantine.parquet, report.json.

    Returns the report (also written as report.json). The three files are replaced
    as one set (:mod:`iotforge.curation._output`): a crash leaves the previous set, and a
    second run into the same ``out_dir`` while one is writing raises
    :class:`~iotforge.curation.errors.OutputBusyError`.

    Parameters
    ----------
    inputs : iterable of path
        Capture files and directories (searched recursively).
    out_dir : path
        Output directory; created when missing.
    on_bad_file : {"fail", "skip"}
        What to do with inputs that cannot be curated at all (unreadable, empty,
        unknown or ambiguous format, a header the format rejects). Every such file is
        found before anything is written. ``"fail"``: raise one error naming each of
        them and write nothing. ``"skip"``: curate the others and list the unusable
        ones under ``skipped`` in the report (``"unusable": true``); still an error
        when none is left.
    dedupe_scope : {"global", "file"}
        ``"global"``: a record identical to one in any earlier file is a duplicate.
        ``"file"``: duplicates are removed within each file only, so files that are
        official train and test sets keep every record (the split then removes the
        training copies of test rows and counts them). Either way every file's
        ``rows_repeating_earlier_files`` counts its records seen in earlier files.
    engine : {"local", "dask"} or dask.distributed.Client
        ``"local"`` streams here; ``"dask"`` runs the same rules as partition tasks on
        the cluster at ``scheduler`` (else the client in scope, else a LocalCluster), with
        the same outputs and report (:mod:`iotforge.curation.engines.dask_curate`; past 1 GiB of
        input the two Parquet outputs are dataset directories).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``).
    partition_bytes : int, optional
        Dask engine: bytes of a text file per partition (default 256 MiB).

    Other keyword arguments select the format, column mapping, extra taxonomies,
    rule policies, a label for unlabelled captures, pcap label rules and a progress
    callback.
    """
    if on_bad_file not in ("fail", "skip"):
        raise UsageError(f"on_bad_file: expected 'fail' or 'skip', found {on_bad_file!r}")
    if dedupe_scope not in ("global", "file"):
        raise UsageError(f"dedupe_scope: expected 'global' or 'file', found {dedupe_scope!r}")
    kind = resolve_engine(engine, scheduler)
    unusable: list[InputError] = []
    paths, listed = expand_inputs(inputs, unreadable=unusable)
    skipped: list[dict[str, Any]] = list(listed)
    if not paths and not unusable:
        raise UsageError("expected at least one capture file, found none"
                         + (f" ({len(skipped)} files skipped)" if skipped else ""))
    _check_policies(policies)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"input not found: {', '.join(missing)}")
    taxonomy = Taxonomy.load(*taxonomy_files)
    options = SourceOptions(mapping=mapping, label_rules=label_rules,
                            default_label=default_label)
    paths, adapters = _usable_inputs(paths, format, options, unusable)
    skipped = settle_unusable(unusable, paths, skipped, on_bad_file)
    with OutputSet(out_dir, OUTPUTS, stage="curate") as output:
        if kind == "local":
            report = _run(paths, adapters, output.staging, options, taxonomy, policies,
                          progress, dedupe_scope)
        else:
            from .engines.dask_curate import PARTITION_BYTES, run_dask

            with dask_client(engine, scheduler) as client:
                report = run_dask(client, paths, adapters, output.staging, options, taxonomy,
                                  policies, progress, dedupe_scope,
                                  partition_bytes=partition_bytes or PARTITION_BYTES)
        report["skipped"] = skipped
        (output.staging / "report.json").write_text(
            json.dumps(report, indent=2, default=str) + "\n")
        output.commit()
    return report


def _check_policies(policies: Mapping[str, Policy] | None) -> None:
    for rule, pol in (policies or {}).items():
        if rule not in RULES:
            raise UsageError(f"expected a rule in {sorted(RULES)}, found {rule!r}")
        if pol not in RULES[rule].policies:
            raise UsageError(f"rule {rule!r}: expected a policy in {RULES[rule].policies}, "
                             f"found {pol!r}")


OUTPUTS = ("curated.parquet", "quarantine.parquet", "report.json")
"""curate's output set; report.json, written last, marks a complete set."""


def _plan(paths: list[Path], adapters: list[Any],
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
                types[name] = _promote(types[name], typ)
    meta = TableMeta(stage="curate", roles=roles,
                     sources=sorted({name for name, _ in plans}),
                     extra={"inputs": [str(p) for p in paths]})
    fixed = arrow_schema({}, meta)
    schema = pa.schema([*fixed, *(pa.field(n, types[n]) for n in order)],
                       metadata={b"iotforge": meta.to_json().encode()})
    return meta, schema


def _run(paths: list[Path], adapters: list[Any], work: Path, options: SourceOptions,
         taxonomy: Taxonomy, policies: Mapping[str, Policy] | None, progress: Progress | None,
         dedupe_scope: DedupeScope = "global") -> dict[str, Any]:
    meta, schema = _plan(paths, adapters, options)
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
    files: list[dict[str, Any]] = []
    fingerprints: list[tuple[frozenset[str], np.ndarray]] = []
    strings = [f.name for f in schema if pa.types.is_string(f.type)]
    with pq.ParquetWriter(work / "quarantine.parquet", QUARANTINE_SCHEMA) as qwriter, \
            pq.ParquetWriter(work / "curated.parquet", schema, use_dictionary=strings,
                             compression="zstd") as writer, WriteBehind() as behind:
        for path, adapter in zip(paths, adapters, strict=True):
            source = adapter.open(path, options)
            fctx = FileContext(path=Path(path), source=source, policies=policies or {},
                               index=seen, scope=dedupe_scope, several=len(paths) > 1)
            entry, fingerprint = curate_file(fctx, adapter.name, schema,
                                             Writers(writer, qwriter, behind), taxonomy,
                                             policies, progress)
            files.append(entry)
            fingerprints.append(fingerprint)
    return files, fingerprints


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


def _conflicts(fhash: list[np.ndarray], flabel: list[np.ndarray]) -> tuple[int, int]:
    """Feature groups with more than one label, and the rows in them
    (:func:`iotforge.curation.rules.duplicates.conflicts`)."""
    groups, rows, _ = conflicts(fhash, flabel)
    return groups, rows


def _track_constant(table: pa.Table, constant: set[str], seen: dict[str, Any]) -> None:
    """Drop from ``constant`` every column that shows a second distinct value
    (:func:`iotforge.curation.rules.shape.track_constant`)."""
    track_constant(table, constant, seen)
