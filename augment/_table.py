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

Classes are those of the ``target`` (:mod:`curation.targets`: ``label``,
``attack_family`` or ``is_attack``). For a target coarser than ``label``, a synthetic
row takes the ``label`` of the nearest real row of its target class (standardised
features), so ``label``, ``attack_family`` and ``is_attack`` stay consistent.

Method ``auto`` is :class:`~augment.AutoAugmenter` on each source, grouped by
``groups`` (one value per row of the table) when given; its report is ``selection``.

Nothing the augmenter falls back to is silent: the report of each source lists, per
class, the classes made by another method than the one asked for (``fallbacks``),
rows topped up with plain SMOTE (``topped_up``), what a hybrid's cleaning step removed
(``cleaning_removed``, real and synthetic rows; real rows are kept in the output all
the same), and copies jittered or kept (``n_jittered``, ``n_duplicates_kept``), the
replacement rounds for the contract included.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from curation.errors import TooLittleDataError, UsageError
from curation.schema import (
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

from ._registry import AUTO, BUILTIN, get_augmenter, method_parameters

log = logging.getLogger(__name__)

# method name -> class name of the built-in augmenters, a view of the registry
METHODS: dict[str, str] = {name: target.rpartition(":")[2] for name, target in BUILTIN.items()}
MAX_CONTRACT_ROUNDS = 3
# Synthetic rows must be new, so random over-sampling is the smoothed bootstrap
# (imbalanced-learn's shrinkage) here; --param shrinkage=null --param
# reject_duplicates=false gives plain copies back.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "random_oversampler": {"shrinkage": 0.1, "reject_duplicates": True},
}


@dataclass
class AugmentResult:
    """Real rows followed by synthetic rows, and what happened per source."""

    frame: pd.DataFrame
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def synthetic(self) -> pd.DataFrame:
        return self.frame[self.frame[IS_SYNTHETIC].astype(bool)]


def make_augmenter(method: str, *, strategy: Any, random_state: int,
                   params: Mapping[str, Any] | None = None, contract: Any = None) -> Any:
    """An augmenter by method name (:mod:`augment._registry`, plugins included, or
    ``auto``), with ``params`` for its own keyword arguments."""
    from ._auto import AutoAugmenter

    cls = AutoAugmenter if method == AUTO else get_augmenter(method)
    known = set(method_parameters(method))
    unknown = set(params or {}) - known
    if unknown:
        raise UsageError(f"{method}: unknown parameters {sorted(unknown)}; it takes "
                         f"{sorted(known)}")
    kwargs = {**DEFAULT_PARAMS.get(method, {}), **(params or {}),
              "sampling_strategy": strategy, "random_state": random_state}
    if contract is not None and "contract" in known:
        kwargs["contract"] = contract
    return cls(**kwargs)


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


def child_seed(random_state: int, *names: Any) -> int:
    """The seed of one fan-out unit: a source, or a class of a source.

    ``numpy.random.SeedSequence(entropy=random_state, spawn_key=...)`` with one spawn-key
    word per name (the first 4 bytes of the SHA-256 of ``str(name)``), so a unit's seed
    depends on the run's seed and its own names only: not on the other sources or
    classes, nor on the order or the place (process, Dask worker) it runs in.

    Examples
    --------
    >>> child_seed(0, "zeek", "ddos") == child_seed(0, "zeek", "ddos")
    True
    >>> child_seed(0, "zeek", "ddos") != child_seed(0, "zeek", "scan")
    True
    """
    key = tuple(int.from_bytes(hashlib.sha256(str(n).encode("utf-8")).digest()[:4], "little")
                for n in names)
    seq = np.random.SeedSequence(entropy=int(random_state) % 2**64, spawn_key=key)
    # room for the contract's replacement rounds (seed + round) below 2**31 - 1
    return int(seq.generate_state(1, dtype=np.uint32)[0]) % (2**31 - 1 - MAX_CONTRACT_ROUNDS)


def is_class_local(method: str, params: Mapping[str, Any] | None = None) -> bool:
    """Whether ``method`` makes each class's rows from that class alone (``_class_local``
    on the augmenter: SMOTE, random over-sampling, per-class generators)."""
    if method == AUTO:
        return False
    sampler = make_augmenter(method, strategy="auto", random_state=0, params=params)
    return bool(getattr(sampler, "_class_local", False))


@dataclass
class SourceData:
    """What every unit of one source needs: its model frame, classes and contract."""

    source: Any
    X: pd.DataFrame
    y: np.ndarray
    contract: Any = None


@dataclass
class Unit:
    """One fan-out task: a source's augmentation, or one class of it (``cls``)."""

    method: str
    strategy: Any
    seed: int
    params: dict[str, Any]
    cls: Any = None


