"""audit on Dask: the local leakage audit, with the whole-table checks as reductions.

:func:`iotforge.curation.leakage.audit.audit` probes every column on a class-stratified sample of at
most ``max_rows`` rows; here the same sample is drawn (the label column's positions per
class come from the partitions, the same seeded generator picks the same rows, the
partitions hand them over) and the same probe code runs on it. The checks over all
rows run on the cluster:

- time ranges: each partition keeps, per class and attack flag, its earliest and latest
  row; :func:`iotforge.curation.leakage._checks._time_ranges` on those rows finds what it finds on
  all;
- conflicting labels and train/test overlap: feature-row hashes
  (:func:`iotforge.curation.leakage.audit.feature_keys`) are shuffled into buckets by hash, and each
  bucket counts its conflicting groups or shared rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..leakage._checks import _plain, _time_ranges, feature_keys
from ..leakage._probes import _best_probe, probe_targets
from ..leakage._report import AuditReport, AuditRun, Finding
from ..schema import IS_ATTACK, LABEL
from .dask_tables import Partitioned, read_piece

__all__ = ["audit_dask"]


def audit_dask(table: Partitioned, client: Any, *, test: Partitioned | None = None,
               exclude: Iterable[str] = (), accept: Iterable[str] = (),
               random_state: int = 0, near_perfect: float = 0.9, strong: float = 0.7,
               max_rows: int = 20_000) -> AuditReport:
    """:func:`iotforge.curation.leakage.audit.audit` over ``table``'s partitions on ``client``."""
    run = AuditRun.start(table.columns, table.meta, table.rows, exclude=exclude,
                         accept=accept, random_state=random_state)
    sample = _sample(table, client, max_rows, random_state)
    run.report.sampled_rows = len(sample)
    targets = probe_targets(sample, random_state)
    shared = client.scatter(sample, broadcast=True)  # one probe task per column
    scores = client.gather([client.submit(_best_probe, shared, str(col), run.role(col),
                                          targets, random_state, pure=False)
                            for col in run.candidates])
    findings = run.column_findings(scores, near_perfect, strong)
    for col in run.time_columns:
        ends = client.gather(table.frames(client, _time_ends, col))
        finding = _time_ranges(pd.concat(ends, ignore_index=True), col)
        if finding is not None:
            findings.append(finding)
    findings += run.row_findings(
        lambda: _conflicts(table, run.features, client),
        None if test is None else lambda: _overlap(table, test, run.features, client))
    return run.finish(findings)


# --------------------------------------------------------------------------- the sample


