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

import glob
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

from curation._output import OutputSet
from curation._streaming import WriteBehind
from curation._typing import DedupeScope, OnBadFile, Policy
from curation.clean import QUARANTINE_SCHEMA, RULES
from curation.engines import EngineOption, dask_client, resolve_engine
from curation.engines.local import Progress, Writers, curate_file
from curation.errors import InputError, Problem, UnusableInputsError, UsageError
from curation.rules import FileContext
from curation.rules.duplicates import DuplicateIndex, conflicts
from curation.rules.shape import track_constant
from curation.schema import (
    ARROW_TYPES,
    FIXED_ROLES,
    ColumnSpec,
    TableMeta,
    arrow_schema,
)
from curation.sources import SourceOptions, detect, get_adapter
from curation.taxonomy import Taxonomy

log = logging.getLogger(__name__)

_Dedupe = DuplicateIndex  # the exact-duplicate index, now in curation.rules.duplicates


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
    as one set (:mod:`curation._output`): a crash leaves the previous set, and a
    second run into the same ``out_dir`` while one is writing raises
    :class:`~curation.errors.OutputBusyError`.

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
        the same outputs and report (:mod:`curation.engines.dask_curate`; past 1 GiB of
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
    for rule, pol in (policies or {}).items():
        if rule not in RULES:
            raise UsageError(f"expected a rule in {sorted(RULES)}, found {rule!r}")
        if pol not in RULES[rule].policies:
            raise UsageError(f"rule {rule!r}: expected a policy in {RULES[rule].policies}, "
                             f"found {pol!r}")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"input not found: {', '.join(missing)}")
    taxonomy = Taxonomy.load(*taxonomy_files)
    options = SourceOptions(mapping=mapping, label_rules=label_rules,
                            default_label=default_label)
    paths, adapters = _usable_inputs(paths, format, options, unusable)
    if unusable:
        if on_bad_file == "fail" or not paths:
            raise _unusable_error(unusable, others=bool(paths))
        skipped = [*skipped, *({"path": str(e.path), "reason": _why(e), "unusable": True}
                               for e in unusable)]
        log.info("skipped %d unusable input files: %s", len(unusable),
                 "; ".join(f"{e.path}: {_why(e)}" for e in unusable))

    with OutputSet(out_dir, OUTPUTS, stage="curate") as output:
        if kind == "local":
            report = _run(paths, adapters, output.staging, options, taxonomy, policies,
                          progress, dedupe_scope)
        else:
            from curation.engines.dask_curate import PARTITION_BYTES, run_dask

            with dask_client(engine, scheduler) as client:
                report = run_dask(client, paths, adapters, output.staging, options, taxonomy,
                                  policies, progress, dedupe_scope,
                                  partition_bytes=partition_bytes or PARTITION_BYTES)
        report["skipped"] = skipped
        (output.staging / "report.json").write_text(
            json.dumps(report, indent=2, default=str) + "\n")
        output.commit()
    return report


OUTPUTS = ("curated.parquet", "quarantine.parquet", "report.json")
"""curate's output set; report.json, written last, marks a complete set."""


def _usable_inputs(paths: list[Path], format: str | None, options: SourceOptions,
                   unusable: list[InputError]) -> tuple[list[Path], list[Any]]:
    """Detect and open every file once; the ones that fail go to ``unusable``.

    Opening reads only the first chunk, so a directory of bad files is reported in
    one run instead of one file per run.
    """
    fixed = get_adapter(format) if format else None
    usable: list[Path] = []
    adapters = []
    for path in paths:
        try:
            adapter = fixed or detect(path)
            source = adapter.open(path, options)
            close = getattr(source.batches, "close", None)
            if close is not None:
                close()
        except InputError as exc:
            unusable.append(exc)
            continue
        except OSError as exc:
            unusable.append(InputError(
                _reason(exc), path=str(path),
                hint="check the file's permissions" if isinstance(exc, PermissionError)
                else None))
            continue
        usable.append(path)
        adapters.append(adapter)
    return usable, adapters


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _why(exc: InputError) -> str:
    return exc.message + (f"; {exc.hint}" if exc.hint else "")


def _unusable_error(errors: list[InputError], *, others: bool) -> InputError:
    """One error for every unusable input (the file's own error when it is the only input)."""
    if len(errors) == 1 and not others:
        return errors[0]
    problems = [Problem(path=str(e.path), message=e.message, line=e.line, column=e.column)
                for e in errors]
    if not others:
        return UnusableInputsError.of(
            problems, lead=f"none of the {len(errors)} input files can be curated",
            hint="fix or remove them, or give --format / --mapping")
    return UnusableInputsError.of(
        problems, lead=f"{len(errors)} input files cannot be curated",
        hint="fix or remove them, give --format / --mapping, or pass --on-bad-file skip "
             "to curate the others")


