"""Leakage-safe train/test split: after dedupe, before augmentation.

Rows with identical features (``TableMeta.feature_columns``) always land on the
same side, whatever the mode, so no test row is a copy of a training row:

``stratified``
    Each group of identical feature rows is one unit, and every class's test share
    aims at ``test_size``. Units whose rows carry several classes are placed first,
    largest first: one goes to test when that brings the classes' test shares
    (relative to each class's size, so a rare class weighs as much as a common one)
    closer to ``test_size`` and leaves every class a training row. Then each class's
    own units are drawn into test until about ``test_size`` of the class is there. A
    class with fewer than ``min_class_rows`` rows stays whole in train (with every
    unit it shares) and is reported as ``too_small``; one whose rows are all in one
    unit cannot be split and is reported as ``inseparable``.
``time``
    A global cutoff: every training row is strictly earlier than every test row.
    Test rows identical to an (earlier) training row are dropped and counted,
    because moving them to train would break the time order.
``group``
    Whole groups of ``by`` (device, host, source file) go to one side; groups
    joined by an identical feature row are merged first. Groups are drawn into
    test while every class keeps training rows.
``predefined``
    The dataset's own test side: the rows of the source files matching
    ``test_files`` (glob patterns), or the rows whose ``test_column`` holds one of
    ``test_value``. Every test row is kept unaltered, even where test rows repeat
    each other; training rows identical to a test row are removed from train and
    counted (``train_rows_removed_as_test_duplicates``).

Classes are those of the ``target`` (:mod:`iotforge.curation.targets`): the canonical
``label``, the ``attack_family`` or ``is_attack``. Stratification, the per-class
report and the group mode's "every class keeps training rows" use it.

>>> import numpy as np, pandas as pd
>>> from iotforge.curation.schema import TableMeta
>>> df = pd.DataFrame({"x": np.arange(20) % 8 * 1.0, "label": ["a", "b"] * 10})
>>> meta = TableMeta(stage="curate", roles={"x": "numeric", "label": "label"})
>>> r = split(df, meta, mode="stratified", test_size=0.25)
>>> set(r.train["x"]) & set(r.test["x"])
set()
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from ..errors import TooLittleDataError, UsageError
from ..schema import SOURCE_FILE, TableMeta
from ..targets import Target, target_values
from .audit import feature_keys
from .predefined import select_test_rows

__all__ = ["MODES", "SplitMode", "SplitResult", "SplitSide", "split"]

SplitMode = Literal["stratified", "time", "group", "predefined"]
"""How rows are assigned to train and test."""

SplitSide = Literal["train", "test"]
"""The value of ``TableMeta.split`` in a split's output files."""

log = logging.getLogger(__name__)

MODES: tuple[str, ...] = get_args(SplitMode)
_META_KEYS = ("mode", "by", "test_size", "random_state", "target", "test_files", "test_where")


@dataclass
class SplitResult:
    """The two sides and what happened; ``report`` is ``split.json``."""

    train: pd.DataFrame
    test: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)

    def meta_for(self, side: SplitSide, meta: TableMeta) -> TableMeta:
        """``meta`` for one side's Parquet: stage ``split``, ``split`` = side, the seed.

        ``extra["target"]`` names the target, for augmentation and evaluation.
        """
        extra = {**meta.extra, "target": self.report["target"],
                 "split": {k: self.report.get(k) for k in _META_KEYS}}
        return replace(meta, stage="split", split=side, seed=self.report["random_state"],
                       extra=extra)