def _labels(df: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    labels = df[LABEL].dropna()
    codes, uniques = pd.factorize(labels)
    return list(uniques), codes


def _labelled_rows(df: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return df[df[LABEL].notna()].iloc[positions]


def _sample(table: Partitioned, client: Any, max_rows: int, random_state: int
            ) -> pd.DataFrame:
    """:func:`iotforge.curation.leakage._probes._sample` of the labelled rows, drawn from the
    partitions."""
    parts = client.gather(table.frames(client, _labels))
    sizes = np.array([len(codes) for _, codes in parts])
    starts = np.r_[0, np.cumsum(sizes)]
    if starts[-1] <= max_rows:
        picked = np.arange(starts[-1])
    else:
        names = sorted({u for uniques, _ in parts for u in uniques})
        rank = {name: i for i, name in enumerate(names)}
        codes = np.concatenate([np.array([rank[u] for u in uniques], dtype=np.int64)[c]
                                if len(c) else np.zeros(0, np.int64) for uniques, c in parts])
        frac = max_rows / len(codes)
        rng = np.random.default_rng(random_state)
        keep: list[np.ndarray] = []
        for c in range(len(names)):  # groupby(LABEL, sort=True): classes in sorted order
            idx = np.flatnonzero(codes == c)
            n = min(len(idx), max(int(np.ceil(frac * len(idx))), 20))
            keep.append(rng.choice(idx, size=n, replace=False))
        picked = np.sort(np.concatenate(keep))
    frames = _labelled_at(table, client, picked, starts)
    return pd.concat(frames, ignore_index=True) if frames else table.empty()


def _labelled_at(table: Partitioned, client: Any, picked: np.ndarray, starts: np.ndarray
                 ) -> list[pd.DataFrame]:
    """The labelled rows at positions ``picked`` (over all partitions, in order; a
    partition's labelled rows start at ``starts``), one frame per partition holding any."""
    futures = []
    for i, piece in enumerate(table.pieces):
        mine = picked[(picked >= starts[i]) & (picked < starts[i + 1])] - starts[i]
        if len(mine):
            futures.append(client.submit(read_piece, piece, table.schema, _labelled_rows,
                                         mine, pure=False))
    return list(client.gather(futures))


# --------------------------------------------------------------------------- reductions


def _time_ends(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Per class and attack flag, the rows with the earliest and latest ``col``."""
    keep = [c for c in (col, LABEL, IS_ATTACK) if c in df.columns]
    rows = df.loc[df[LABEL].notna() & df[col].notna(), keep]
    if rows.empty or not pd.api.types.is_datetime64_any_dtype(rows[col].dtype):
        return rows.iloc[:0]
    by = [LABEL] + ([IS_ATTACK] if IS_ATTACK in rows.columns else [])
    groups = rows.groupby(by, dropna=False, sort=False)[col]
    picked = np.unique(np.r_[groups.idxmin().to_numpy(), groups.idxmax().to_numpy()])
    return rows.loc[picked]


def _keyed(df: pd.DataFrame, features: list[str], offset: int, n: int, labelled: bool
           ) -> list[pd.DataFrame]:
    """A partition's feature-row keys (with labels and row numbers), split into buckets."""
    rows = df[df[LABEL].notna()] if labelled else df
    keys = feature_keys(rows, features).to_numpy()
    frame = pd.DataFrame({"key": keys, "row": np.arange(len(rows)) + offset})
    if labelled:
        frame["label"] = rows[LABEL].astype(str).to_numpy()
    bucket = keys % np.uint64(n)
    return [frame[bucket == b] for b in range(n)]


def _shuffle(table: Partitioned, features: list[str], client: Any, labelled: bool,
             n: int) -> list[list[Any]]:
    """Per bucket, the futures of every partition's share of it."""
    counts = client.gather(table.frames(
        client, lambda df: int(df[LABEL].notna().sum()) if labelled else len(df)))
    offsets = np.r_[0, np.cumsum(counts)]
    split = [client.submit(read_piece, p, table.schema, _keyed, features, int(off), n,
                           labelled, pure=False)
             for p, off in zip(table.pieces, offsets, strict=False)]
    return [[client.submit(lambda s, b=b: s[b], f, pure=False) for f in split]
            for b in range(n)]


def _bucket_conflicts(pieces: list[pd.DataFrame]) -> dict[str, Any]:
    frame = pd.concat(pieces, ignore_index=True).sort_values("row")
    per_key = frame.groupby("key")["label"].nunique()
    bad = per_key[per_key > 1].index.to_numpy()
    members = frame[frame["key"].isin(bad)]
    first = []
    for key in np.sort(bad)[:3]:
        rows = members[members["key"] == key]
        first.append((key, int(rows["row"].iloc[0]), rows["label"].tolist()))
    return {"groups": len(bad), "rows": len(members), "labelled": len(frame),
            "first": first}


def _conflicts(table: Partitioned, features: list[str], client: Any) -> Finding | None:
    """:func:`iotforge.curation.leakage._checks._label_conflicts` on all labelled rows, bucket by
    bucket."""
    n = max(1, min(len(table.pieces), sum(client.nthreads().values())))
    buckets = client.gather([client.submit(_bucket_conflicts, parts, pure=False)
                             for parts in _shuffle(table, features, client, True, n)])
    groups = sum(b["groups"] for b in buckets)
    if groups == 0:
        return None
    rows = sum(b["rows"] for b in buckets)
    labelled = sum(b["labelled"] for b in buckets)
    first = sorted((f for b in buckets for f in b["first"]), key=lambda f: f[0])[:3]
    picked = np.array(sorted(row for _, row, _ in first))
    found = _sample_rows(table, client, picked)
    examples = []
    for _, row, labels in first:
        member = found.iloc[int(np.searchsorted(picked, row))]
        examples.append({"features": {c: _plain(member[c]) for c in features},
                         "labels": pd.Series(labels).value_counts().to_dict()})
    return Finding(id="label-conflict", check="label_conflict", severity="warning",
                   message=f"{rows} rows ({rows / labelled:.2%}) in {groups} groups of "
                           "identical features carry different labels",
                   details={"rows": rows, "groups": groups, "examples": examples})


def _sample_rows(table: Partitioned, client: Any, picked: np.ndarray) -> pd.DataFrame:
    counts = client.gather(table.frames(client, lambda df: int(df[LABEL].notna().sum())))
    starts = np.r_[0, np.cumsum(counts)]
    return pd.concat(_labelled_at(table, client, picked, starts), ignore_index=True)


def _bucket_overlap(train: list[pd.DataFrame], test: list[pd.DataFrame]) -> int:
    known = np.unique(np.concatenate([p["key"].to_numpy() for p in train]))
    keys = np.concatenate([p["key"].to_numpy() for p in test])
    return int(np.isin(keys, known).sum())


def _overlap(train: Partitioned, test: Partitioned, features: list[str], client: Any
             ) -> Finding | None:
    """:func:`iotforge.curation.leakage._checks._overlap`: test rows whose features a training row
    has."""
    missing = [c for c in features if c not in test.columns]
    if missing:
        raise UsageError(f"expected the test split to have the feature columns, found "
                         f"{missing} missing")
    n = max(1, sum(client.nthreads().values()))
    a = _shuffle(train, features, client, False, n)
    b = _shuffle(test, features, client, False, n)
    shared = sum(client.gather([client.submit(_bucket_overlap, a[k], b[k], pure=False)
                                for k in range(n)]))
    if shared == 0:
        return None
    return Finding(id="train-test-overlap", check="train_test_overlap", severity="error",
                   message=f"{shared} test rows ({shared / test.rows:.2%}) have identical "
                           "features to a training row: the model is tested on rows it "
                           "memorised",
                   details={"rows": shared, "test_rows": int(test.rows)})