def _globbed(inputs: Iterable[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    out: list[str | os.PathLike[str]] = []
    for item in inputs:
        text = os.fspath(item)
        if os.path.lexists(text) or not any(c in text for c in "*?["):
            out.append(item)
            continue
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            raise UsageError(f"expected files matching {text!r}, found none",
                             hint="check the pattern (quote it so the shell leaves it alone)")
        out.extend(matches)
    return out


SKIP_NAMES = frozenset({"readme", "readme.md", "readme.txt", "license", "license.txt",
                        "licence", "notice", ".gitignore", ".dvcignore"})


def expand_inputs(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    unreadable: list[InputError] | None = None,
) -> tuple[list[Path], list[dict[str, str]]]:
    """Files from files and directories (recursive, sorted); skipped files with why.

    A file named on the command line is always taken. Inside a directory, hidden
    files and documentation (README, LICENSE) are skipped and listed in the report.
    A directory that cannot be listed (permission denied) is appended to
    ``unreadable`` when given; otherwise one error names every such directory.
    An input that does not exist but holds a glob pattern (``*``, ``?``, ``[``;
    ``**`` crosses folders) stands for the files and folders it matches, sorted; a
    pattern that matches nothing is a usage error, so a pipeline never curates
    less than it names without a word.
    """
    paths: list[Path] = []
    skipped: list[dict[str, str]] = []
    errors: list[InputError] = []
    for item in _globbed(inputs):
        p = Path(item)
        try:
            is_dir = p.is_dir()
        except OSError as exc:  # a parent folder that cannot be searched
            errors.append(InputError(_reason(exc), path=str(p),
                                     hint="check the permissions of its folders"))
            continue
        if not is_dir:
            paths.append(p)
            continue
        found: list[Path] = []

        def cannot_list(exc: OSError, top: Path = p) -> None:
            where = Path(exc.filename or top)
            if any(part.startswith(".") for part in where.relative_to(top).parts):
                skipped.append({"path": str(where), "reason": "hidden directory"})
                return
            errors.append(InputError(f"{_reason(exc)} (cannot list this directory)",
                                     path=str(where), hint="check its permissions"))

        for root, _dirs, files in os.walk(p, onerror=cannot_list):
            found.extend(f for f in (Path(root) / name for name in files) if f.is_file())
        for f in sorted(found):
            rel = f.relative_to(p).parts
            if any(part.startswith(".") for part in rel):
                skipped.append({"path": str(f), "reason": "hidden file"})
            elif f.name.lower() in SKIP_NAMES or f.suffix.lower() in (".md", ".txt.md"):
                skipped.append({"path": str(f), "reason": "documentation, not a capture"})
            else:
                paths.append(f)
    if unreadable is not None:
        unreadable.extend(errors)
    elif errors:
        raise _unusable_error(errors, others=False)
    return paths, skipped


def _plan(paths, adapters, options):  # type: ignore[no-untyped-def]
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


def _run(paths, adapters, work, options, taxonomy, policies, progress,  # type: ignore[no-untyped-def]
         dedupe_scope="global"):
    meta, schema = _plan(paths, adapters, options)
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
    table_rows = pq.read_metadata(work / "curated.parquet").num_rows
    total = {k: sum(f[k] for f in files)
             for k in ("rows_read", "rows_out", "rows_quarantined", "rows_duplicate")}
    rules: Counter[str] = Counter()
    for f in files:
        rules.update(f["rules"])
    total["rules"] = dict(sorted(rules.items()))
    classes: Counter[str] = Counter()
    for f in files:
        classes.update(f["classes"])
    total["classes"] = dict(classes.most_common())
    report = {
        "files": files,
        "total": total,
        "policies": {name: (policies or {}).get(name, r.policy) for name, r in RULES.items()},
        "taxonomy": taxonomy.origin,
        "roles": meta.roles,
        "dedupe_scope": dedupe_scope,
        "warnings": same_records(files, fingerprints),
    }
    for warning in report["warnings"]:
        log.warning("%s", warning)
    if table_rows != total["rows_out"]:
        raise AssertionError("curated rows differ from the accounting")
    return report


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
    (:func:`curation.rules.duplicates.conflicts`)."""
    groups, rows, _ = conflicts(fhash, flabel)
    return groups, rows


def _track_constant(table: pa.Table, constant: set[str], seen: dict[str, Any]) -> None:
    """Drop from ``constant`` every column that shows a second distinct value
    (:func:`curation.rules.shape.track_constant`)."""
    track_constant(table, constant, seen)