def split(
    df: pd.DataFrame,
    meta: TableMeta,
    *,
    mode: SplitMode = "stratified",
    by: str | None = None,
    test_size: float = 0.2,
    random_state: int = 0,
    min_class_rows: int = 2,
    target: Target = "label",
    test_files: str | Sequence[str] | None = None,
    test_column: str | None = None,
    test_value: str | Sequence[str] | None = None,
) -> SplitResult:
    """Split a canonical table into train and test without shared feature rows.

    Parameters
    ----------
    df
        Deduplicated canonical table with the ``target``'s column.
    meta
        Its metadata; ``feature_columns()`` defines identical rows.
    mode
        ``stratified``, ``time``, ``group`` or ``predefined`` (see the module
        docstring).
    by
        ``group``: the grouping column (required). ``time``: the time column
        (default: the first ``time``-role column holding timestamps).
    test_size
        Fraction of rows aimed at test (per class in ``stratified``); not used
        by ``predefined``.
    random_state
        Seed of every random choice.
    min_class_rows
        ``stratified``: classes with fewer rows stay in train.
    target
        The classes to stratify on and report: ``label``, ``attack_family`` or
        ``is_attack``. A missing or constant target is a :class:`UsageError`.
    test_files
        ``predefined``: glob pattern(s) over ``source_file``. A pattern matches a
        file when it matches the path as stored or its base name
        (:func:`fnmatch.fnmatchcase`: case-sensitive, ``*`` also crosses ``/``).
        Each pattern must match a file, and not every file may be matched.
    test_column, test_value
        ``predefined``, instead of ``test_files``: rows whose ``test_column``, as
        text, equals ``test_value`` (or one of several) are the test side.

    Returns
    -------
    SplitResult

    Examples
    --------
    >>> from iotforge.curation.schema import TableMeta
    >>> t = pd.date_range("2024-01-01", periods=10, freq="h", tz="UTC")
    >>> df = pd.DataFrame({"t": t, "x": np.arange(10.0), "label": ["a", "b"] * 5})
    >>> meta = TableMeta(stage="curate", roles={"t": "time", "x": "numeric", "label": "label"})
    >>> r = split(df, meta, mode="time", test_size=0.3)
    >>> bool(r.train["t"].max() < r.test["t"].min()), len(r.test)
    (True, 3)
    """
    if mode not in MODES:
        raise UsageError(f"expected a mode in {MODES}, found {mode!r}")
    if not 0 < test_size < 1:
        raise UsageError(f"expected 0 < test_size < 1, found {test_size}")
    predefined = test_files is not None or test_column is not None
    if predefined and mode != "predefined":
        raise UsageError(f"expected mode 'predefined' with test files or a test column, "
                         f"found mode {mode!r}", hint="use --mode predefined")
    df = df.reset_index(drop=True)
    y = target_values(df, target)
    features = meta.feature_columns(df.columns)
    if not features:
        raise UsageError("expected numeric or categorical columns to compare rows on, "
                         "found none", hint="check the column roles in the metadata")
    keys = feature_keys(df, features)
    rng = np.random.default_rng(random_state)
    report: dict[str, Any] = {"mode": mode, "by": by, "target": target,
                              "test_size": None if mode == "predefined" else test_size,
                              "random_state": random_state, "features": features,
                              "too_small": [], "inseparable": [], "dropped": {}}
    if mode == "stratified":
        side = _stratified(y, keys, test_size, rng, min_class_rows, report)
    elif mode == "time":
        side = _time(df, meta, keys, by, test_size, report)
    elif mode == "group":
        side = _group(df, y, keys, by, test_size, rng, report)
    else:
        is_test, chosen = select_test_rows(df, test_files=test_files,
                                           test_column=test_column, test_value=test_value)
        report.update(chosen)
        side = _predefined(y, keys, is_test, report)
    train, test = df[side == 0].reset_index(drop=True), df[side == 1].reset_index(drop=True)
    if train.empty or test.empty:
        hint = ("every training row repeats a test row: check the test side"
                if mode == "predefined" else "lower --test-size or change --mode; identical "
                "feature rows cannot be separated")
        raise TooLittleDataError(f"expected rows on both sides, found {len(train)} train and "
                                 f"{len(test)} test rows", hint=hint)
    overlap = int(keys[side == 1].isin(set(keys[side == 0])).sum())
    if overlap:  # an invariant of every mode: a bug, not a data problem
        raise AssertionError(f"{overlap} test rows share features with train rows")
    _class_report(y, side, report)
    if SOURCE_FILE in df.columns:
        files = df[SOURCE_FILE]
        report["source_files"] = {name: sorted(map(str, files[side == k].dropna().unique()))
                                  for name, k in (("train", 0), ("test", 1))}
    return SplitResult(train=train, test=test, report=report)


def _class_report(y: np.ndarray, side: np.ndarray, report: dict[str, Any]) -> None:
    classes: dict[str, dict[str, int]] = {}
    for cls in sorted(pd.unique(y)):
        mask = y == cls
        classes[cls] = {"train": int((mask & (side == 0)).sum()),
                        "test": int((mask & (side == 1)).sum()),
                        "dropped": int((mask & (side < 0)).sum())}
    report["classes"] = classes
    report["rows"] = {"train": int((side == 0).sum()), "test": int((side == 1).sum()),
                      "dropped": int((side < 0).sum())}
    report["no_train_rows"] = [c for c, n in classes.items() if n["train"] == 0]
    report["no_test_rows"] = [c for c, n in classes.items()
                              if n["test"] == 0 and c not in report["too_small"]]
    report["feature_overlap_rows"] = 0


