"""Leakage audit: what would let a model predict the label without learning the attack.

Four checks, each a list of :class:`Finding` with a stable ``id`` a user can
accept (``accept=``) once reviewed:

``single-column:COL``
    Every non-provenance, non-label column alone, as a probe: a depth-4 decision
    tree on its value (its sort order for strings), a lookup table of its exact
    values (strings), and for strings the *encoding* of the value (its length,
    its surrounding whitespace). Scored by balanced accuracy on held-out rows
    against both ``label`` and ``is_attack``, as ``lift`` = 0 at the majority
    baseline and 1 when perfect. Identifiers, addresses and timestamps (roles
    ``id``, ``endpoint``, ``time``) are errors at ``lift >= near_perfect`` and
    warnings at ``lift >= strong``; a feature column is a warning at
    ``near_perfect`` (it may be real signal; a person decides) unless the
    winning probe is an encoding artifact, which is an error.
``time-disjoint:COL``
    Classes whose time ranges overlap no other class's; an error when normal and
    attack rows were recorded at disjoint times.
``label-conflict``
    Identical feature rows with different labels (a warning: label noise or too
    few features, not a leak).
``train-test-overlap``
    Feature rows present in both train and ``test`` (an error).

The probes live in :mod:`iotforge.curation.leakage._probes`, the whole-table checks in
:mod:`iotforge.curation.leakage._checks`, the report and the steps this audit shares with the
Dask engine's in :mod:`iotforge.curation.leakage._report`; this module is the public
home of their public names.

>>> import numpy as np, pandas as pd
>>> from iotforge.curation.schema import TableMeta
>>> rng = np.random.default_rng(0)
>>> y = np.repeat(["normal", "ddos"], 200)
>>> df = pd.DataFrame({"host": np.where(y == "ddos", "10.0.0.9", "10.0.0.1"),
...                    "bytes": rng.normal(size=400), "label": y})
>>> meta = TableMeta(stage="curate",
...                  roles={"host": "endpoint", "bytes": "numeric", "label": "label"})
>>> [(f.id, f.severity) for f in audit(df, meta).findings]
[('single-column:host', 'error')]
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from ..schema import LABEL, TableMeta
from ._checks import _label_conflicts, _overlap, _time_ranges, feature_keys
from ._probes import _best_probe, _sample, probe_targets
from ._report import (
    AuditReport,
    AuditRun,
    ColumnScore,
    Finding,
    Probe,
    Severity,
    single_column_finding,
)

__all__ = ["AuditReport", "ColumnScore", "Finding", "Probe", "Severity", "audit",
           "feature_keys"]

log = logging.getLogger(__name__)

_single_column_finding = single_column_finding  # its name before the module was split


def audit(
    df: pd.DataFrame,
    meta: TableMeta,
    *,
    test: pd.DataFrame | None = None,
    exclude: Iterable[str] = (),
    accept: Iterable[str] = (),
    random_state: int = 0,
    near_perfect: float = 0.9,
    strong: float = 0.7,
    max_rows: int = 20_000,
) -> AuditReport:
    """Audit ``df`` (and a ``test`` split, when given) for label leaks.

    Parameters
    ----------
    df
        Canonical table (the training split when ``test`` is given).
    meta
        Its metadata; roles pick the columns and the feature set.
    test
        The test split; enables the ``train-test-overlap`` check.
    exclude
        Columns left out of every check (they will not be used for training).
    accept
        Finding ids a person reviewed and accepted; reported, never failing.
    random_state
        Seed of the subsample and of the held-out split of each probe.
    near_perfect, strong
        ``lift`` thresholds (see the module docstring).
    max_rows
        Probes run on a class-stratified sample of at most about this many rows.

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> from iotforge.curation.schema import TableMeta
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 1.0, 2.0], "label": ["a", "a", "b", "b"]})
    >>> meta = TableMeta(stage="curate", roles={"x": "numeric", "label": "label"})
    >>> audit(df, meta, accept=["label-conflict"]).findings[0].accepted
    True
    """
    run = AuditRun.start(df.columns, meta, len(df), exclude=exclude, accept=accept,
                         random_state=random_state)
    labelled = df[df[LABEL].notna()]
    sample = _sample(labelled, max_rows, random_state)
    run.report.sampled_rows = len(sample)
    targets = probe_targets(sample, random_state)
    findings = run.column_findings(
        (_best_probe(sample, str(col), run.role(col), targets, random_state)
         for col in run.candidates), near_perfect, strong)
    for col in run.time_columns:
        finding = _time_ranges(labelled, col)
        if finding is not None:
            findings.append(finding)
    findings += run.row_findings(
        lambda: _label_conflicts(labelled, run.features),
        None if test is None else lambda: _overlap(df, test, run.features))
    return run.finish(findings)