Mapper = Callable[[Callable[[SourceData, Unit], Any], list[tuple[SourceData, list[Unit]]]],
                  list[list[Any]]]
"""Runs ``func(data, unit)`` for every unit of every source; results in the same order."""


def local_map(func: Callable[[SourceData, Unit], Any],
              groups: list[tuple[SourceData, list[Unit]]]) -> list[list[Any]]:
    """The local engine's :data:`Mapper`: one unit after the other, in order."""
    return [[func(data, unit) for unit in units] for data, units in groups]


def run_unit(data: SourceData, unit: Unit) -> dict[str, Any]:
    """Fit and sample one unit; its synthetic rows, labels and report entries."""
    sampler = make_augmenter(unit.method, strategy=unit.strategy, random_state=unit.seed,
                             params=unit.params, contract=data.contract)
    where = data.source if unit.cls is None else f"{data.source}, class {unit.cls}"
    try:
        X_res, y_res = sampler.fit_resample(data.X, data.y)
    except TooLittleDataError:
        raise
    except ValueError as exc:
        raise TooLittleDataError(f"{unit.method} on source {where!r}: {exc}") from None
    mask = np.asarray(sampler.synthetic_mask_, dtype=bool)
    synth_X = pd.DataFrame(X_res).loc[mask].reset_index(drop=True)
    synth_y = np.asarray(y_res)[mask]
    rejected, extra = 0, []
    auto = unit.method == AUTO
    if data.contract is not None and "contract" not in sampler.get_params() and len(synth_y):
        synth_X, synth_y, rejected, extra = _enforce(
            data.contract, synth_X, synth_y, data.X, data.y,
            sampler.chosen_ if auto else sampler, unit.seed)
    report = {"reject_rate": float(getattr(sampler, "reject_rate_", 0.0) or 0.0),
              "contract_rejected": rejected, **_fitted_report(sampler, extra)}
    return {"X": synth_X, "y": synth_y, "report": report,
            "made_by": f"auto:{sampler.choice_}" if auto else unit.method}


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
    (:func:`curation.engines.dask_augment.dask_map`) gives the same rows in the same
    order.
    """
    from curation.contracts.contract import row_contract
    from curation.contracts.validate import applies_to
    from curation.targets import target_values

    if meta.split != "train":
        raise UsageError(f"expected a train split (split='train' in the Parquet metadata), "
                         f"found split={meta.split!r}",
                         hint="augment only the training side of 'iotforge split'")
    features_all = meta.feature_columns(df.columns)
    report: dict[str, Any] = {"method": method, "strategy": str(strategy), "target": target,
                              "random_state": random_state, "sources": {}}
    classes = pd.Series(target_values(df, target), index=df.index)  # type: ignore[arg-type]
    groups = None if groups is None else pd.Series(np.asarray(groups), index=df.index)
    info = (df.drop_duplicates(LABEL).set_index(LABEL)[[IS_ATTACK, ATTACK_FAMILY]]
            .to_dict("index"))
    class_local = is_class_local(method, params)
    work: list[tuple[SourceData, list[Unit]]] = []
    for source, rows in df.groupby(SOURCE, sort=True):
        features = [c for c in features_all if rows[c].notna().any()]
        y = classes.loc[rows.index].to_numpy(dtype=object)
        counts = pd.Series(y).value_counts()
        entry: dict[str, Any] = {"features": len(features), "before": counts.to_dict()}
        report["sources"][source] = entry
        if len(counts) < 2 or not features:
            entry["skipped"] = "fewer than two classes or no features"
            continue
        suite_list = [s for s in suites if applies_to(s, str(source))]
        data = SourceData(source, _impute(_model_frame(rows, features), y), y,
                          row_contract(suite_list[0]) if suite_list else None)
        unit_params = {**(params or {}), **({} if groups is None or method != AUTO else {
            "groups": groups.loc[rows.index].to_numpy()})}
        work.append((data, _units(method, strategy, random_state, unit_params, data,
                                  counts, class_local)))
    done = (mapper or local_map)(run_unit, work)
    pieces = [df.assign(**{IS_SYNTHETIC: False})]
    for (data, _), results in zip(work, done, strict=True):
        entry = report["sources"][data.source]
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
        pieces.append(_canonical_synthetic(synth_X, labels, df, data.source, made_by, info))
    # all-null columns of synthetic rows must not decide the concatenated dtypes
    pieces = [pieces[0]] + [p.dropna(axis=1, how="all") for p in pieces[1:]]
    frame = pd.concat(pieces, ignore_index=True)
    frame[IS_SYNTHETIC] = frame[IS_SYNTHETIC].astype(bool)
    return AugmentResult(frame=frame, report=report)


def _units(method: str, strategy: Any, random_state: int, params: dict[str, Any],
           data: SourceData, counts: pd.Series, class_local: bool) -> list[Unit]:
    """One unit per class to grow (class-local methods, each with the class's own target
    count and seed), else one per source."""
    if not class_local:
        return [Unit(method, strategy, child_seed(random_state, data.source), params)]
    from ._strategies import resolve_sampling_strategy

    try:
        add = resolve_sampling_strategy(strategy, data.y)
    except ValueError as exc:
        raise TooLittleDataError(f"{method} on source {data.source!r}: {exc}") from None
    return [Unit(method, {c: int(counts[c]) + int(n)}, child_seed(random_state, data.source, c),
                 params, cls=c) for c, n in add.items() if n > 0]


def _merge_reports(reports: list[dict[str, Any]], sizes: list[int]) -> dict[str, Any]:
    """The units' reports of one source as one: counts add up, per-class entries join
    (a reason kept once), the reject rate is weighted by synthetic rows."""
    if not reports:
        return {"reject_rate": 0.0, "contract_rejected": 0}
    out: dict[str, Any] = {}
    for rep in reports:
        for key, value in rep.items():
            if key == "reject_rate" or key not in out:
                out.setdefault(key, copy.deepcopy(value))
            elif isinstance(value, dict):
                for c, x in value.items():
                    if c not in out[key]:
                        out[key][c] = x
                    elif isinstance(x, int) and not isinstance(x, bool):
                        out[key][c] += x
            elif isinstance(value, int) and not isinstance(value, bool):
                out[key] += value
    total = sum(sizes)
    out["reject_rate"] = (float(sum(r["reject_rate"] * n for r, n in zip(reports, sizes,
                                                                          strict=True)) / total)
                          if total else float(reports[0]["reject_rate"]))
    return out


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


_REPORTED = ("hit_rate_", "variant_", "n_oversampled_", "cleaning_removed_", "selection_")
_MERGED = ("fallbacks_", "topped_up_", "n_jittered_", "n_duplicates_kept_")


def _fitted_report(sampler: Any, extra: Sequence[Any]) -> dict[str, Any]:
    """What the fitted augmenter says it did; the ``_MERGED`` ones summed (or joined)
    over the augmenters of the contract's replacement rounds too."""
    out: dict[str, Any] = {}
    for attr in _REPORTED:
        if hasattr(sampler, attr):
            out[attr.rstrip("_")] = _plain(getattr(sampler, attr))
    for attr in _MERGED:
        values = [getattr(s, attr) for s in (sampler, *extra) if hasattr(s, attr)]
        if not values:
            continue
        if isinstance(values[0], dict):
            merged: dict[Any, Any] = {}
            for v in values:
                for c, x in v.items():
                    if c not in merged:
                        merged[c] = x
                    elif isinstance(x, int):  # row counts add up; a reason is kept once
                        merged[c] += x
            out[attr.rstrip("_")] = _plain(merged)
        else:
            out[attr.rstrip("_")] = int(sum(values))
    return out


