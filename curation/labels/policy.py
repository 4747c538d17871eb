"""What the label audit does with the rows it flags: ``keep``, ``quarantine`` or ``relabel``.

``keep`` (the default) changes nothing: the review table is the output. ``quarantine``
moves the flagged rows to the quarantine table (:data:`~iotforge.curation.clean.
QUARANTINE_SCHEMA`, rule ``label_issue``, the reason in words, the row as JSON), so
``rows_read = rows_out + rows_quarantined + rows_duplicate`` still holds: each file's
``rows_out`` falls by what it lost and its ``rows_quarantined`` rises by as much.
``relabel`` sets ``label`` to the suggested class (``is_attack`` and ``attack_family``
follow, taken from the table's other rows of that class); ``label_raw`` keeps the label
as the capture gave it, and the count of relabelled rows per file is reported.

>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"source_file": ["f"] * 3, "source_row": [1, 2, 3],
...                    "label": ["a", "a", "b"], "label_raw": ["A", "A", "B"]})
>>> r = apply_policy(df, np.array([False, True, False]), np.array(["b", "b", "a"]),
...                  "quarantine", reasons=["", "why", ""])
>>> len(r.frame), r.quarantine.num_rows, r.counts
(2, 1, {'f': {'rows_quarantined': 1, 'rows_relabelled': 0}})
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from ..clean import QUARANTINE_SCHEMA
from ..errors import UsageError
from ..schema import ATTACK_FAMILY, IS_ATTACK, LABEL, SOURCE, SOURCE_FILE, SOURCE_ROW

LabelPolicy = Literal["keep", "quarantine", "relabel"]
"""What happens to flagged rows."""

RULE = "label_issue"
"""The rule name of the audit's quarantined rows."""

__all__ = ["RULE", "LabelPolicy", "PolicyResult", "account", "apply_policy"]


@dataclass
class PolicyResult:
    """The table after the policy, the quarantined rows and the counts per source file."""

    frame: pd.DataFrame
    quarantine: pa.Table
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def _file_of(df: pd.DataFrame) -> np.ndarray:
    if SOURCE_FILE in df.columns:
        return df[SOURCE_FILE].astype(object).where(df[SOURCE_FILE].notna(), "").astype(
            str).to_numpy()
    return np.full(len(df), "", dtype=object)


def apply_policy(df: pd.DataFrame, flagged: np.ndarray, suggested: np.ndarray,
                 policy: LabelPolicy, *, reasons: Sequence[str] | None = None,
                 target: str = LABEL) -> PolicyResult:
    """Apply ``policy`` to the rows of ``df`` marked in ``flagged``.

    ``suggested`` is each row's likely class; ``reasons`` the words for the quarantine
    table. ``relabel`` needs ``target`` ``label``: the other targets are derived from it.
    """
    if policy not in ("keep", "quarantine", "relabel"):
        raise UsageError(f"expected a policy in ('keep', 'quarantine', 'relabel'), found "
                         f"{policy!r}")
    if policy == "relabel" and target != LABEL:
        raise UsageError(f"expected target 'label' for the relabel policy, found {target!r}",
                         hint="relabel sets the canonical label; audit with --target label")
    df = df.reset_index(drop=True)
    flagged = np.asarray(flagged, dtype=bool)
    files = _file_of(df)
    counts: dict[str, dict[str, int]] = {}
    for f in pd.unique(files):
        mine = files == f
        n = int((flagged & mine).sum())
        counts[str(f)] = {"rows_quarantined": n if policy == "quarantine" else 0,
                          "rows_relabelled": n if policy == "relabel" else 0}
    empty = QUARANTINE_SCHEMA.empty_table()
    if policy == "keep" or not flagged.any():
        return PolicyResult(df, empty, counts)
    if policy == "quarantine":
        idx = np.flatnonzero(flagged)
        why = [reasons[int(i)] if reasons is not None else "likely wrong label" for i in idx]
        rows = df.iloc[idx]
        records = [json.dumps(r, default=str) for r in rows.to_dict(orient="records")]

        def text(col: str) -> pa.Array:
            if col not in rows.columns:
                return pa.nulls(len(idx), pa.string())
            return pa.array(rows[col].astype(object).where(rows[col].notna(), None).map(
                lambda v: None if v is None else str(v)).tolist(), pa.string())

        source_row = (pa.array(pd.to_numeric(rows[SOURCE_ROW]).astype("Int64"), pa.int64())
                      if SOURCE_ROW in rows.columns else pa.nulls(len(idx), pa.int64()))
        quarantine = pa.Table.from_arrays([
            text(SOURCE), text(SOURCE_FILE), source_row,
            pa.array([RULE] * len(idx), pa.string()), pa.array(why, pa.string()),
            pa.array([target] * len(idx), pa.string()), pa.array(records, pa.string())],
            schema=QUARANTINE_SCHEMA)
        return PolicyResult(df[~flagged].reset_index(drop=True), quarantine, counts)
    out = df.copy()
    new = np.asarray(suggested, dtype=object)[flagged]
    for col in (IS_ATTACK, ATTACK_FAMILY):  # what each class implies, from the table itself
        if col in out.columns:
            implied = out[~flagged].groupby(LABEL, observed=True)[col].agg(
                lambda s: s.value_counts(dropna=False).index[0] if len(s) else None)
            out.loc[flagged, col] = pd.Series(new).map(implied).to_numpy()
    out.loc[flagged, LABEL] = new
    return PolicyResult(out, empty, counts)


