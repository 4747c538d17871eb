"""Augment a canonical training table: the pure function behind ``iotforge augment``.

Rows of different sources (capture formats, devices) live in different feature
spaces, so each source's rows are augmented on their own, with the same method
and strategy. Features are the table's ``numeric`` and ``categorical`` columns that
the source fills. Missing values are imputed for fitting only (per-class median or
mode): real rows are returned unchanged. Synthetic rows get ``is_synthetic``,
``augmenter``, their source's ``source``, the class's ``is_attack`` and
``attack_family``, and no ``source_file``/``source_row``/``label_raw``.

When data-contract suites are given, synthetic rows that break them are replaced
(bounded rounds) so per-class counts stay exact; generative augmenters check the
contract while generating, the SMOTE family afterwards.

Classes are those of the ``target`` (:mod:`iotforge.curation.targets`: ``label``,
``attack_family`` or ``is_attack``). For a target coarser than ``label``, a synthetic
row takes the ``label`` of the nearest real row of its target class (standardised
features), so ``label``, ``attack_family`` and ``is_attack`` stay consistent.

Method ``auto`` is :class:`~iotforge.augment.AutoAugmenter` on each source, grouped by
``groups`` (one value per row of the table) when given, and given the ``label`` as
``subtypes`` when the target is coarser (its label-holdout folds); its report is
``selection``.

Nothing the augmenter falls back to is silent: the report of each source lists, per
class, the classes made by another method than the one asked for (``fallbacks``),
rows topped up with plain SMOTE (``topped_up``), what a hybrid's cleaning step removed
(``cleaning_removed``, real and synthetic rows; real rows are kept in the output all
the same), and copies jittered or kept (``n_jittered``, ``n_duplicates_kept``), the
replacement rounds for the contract included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.contracts.contract import row_contract
from iotforge.curation.contracts.validate import applies_to
from iotforge.curation.errors import UsageError
from iotforge.curation.schema import (
    ATTACK_FAMILY,
    AUGMENTER,
    IS_ATTACK,
    IS_SYNTHETIC,
    LABEL,
    LABEL_RAW,
    SOURCE,
    SOURCE_FILE,
    SOURCE_ROW,
    TableMeta,
)
from iotforge.curation.targets import target_values

from ._factory import is_class_local
from ._registry import AUTO
from ._units import Mapper, SourceData, Unit, _merge_reports, _units, local_map, run_unit

__all__ = ["AugmentResult", "augment_table", "split_groups"]

log = logging.getLogger(__name__)


@dataclass
class AugmentResult:
    """Real rows followed by synthetic rows, and what happened per source."""

    frame: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic(self) -> pd.DataFrame:
        return self.frame[self.frame[IS_SYNTHETIC].astype(bool)]


def augment_table(
    df: pd.DataFrame,
    meta: TableMeta,
    *,
    method: str,
    strategy: Any = "auto",
    random_state: int = 0,
    params: Mapping[str, Any] | None = None,
    suites: Sequence[Mapping[str, Any]] = (),
    target: str = LABEL,
    groups: Any = None,
    mapper: Mapper | None = None,
) -> AugmentResult:
    """Augment each source of a train split; see the module docstring.

    ``mapper`` runs the units (default :func:`local_map`); the Dask engine's
    (:func:`iotforge.curation.engines.dask_augment.dask_map`) gives the same rows in the same
    order.
    """
    if meta.split != "train":
        raise UsageError(f"expected a train split (split='train' in the Parquet metadata), "
                         f"found split={meta.split!r}",
                         hint="augment only the training side of 'iotforge split'")
    report: dict[str, Any] = {"method": method, "strategy": str(strategy), "target": target,
                              "random_state": random_state, "sources": {}}
    classes = pd.Series(target_values(df, target), index=df.index,  # type: ignore[arg-type]
                        name=target)
    groups = None if groups is None else pd.Series(np.asarray(groups), index=df.index)
    info = (df.drop_duplicates(LABEL).set_index(LABEL)[[IS_ATTACK, ATTACK_FAMILY]]
            .to_dict("index"))
    work = _plan(df, meta, classes, groups, report["sources"], method=method,
                 strategy=strategy, random_state=random_state, params=params, suites=suites)
    done = (mapper or local_map)(run_unit, work)
    pieces = [df.assign(**{IS_SYNTHETIC: False})]
    for (data, _), results in zip(work, done, strict=True):
        pieces.append(_synthetic_rows(df, data, results, report["sources"][data.source],
                                      method=method, target=target, info=info))
    # all-null columns of synthetic rows must not decide the concatenated dtypes
    pieces = [pieces[0]] + [p.dropna(axis=1, how="all") for p in pieces[1:]]
    frame = pd.concat(pieces, ignore_index=True)
    frame[IS_SYNTHETIC] = frame[IS_SYNTHETIC].astype(bool)
    return AugmentResult(frame=frame, report=report)


def _plan(df: pd.DataFrame, meta: TableMeta, classes: pd.Series, groups: pd.Series | None,
          entries: dict[str, Any], *, method: str, strategy: Any, random_state: int,
          params: Mapping[str, Any] | None, suites: Sequence[Mapping[str, Any]]
          ) -> list[tuple[SourceData, list[Unit]]]:
    """Per source, its model frame, classes and contract, and its units of work; each
    source's report entry (features, rows per class before) goes in ``entries``."""
    features_all = meta.feature_columns(df.columns)
    class_local = is_class_local(method, params)
    work: list[tuple[SourceData, list[Unit]]] = []
    for source, rows in df.groupby(SOURCE, sort=True):
        features = [c for c in features_all if rows[c].notna().any()]
        y = classes.loc[rows.index].to_numpy(dtype=object)
        counts = pd.Series(y).value_counts()
        entry: dict[str, Any] = {"features": len(features), "before": counts.to_dict()}
        entries[source] = entry
        if len(counts) < 2 or not features:
            entry["skipped"] = "fewer than two classes or no features"
            continue
        suite_list = [s for s in suites if applies_to(s, str(source))]
        data = SourceData(source, _impute(_model_frame(rows, features), y), y,
                          row_contract(suite_list[0]) if suite_list else None)
        unit_params = dict(params or {})
        if method == AUTO and groups is not None:
            unit_params["groups"] = groups.loc[rows.index].to_numpy()
        if method == AUTO and classes.name != LABEL and LABEL in rows.columns:
            # a coarse target: auto may hold out whole labels of a class in its folds
            unit_params.setdefault("subtypes", rows[LABEL].astype(str).to_numpy(dtype=object))
        work.append((data, _units(method, strategy, random_state, unit_params, data,
                                  counts, class_local)))
    return work