def _enforce(contract, X_syn, y_syn, X, y, template, seed):  # type: ignore[no-untyped-def]
    """Replace synthetic rows that break the contract, keeping per-class counts.

    Replacement rows come from copies of the ``template`` augmenter (same parameters,
    new strategy and seed). Returns the rows, how many were rejected, and the
    augmenters of the replacement rounds (their fallbacks belong in the report too).
    """
    from sklearn.base import clone

    ok = contract(X_syn)
    rejected = int((~ok).sum())
    samplers = []
    for round_ in range(1, MAX_CONTRACT_ROUNDS + 1):
        if ok.all():
            break
        need = pd.Series(y_syn[~ok]).value_counts().to_dict()
        sampler = clone(template).set_params(
            sampling_strategy={c: int((y == c).sum()) + n for c, n in need.items()},
            random_state=seed + round_)
        X2, y2 = sampler.fit_resample(X, y)
        samplers.append(sampler)
        m = np.asarray(sampler.synthetic_mask_, dtype=bool)
        X2 = pd.DataFrame(X2).loc[m].reset_index(drop=True)
        y2 = np.asarray(y2)[m]
        ok2 = contract(X2)
        rejected += int((~ok2).sum())
        X_syn = pd.concat([X_syn.loc[ok], X2.loc[ok2]], ignore_index=True)
        y_syn = np.concatenate([y_syn[ok], y2[ok2]])
        ok = np.ones(len(y_syn), dtype=bool)
    return X_syn, y_syn, rejected, samplers


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


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