def _predefined(y: np.ndarray, keys: pd.Series, is_test: np.ndarray,
                report: dict[str, Any]) -> np.ndarray:
    """Test rows as given; training rows identical to a test row are dropped (-1)."""
    side = is_test.astype(np.int8)
    copies = ~is_test & keys.isin(set(keys[is_test])).to_numpy()
    side[copies] = -1
    per_class = pd.Series(y[copies]).value_counts()
    report["train_rows_removed_as_test_duplicates"] = {
        "rows": int(copies.sum()), "classes": {str(c): int(n) for c, n in per_class.items()}}
    report["dropped"] = {"train_identical_to_test_row": int(copies.sum())}
    if copies.any():
        log.info("%d training rows identical to a test row removed from train",
                 int(copies.sum()))
    return side


def _stratified(labels: np.ndarray, keys: pd.Series, test_size: float,
                rng: np.random.Generator, min_class_rows: int,
                report: dict[str, Any]) -> np.ndarray:
    """Units (groups of identical feature rows) to test so that each class's test share is
    near ``test_size``: units holding several classes first, greedily, then each class's
    own units (:func:`_draw`)."""
    unit = pd.factorize(keys)[0]
    codes, classes = pd.factorize(pd.Series(labels), sort=True)
    per_unit = np.zeros((unit.max() + 1, len(classes)), dtype=np.int64)
    np.add.at(per_unit, (unit, codes), 1)
    n = per_unit.sum(axis=0)
    small = n < min_class_rows
    report["too_small"].extend(classes[small].tolist())
    spread = (per_unit > 0).sum(axis=0)
    report["inseparable"].extend(c for c, k, tiny in zip(classes, spread, small, strict=True)
                                 if k < 2 and not tiny)
    target = np.where(small, 0.0, test_size * n)
    frozen = (per_unit[:, small] > 0).any(axis=1)  # holds a too-small class: stays in train
    taken = np.zeros(len(classes))
    in_test = np.zeros(len(per_unit), dtype=bool)
    mixed = np.flatnonzero(((per_unit > 0).sum(axis=1) > 1) & ~frozen)
    mixed = mixed[rng.permutation(len(mixed))]
    mixed = mixed[np.argsort(-per_unit[mixed].sum(axis=1), kind="stable")]  # large first
    weight = 1.0 / np.maximum(n, 1) ** 2  # relative shares: rare classes count as much
    for u in mixed:
        rows = per_unit[u]
        keeps = bool(np.all(n[rows > 0] - taken[rows > 0] - rows[rows > 0] >= 1))
        gain = (((taken + rows - target) ** 2 - (taken - target) ** 2) * weight).sum()
        if keeps and gain < 0:
            in_test[u] = True
            taken += rows
    pure = np.flatnonzero(((per_unit > 0).sum(axis=1) == 1) & ~frozen)
    owner = per_unit[pure].argmax(axis=1)
    size = pd.Series(per_unit.sum(axis=1))
    for k in range(len(classes)):
        units = pure[owner == k]
        left = target[k] - taken[k]
        if small[k] or not len(units) or left <= 0:
            continue
        limit = int(n[k] - taken[k]) - 1  # one training row at least
        chosen = _draw(rng.permutation(units), size, left, limit=limit)
        in_test[chosen] = True
    return in_test[unit].astype(np.int8)


def _draw(order: np.ndarray, size: pd.Series, target: float, *, limit: int) -> list[int]:
    """Units in ``order`` until ``target`` rows, never more than ``limit`` rows.

    A unit that would overshoot the target by more than a tenth is skipped, so
    one huge group of duplicates does not become the whole test side.
    """
    chosen: list[int] = []
    taken = 0
    slack = max(1.0, 0.1 * target)
    for u in order:
        n = int(size.loc[u])
        if taken >= target:
            break
        if taken + n <= min(target + slack, limit):
            chosen.append(int(u))
            taken += n
    if not chosen:
        smallest = min(order, key=lambda u: int(size.loc[u]))
        if int(size.loc[smallest]) <= limit:
            chosen.append(int(smallest))
    return chosen