def _synthetic_rows(df: pd.DataFrame, data: SourceData, results: list[dict[str, Any]],
                    entry: dict[str, Any], *, method: str, target: str,
                    info: dict[Any, Any]) -> pd.DataFrame:
    """One source's synthetic rows as canonical rows; its report entry completed."""
    synth_X = pd.concat([r["X"] for r in results], ignore_index=True) if results else \
        data.X.iloc[:0]
    synth_y = (np.concatenate([r["y"] for r in results]) if results
               else np.empty(0, dtype=object))
    counts = pd.Series(entry["before"])
    entry["n_synthetic"] = pd.Series(synth_y).value_counts().to_dict()
    entry["after"] = (counts.add(pd.Series(entry["n_synthetic"], dtype=float),
                                 fill_value=0).astype(int).to_dict())
    entry.update(_merge_reports([r["report"] for r in results],
                                [len(r["y"]) for r in results]))
    rows = df.loc[df[SOURCE] == data.source]
    labels = synth_y if target == LABEL else _nearest_labels(
        data.X, rows[LABEL].to_numpy(dtype=object), data.y, synth_X, synth_y)
    made_by = results[0]["made_by"] if results else method
    return _canonical_synthetic(synth_X, labels, df, data.source, made_by, info)


def _impute(X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    X = X.copy()
    for col in X.columns:
        s = X[col]
        if not s.isna().any():
            continue
        if pd.api.types.is_bool_dtype(s.dtype) or s.dtype == object or isinstance(
                s.dtype, pd.StringDtype):
            fill = s.groupby(y).transform(lambda v: v.mode().iloc[0] if v.notna().any()
                                          else np.nan)
            overall = s.mode().iloc[0] if s.notna().any() else "missing"
            X[col] = s.fillna(fill).fillna(overall)
            if pd.api.types.is_bool_dtype(s.dtype) or isinstance(s.dtype, pd.BooleanDtype):
                X[col] = X[col].astype(bool)
        else:
            med = s.groupby(y).transform("median")
            overall = s.median() if s.notna().any() else 0.0
            X[col] = s.astype("float64").fillna(med).fillna(overall)
    return X


def _model_frame(rows: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    X = rows[features].copy()
    for col in features:
        s = X[col]
        if isinstance(s.dtype, pd.BooleanDtype):
            X[col] = s.astype(object).where(s.notna(), None)
        elif pd.api.types.is_integer_dtype(s.dtype):
            X[col] = s.astype("float64")
        elif isinstance(s.dtype, pd.StringDtype):
            X[col] = s.astype(object)
    return X


def split_groups(df: pd.DataFrame, meta: TableMeta, blocks: int = 20) -> np.ndarray | None:
    """Groups for ``auto``'s inner cross-validation that mirror how the split was made.

    A group split's column, a time split's time column cut into ``blocks`` consecutive
    blocks of rows, a predefined split's source files; None (stratified folds) for a
    stratified split or a table whose metadata records none of these.

    Examples
    --------
    >>> meta = TableMeta(stage="split", split="train", extra={"split": {"mode": "group",
    ...                                                              "by": "device"}})
    >>> split_groups(pd.DataFrame({"device": ["a", "b", "a"]}), meta).tolist()
    ['a', 'b', 'a']
    """
    split = meta.extra.get("split") or {}
    mode, by = split.get("mode"), split.get("by")
    if mode == "group" and by in df.columns:
        return df[by].astype(str).to_numpy(dtype=object)
    if mode == "time":
        times = [c for c in meta.columns_with_role("time", df.columns)
                 if str(df[c].dtype).startswith("datetime")]
        column = by if by in df.columns else next(iter(times), None)
        if column is not None:
            order = df[column].rank(method="first", na_option="bottom").to_numpy() - 1
            return (order * blocks // max(len(df), 1)).astype(int)
    if mode == "predefined" and SOURCE_FILE in df.columns:
        return df[SOURCE_FILE].astype(str).to_numpy(dtype=object)
    return None


def _nearest_labels(X, labels, y, X_syn, y_syn) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The ``label`` of each synthetic row's nearest real row of its own target class,
    on one-hot categorical and standardised numeric features."""
    from sklearn.neighbors import NearestNeighbors

    both = pd.get_dummies(pd.concat([X, X_syn], ignore_index=True), dtype=float)
    both = both.astype(float)
    both = (both - both.iloc[: len(X)].mean()) / both.iloc[: len(X)].std().replace(0, 1)
    real, synth = both.iloc[: len(X)].to_numpy(), both.iloc[len(X):].to_numpy()
    out = np.empty(len(y_syn), dtype=object)
    for c in pd.unique(y_syn):
        of_c, mine = np.flatnonzero(y == c), np.flatnonzero(y_syn == c)
        nearest = NearestNeighbors(n_neighbors=1).fit(real[of_c]).kneighbors(
            synth[mine], return_distance=False)[:, 0]
        out[mine] = labels[of_c[nearest]]
    return out


def _canonical_synthetic(X, y, like: pd.DataFrame, source, method, info) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    n = len(y)
    out = pd.DataFrame(index=range(n))
    for col in like.columns:
        if col in X.columns:
            out[col] = X[col].to_numpy()
        else:
            out[col] = pd.Series([None] * n, dtype=object)
    out[SOURCE] = source
    out[SOURCE_FILE] = None
    out[SOURCE_ROW] = pd.array([pd.NA] * n, dtype="Int64")
    out[IS_SYNTHETIC] = True
    out[AUGMENTER] = method
    out[LABEL] = y
    out[LABEL_RAW] = None
    out[IS_ATTACK] = [bool(info.get(c, {}).get(IS_ATTACK, True)) for c in y]
    out[ATTACK_FAMILY] = [info.get(c, {}).get(ATTACK_FAMILY) for c in y]
    return out
