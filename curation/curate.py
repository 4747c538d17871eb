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
from collections.abc import Iterable, Mapping
from typing import Any

from ._inputs import _usable_inputs, expand_inputs, settle_unusable
from ._output import OutputSet
from ._typing import DecimalMark, DedupeScope, OnBadFile, Policy
from .engines import EngineOption, dask_client, resolve_engine
from .engines.local import Progress, run_local
from .errors import InputError, UsageError
from .rules import RULES
from .sources import SourceOptions
from .taxonomy import Taxonomy

__all__ = ["OUTPUTS", "curate"]

log = logging.getLogger(__name__)


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
    delimiter: str | None = None,
    decimal: DecimalMark | None = None,
    clock: str | None = None,
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
    delimiter, decimal : str, optional
        Field delimiter and decimal separator (``"."`` or ``","``) of delimited text
        (default: sniffed and detected per file).
    clock : str, optional
        The column that holds a record's true time when it carries two clocks:
        ``timestamp`` is made from it (default: each adapter's own ``timestamp``).

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
    if decimal not in (None, ".", ","):
        raise UsageError(f"decimal: expected '.' or ',', found {decimal!r}")
    if delimiter is not None and len(delimiter) != 1:
        raise UsageError(f"delimiter: expected one character, found {delimiter!r}")
    options = SourceOptions(mapping=mapping, label_rules=label_rules,
                            default_label=default_label, delimiter=delimiter, decimal=decimal,
                            clock=clock)
    paths, adapters = _usable_inputs(paths, format, options, unusable)
    skipped = settle_unusable(unusable, paths, skipped, on_bad_file)
    with OutputSet(out_dir, OUTPUTS, stage="curate") as output:
        if kind == "local":
            report = run_local(paths, adapters, output.staging, options, taxonomy, policies,
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