def _time(df: pd.DataFrame, meta: TableMeta, keys: pd.Series, by: str | None,
          test_size: float, report: dict[str, Any]) -> np.ndarray:
    column = by or next((c for c in meta.columns_with_role("time", df.columns)
                         if pd.api.types.is_datetime64_any_dtype(df[c].dtype)), None)
    if column is None:
        raise UsageError("expected a time column holding timestamps, found none",
                         hint="name one with --by COLUMN")
    if column not in df.columns:
        raise UsageError(f"expected --by to name a column, found no column {column!r}")
    t = df[column]
    if not (pd.api.types.is_datetime64_any_dtype(t.dtype)
            or pd.api.types.is_numeric_dtype(t.dtype)):
        raise UsageError(f"expected timestamps or numbers in {column!r}, found {t.dtype}",
                         column=column)
    known = t.notna().to_numpy()
    cutoff = t[known].quantile(1 - test_size, interpolation="higher")
    side = np.where(known, np.where((t >= cutoff).to_numpy(), 1, 0), -1).astype(np.int8)
    seen = set(keys[side == 0])
    overlap = (side == 1) & keys.isin(seen).to_numpy()
    side[overlap] = -1
    if (side == 1).sum() == 0 and overlap.any():
        raise TooLittleDataError(
            f"expected test rows after the cutoff {cutoff}, found all {int(overlap.sum())} of "
            "them identical to earlier training rows", column=column,
            hint="this capture has too few distinct feature rows for a time split; "
                 "use --mode stratified")
    report.update(by=column, cutoff=str(cutoff))
    report["dropped"] = {"no_time": int((~known).sum()), "identical_to_earlier_train_row":
                         int(overlap.sum())}
    return side


def _group(df: pd.DataFrame, y: np.ndarray, keys: pd.Series, by: str | None,
           test_size: float, rng: np.random.Generator, report: dict[str, Any]) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if by is None:
        raise UsageError("expected --by COLUMN for mode 'group', found none",
                         hint="e.g. --by source_file or --by a host column")
    if by not in df.columns:
        raise UsageError(f"expected --by to name a column, found no column {by!r}")
    group = pd.factorize(df[by].astype(object).where(df[by].notna(), "<missing>"))[0]
    key = pd.factorize(keys)[0]
    n_group, n_key = group.max() + 1, key.max() + 1
    # Bipartite graph groups -- feature keys: a component is a set of groups that
    # must stay together because they share an identical feature row.
    graph = coo_matrix((np.ones(len(df)), (group, n_group + key)),
                       shape=(n_group + n_key, n_group + n_key))
    _, comp_of = connected_components(graph, directed=False)
    comp = comp_of[group]
    n_comp = len(np.unique(comp))
    if n_comp < 2:
        raise TooLittleDataError(f"expected at least 2 groups of {by!r} not joined by identical "
                                 f"feature rows, found {n_comp}", column=by)
    per_comp = pd.crosstab(comp, y)
    order = rng.permutation(per_comp.index.to_numpy())
    test_comps = _draw_groups(per_comp, order, test_size * len(df), keep_classes=True)
    report["every_class_in_train"] = bool(test_comps)
    if not test_comps:  # no group can leave without taking a class's last training rows
        test_comps = _draw_groups(per_comp, order, test_size * len(df), keep_classes=False)
    report["groups"] = {"values": int(n_group), "merged_components": int(n_comp),
                        "test_components": len(test_comps)}
    return np.isin(comp, test_comps).astype(np.int8)


def _draw_groups(per_comp: pd.DataFrame, order: np.ndarray, target: float, *,
                 keep_classes: bool) -> list[int]:
    """Components in ``order`` until ``target`` rows; optionally never a class's last."""
    train_left = per_comp.sum(axis=0)
    slack = max(1.0, 0.1 * target)
    taken = 0
    chosen: list[int] = []
    for c in order:
        if taken >= target:
            break
        rows = per_comp.loc[c]
        n = int(rows.sum())
        keeps = bool(((train_left - rows)[rows > 0] > 0).all()) or not keep_classes
        if taken + n <= target + slack and keeps and n < int(train_left.sum()):
            chosen.append(int(c))
            taken += n
            train_left = train_left - rows
    if not chosen:  # every component overshoots: the smallest one allowed
        for c in per_comp.sum(axis=1).sort_values(kind="stable").index:
            rows = per_comp.loc[c]
            keeps = bool(((train_left - rows)[rows > 0] > 0).all()) or not keep_classes
            if keeps and int(rows.sum()) < int(train_left.sum()):
                chosen.append(int(c))
                break
    return chosen