def account(counts: dict[str, dict[str, int]], curate_report: dict[str, Any] | None,
            rows_in: int) -> dict[str, Any]:
    """The curate report's accounting carried through the label policy.

    With ``curate_report`` (curate's ``report.json``), each file's ``rows_out`` falls
    and ``rows_quarantined`` rises by the rows the policy quarantined, its rule counts
    gain ``label_issue``; without it (a training split), ``rows_in`` rows are the
    ``rows_read`` of one table with no earlier quarantine or duplicates.

    >>> a = account({"f": {"rows_quarantined": 2, "rows_relabelled": 0}}, None, 10)
    >>> a["total"]["rows_read"], a["total"]["rows_out"], a["total"]["rows_quarantined"]
    (10, 8, 2)
    """
    keys = ("rows_read", "rows_out", "rows_quarantined", "rows_duplicate")
    if curate_report is None:
        q = sum(c["rows_quarantined"] for c in counts.values())
        files: list[dict[str, Any]] = [
            {"path": f, "rows_read": None, "rows_out": None,
             "rows_quarantined": c["rows_quarantined"], "rows_duplicate": None,
             "rows_relabelled": c["rows_relabelled"]} for f, c in counts.items()]
        total: dict[str, Any] = {"rows_read": rows_in, "rows_out": rows_in - q,
                                 "rows_quarantined": q, "rows_duplicate": 0}
    else:
        files = list(copy.deepcopy(curate_report.get("files", [])))
        known = {str(f.get("path")): f for f in files}
        missing = sorted(set(counts) - set(known))
        if missing:
            raise UsageError(f"expected the curate report to list every source file of the "
                             f"table, found no entry for {missing[0]!r}",
                             hint="give the report.json written with this curated table")
        for path, c in counts.items():
            f = known[path]
            f["rows_out"] -= c["rows_quarantined"]
            f["rows_quarantined"] += c["rows_quarantined"]
            f["rows_relabelled"] = c["rows_relabelled"]
            if c["rows_quarantined"]:
                for key in ("rules", "quarantine_rules"):
                    f.setdefault(key, {})[RULE] = c["rows_quarantined"]
        total = {k: sum(int(f[k]) for f in files) for k in keys}
        rules: Counter[str] = Counter(curate_report.get("total", {}).get("rules", {}))
        q = sum(c["rows_quarantined"] for c in counts.values())
        if q:
            rules[RULE] += q
        total["rules"] = dict(sorted(rules.items()))
    total["rows_relabelled"] = sum(c["rows_relabelled"] for c in counts.values())
    total["balanced"] = (total["rows_read"] == total["rows_out"] + total["rows_quarantined"]
                         + total["rows_duplicate"])
    return {"files": files, "total": total}
