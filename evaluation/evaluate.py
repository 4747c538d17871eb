"""Classifiers x augmenters x seeds: does synthetic data help on real test rows?

Three arms per augmenter, all scored on the same real test rows, which are never
augmented, resampled or otherwise touched:

``none``
    real training rows only (the baseline; one run per classifier and seed);
``real+synthetic``
    real training rows plus the augmenter's synthetic rows;
``synthetic-only``
    synthetic rows only ("train on synthetic, test on real"). Over-samplers synthesize
    rare classes only, so this arm cannot predict the other classes; it measures how
    much of a class the synthetic rows alone teach.

Augmenters come two ways: ``augmenters`` maps a name to ``seed -> sampler`` and runs
``fit_resample`` on the training rows here, once per seed (missing values are imputed
for the sampler only: numeric medians, ``"__missing__"`` for categories; the real rows
keep theirs); ``synthetic`` maps a name to precomputed synthetic rows (the DVC
pipeline's augment stage), the same rows for every seed.

Seeds: each replicate seed derives one child seed per augmenter and one per classifier
(:func:`derive_seed`), so the ``none`` run and the ``real+synthetic`` run of a
classifier and seed differ only in their training rows: a paired comparison.

>>> import numpy as np, pandas as pd
>>> from imblearn.over_sampling import RandomOverSampler
>>> rng = np.random.default_rng(0)
>>> def table(n):
...     y = rng.choice(["normal", "ddos", "rare"], n, p=[.8, .15, .05])
...     return pd.DataFrame({"x": rng.normal(size=n) + (y == "ddos") * 3 + (y == "rare") * 6,
...                          "label": y})
>>> r = evaluate(table(300), table(100), numeric=["x"], categorical=[],
...              augmenters={"ros": lambda s: RandomOverSampler(random_state=s)},
...              classifiers=["decision_tree"], seeds=[0, 1])
>>> sorted(r.results["arm"].unique())
['none', 'real+synthetic', 'synthetic-only']
"""

from __future__ import annotations

import logging
import warnings
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from curation.errors import IotforgeError, TooLittleDataError, UsageError
from curation.schema import IS_SYNTHETIC, LABEL

from ._typing import Arm, ClassifierFactory, SamplerFactory
from .anomaly import detection_metrics
from .classifiers import classifier_factory
from .fidelity import fidelity, projection
from .metrics import classification_metrics, confusion

__all__ = ["ARMS", "EvaluationResult", "derive_seed", "evaluate", "feature_columns",
           "prepare_features"]

log = logging.getLogger(__name__)

ARMS: tuple[Arm, ...] = ("none", "real+synthetic", "synthetic-only")
MISSING = "__missing__"
DETECTION_METRICS = ("balanced_accuracy", "detection_rate", "false_positive_rate")
"""Overall metrics of an anomaly detector (it has no macro-F1: it names no class)."""


def _detector(model: Any) -> Any:
    """The final step of ``model`` when it is an anomaly detector, else None."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    return final if getattr(final, "is_anomaly_detector", False) else None


@dataclass
class EvaluationResult:
    """Everything the report needs; :func:`evaluation.io.write_results` stores it."""

    results: pd.DataFrame
    confusion: list[dict[str, Any]] = field(default_factory=list)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    fidelity: dict[str, dict[str, Any]] = field(default_factory=dict)
    projection: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def derive_seed(seed: int, *names: str) -> int:
    """A child seed of ``seed`` for the component ``names`` (stable across runs).

    Examples
    --------
    >>> derive_seed(0, "classifier", "svm") == derive_seed(0, "classifier", "svm")
    True
    >>> derive_seed(0, "classifier", "svm") == derive_seed(1, "classifier", "svm")
    False
    """
    words = [int(seed), *(zlib.crc32(n.encode()) for n in names)]
    return int(np.random.SeedSequence(words).generate_state(1)[0] & 0x7FFFFFFF)


def feature_columns(roles: Mapping[str, str], columns: Sequence[str]) -> tuple[list[str],
                                                                                 list[str]]:
    """The ``numeric`` and ``categorical`` columns of ``columns``, in table order.

    >>> feature_columns({"x": "numeric", "p": "categorical", "ip": "endpoint"}, ["ip", "p", "x"])
    (['x'], ['p'])
    """
    numeric = [c for c in columns if roles.get(c) == "numeric"]
    categorical = [c for c in columns if roles.get(c) == "categorical"]
    return numeric, categorical


def prepare_features(frame: pd.DataFrame, numeric: Sequence[str],
                     categorical: Sequence[str]) -> pd.DataFrame:
    """Float numeric columns (inf -> missing) and string categorical columns.

    >>> prepare_features(pd.DataFrame({"x": [1, np.inf], "p": [True, None]}), ["x"], ["p"])
         x     p
    0  1.0  True
    1  NaN   NaN
    """
    out = {}
    for col in numeric:
        v = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        out[col] = np.where(np.isfinite(v), v, np.nan)
    for col in categorical:
        s = frame[col]
        out[col] = s.astype(str).where(s.notna(), np.nan).to_numpy(dtype=object)
    return pd.DataFrame(out, index=range(len(frame)), columns=[*numeric, *categorical])


def _impute(X: pd.DataFrame, reference: pd.DataFrame, numeric: Sequence[str]) -> pd.DataFrame:
    """Missing values filled for samplers, which refuse them: medians of ``reference``
    for numeric columns, the category ``"__missing__"`` for the others."""
    filled = X.copy()
    for col in X.columns:
        if col in numeric:
            median = reference[col].median()
            filled[col] = X[col].fillna(0.0 if pd.isna(median) else median)
        else:
            filled[col] = X[col].fillna(MISSING)
    return filled


@dataclass
class _Augmented:
    """One augmenter's training table (``X``, ``y``) and its synthetic rows, if known."""

    X: pd.DataFrame
    y: np.ndarray
    X_syn: pd.DataFrame | None
    y_syn: np.ndarray | None
    appends: bool = True


def _resample(sampler: Any, X_raw: pd.DataFrame, X: pd.DataFrame, y: np.ndarray) -> _Augmented:
    """Run ``sampler`` on the imputed rows ``X``; tell real from synthetic rows.

    An over-sampler returns the input rows first: then the training table is the *raw*
    real rows (missing values kept) plus the synthetic rows. A hybrid or under-sampler
    changes the real rows: its whole output is the training table.
    """
    X_res, y_res = sampler.fit_resample(X, y)
    X_res = pd.DataFrame(X_res, columns=X.columns).reset_index(drop=True)
    y_res = np.asarray(y_res).astype(str)
    n = len(X)
    appends = (len(X_res) >= n and X_res.iloc[:n].equals(X.reset_index(drop=True))
               and np.array_equal(y_res[:n], y))
    mask = getattr(sampler, "synthetic_mask_", None)
    if mask is None and appends:
        mask = np.arange(len(X_res)) >= n
    X_syn = y_syn = None
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        X_syn, y_syn = X_res[mask].reset_index(drop=True), y_res[mask]
    if appends and X_syn is not None and y_syn is not None:
        return _Augmented(pd.concat([X_raw, X_syn], ignore_index=True),
                          np.concatenate([y, y_syn]), X_syn, y_syn)
    return _Augmented(X_res, y_res, X_syn, y_syn, appends=False)


def _resolve_classifiers(classifiers: Sequence[str] | Mapping[str, ClassifierFactory],
                         pca: float | int | None) -> dict[str, ClassifierFactory]:
    if isinstance(classifiers, Mapping):
        return dict(classifiers)
    return {name: classifier_factory(name, pca=pca) for name in classifiers}


def evaluate(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    augmenters: Mapping[str, SamplerFactory] | None = None,
    synthetic: Mapping[str, pd.DataFrame] | None = None,
    classifiers: Sequence[str] | Mapping[str, ClassifierFactory] = ("random_forest",),
    seeds: Sequence[int] = (0, 1, 2),
    arms: Sequence[Arm] = ARMS,
    pca: float | int | None = None,
    quality: bool = False,
    rules: bool = True,
    label: str = LABEL,
    progress: Callable[[str], None] | None = None,
) -> EvaluationResult:
    """Train every classifier on every arm and seed; score each on the real test rows.

    Parameters
    ----------
    train, test
        Real rows of the split (canonical tables with ``label``).
    numeric, categorical
        Feature columns (:func:`feature_columns` from the table's roles).
    augmenters
        Name -> ``seed -> sampler``; run here on the training rows, once per seed.
    synthetic
        Name -> precomputed synthetic rows (features and ``label``); rows with
        ``is_synthetic`` false, when that column exists, are ignored.
    classifiers
        Names in :data:`evaluation.classifiers.CLASSIFIERS`, or name -> ``seed -> model``.
    seeds
        Replicate seeds; every run's randomness derives from one of them.
    arms
        Which arms to run (``none`` is needed for the paired comparison).
    pca
        PCA step for the named classifiers (see :func:`~evaluation.classifiers.make_classifier`).
    quality
        Also compute SDMetrics' quality score per synthesized class (slower).
    rules
        Mine association rules on the real training rows and report, per augmenter
        and class, the share of them that still hold on the synthetic rows
        (:func:`evaluation.assoc_rules.rule_fidelity`).
    progress
        Called with a short description before each fit.

    Returns
    -------
    EvaluationResult
        ``results`` is tidy: augmenter, arm, classifier, seed, metric, class, value
        (``class`` is ``""`` for macro-F1, balanced accuracy and accuracy).
    """
    augmenters = dict(augmenters or {})
    synthetic = dict(synthetic or {})
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise UsageError(f"expected arms in {ARMS}, found {unknown}")
    clash = sorted(set(augmenters) & set(synthetic) | ({"none"} & (set(augmenters)
                                                                    | set(synthetic))))
    if clash:
        raise UsageError(f"expected distinct augmenter names other than 'none', found {clash}")
    if not seeds:
        raise UsageError("expected at least one seed, found none")
    for name, frame in (("train", train), ("test", test)):
        if label not in frame.columns:
            raise UsageError(f"{name}: expected a {label!r} column, found none")
        if frame.empty:
            raise TooLittleDataError(f"{name}: expected rows, found none")
    factories = _resolve_classifiers(classifiers, pca)
    notes: list[str] = []

    X_train = prepare_features(train, numeric, categorical)
    empty = [c for c in X_train.columns if X_train[c].isna().all()]
    if empty:
        notes.append(f"dropped {len(empty)} feature columns missing on every training row: "
                     + ", ".join(empty))
    numeric = [c for c in numeric if c not in empty]
    categorical = [c for c in categorical if c not in empty]
    if not numeric and not categorical:
        raise UsageError("expected numeric or categorical feature columns, found none",
                         hint="check the column roles in the Parquet metadata")
    X_train = X_train[[*numeric, *categorical]]
    X_test = prepare_features(test, numeric, categorical)
    y_train = train[label].astype(str).to_numpy()
    y_test = test[label].astype(str).to_numpy()
    labels = sorted(set(y_train) | set(y_test))
    X_impute = _impute(X_train, X_train, numeric) if augmenters else X_train
    X_test_impute = _impute(X_test, X_train, numeric) if augmenters else X_test

    runs: list[dict[str, Any]] = []
    matrices: list[dict[str, Any]] = []
    counts = {"train": _counts(y_train)}
    fid: dict[str, dict[str, Any]] = {}
    projections: list[pd.DataFrame] = []
    rule_set = (_mine_rules(X_train, y_train, numeric, categorical, notes)
                if rules and (augmenters or synthetic) else None)

    def fit_score(aug: str, arm: str, clf: str, seed: int, X: pd.DataFrame,
                  y: np.ndarray) -> None:
        if len(np.unique(y)) < 2:
            notes.append(f"{aug} / {arm} / {clf} / seed {seed}: skipped, the training rows "
                         f"hold {len(np.unique(y))} class")
            return
        if progress is not None:
            progress(f"{aug} {arm} {clf} seed {seed}")
        model = factories[clf](derive_seed(seed, "classifier", clf))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model.fit(X, y)
            except TooLittleDataError as exc:  # e.g. a detector without normal rows
                notes.append(f"{aug} / {arm} / {clf}: skipped, {exc.message}")
                return
            predicted = np.asarray(model.predict(X_test)).astype(str)
        for w in caught:
            log.info("%s %s %s seed %d: %s", aug, arm, clf, seed, w.message)
        key = {"augmenter": aug, "arm": arm, "classifier": clf, "seed": seed}
        detector = _detector(model)
        if detector is not None:
            m = detection_metrics(y_test, predicted, str(detector.normal_label))
            overall: tuple[str, ...] = DETECTION_METRICS
        else:
            m = classification_metrics(y_test, predicted, sorted(set(y_test)))
            overall = ("macro_f1", "balanced_accuracy", "accuracy")
            matrices.append({**key, "labels": labels,
                             "matrix": confusion(y_test, predicted, labels).tolist()})
        for metric in overall:
            if m[metric] is not None:
                runs.append({**key, "metric": metric, "class": "", "value": m[metric]})
        for cls, values in m["per_class"].items():
            for metric, value in values.items():
                runs.append({**key, "metric": metric, "class": cls, "value": value})

    for seed in seeds:
        if "none" in arms:
            for clf in factories:
                fit_score("none", "none", clf, seed, X_train, y_train)
        generated: dict[str, _Augmented] = {}
        for name, make in augmenters.items():
            if progress is not None:
                progress(f"{name} augment seed {seed}")
            generated[name] = _resample(make(derive_seed(seed, "augment", name)), X_train,
                                        X_impute, y_train)
        for name, frame in synthetic.items():
            X_pre, y_pre = _precomputed(frame, numeric, categorical, label)
            generated[name] = _Augmented(pd.concat([X_train, X_pre], ignore_index=True),
                                         np.concatenate([y_train, y_pre]), X_pre, y_pre)
        for name, aug in generated.items():
            if seed == seeds[0]:
                counts[name] = _counts(aug.y)
                if not aug.appends:
                    notes.append(f"{name} changes the real training rows (a hybrid or "
                                 "under-sampler): real+synthetic trains on its whole output, "
                                 "with missing values imputed")
                if aug.X_syn is None:
                    notes.append(f"{name}: cannot tell synthetic from real rows in its output; "
                                 "no synthetic-only arm, fidelity or projection")
            X_syn, y_syn = aug.X_syn, aug.y_syn
            if seed == seeds[0] and X_syn is not None and y_syn is not None:
                # compare with the rows the augmenter saw (imputed when it ran here)
                seen, holdout = ((X_impute, X_test_impute) if name in augmenters
                                 else (X_train, X_test))
                fid[name] = fidelity(seen.assign(**{label: y_train}),
                                     X_syn.assign(**{label: y_syn}),
                                     holdout.assign(**{label: y_test}), numeric=numeric,
                                     categorical=categorical, label=label,
                                     quality=quality, random_state=seed, rules=rule_set)
                projections.append(projection(name, X_train, y_train, X_syn, y_syn, seed))
            for clf in factories:
                if "real+synthetic" in arms:
                    fit_score(name, "real+synthetic", clf, seed, aug.X, aug.y)
                if "synthetic-only" in arms and X_syn is not None and y_syn is not None:
                    fit_score(name, "synthetic-only", clf, seed, X_syn, y_syn)

    results = pd.DataFrame(runs, columns=["augmenter", "arm", "classifier", "seed", "metric",
                                          "class", "value"])
    config = {"classifiers": list(factories), "seeds": list(seeds), "arms": list(arms),
              "augmenters": [*augmenters, *synthetic], "numeric": numeric,
              "categorical": categorical, "labels": labels, "pca": pca,
              "n_train": len(train), "n_test": len(test), "test_counts": _counts(y_test)}
    coordinates = (pd.concat(projections, ignore_index=True) if projections
                   else pd.DataFrame(columns=["augmenter", "class", "kind", "x", "y"]))
    return EvaluationResult(results=results, confusion=matrices, class_counts=counts,
                            fidelity=fid, projection=coordinates, config=config,
                            notes=sorted(set(notes), key=notes.index))


def _mine_rules(X: pd.DataFrame, y: np.ndarray, numeric: Sequence[str],
                categorical: Sequence[str], notes: list[str]) -> Any:
    from .assoc_rules import mine_rules

    try:
        found = mine_rules(X.assign(**{"__class__": y}), numeric=numeric,
                           categorical=categorical, label="__class__")
    except IotforgeError as exc:
        notes.append(f"no rule fidelity: {exc.message}")
        return None
    notes += [f"rule fidelity: {n}" for n in found.notes]
    return found


def _counts(y: np.ndarray) -> dict[str, int]:
    values, n = np.unique(y, return_counts=True)
    return {str(v): int(k) for v, k in sorted(zip(values, n, strict=True), key=lambda t: -t[1])}


def _precomputed(frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str],
                 label: str) -> tuple[pd.DataFrame, np.ndarray]:
    if IS_SYNTHETIC in frame.columns:
        frame = frame[frame[IS_SYNTHETIC].fillna(False).astype(bool).to_numpy()]
    missing = [c for c in (*numeric, *categorical, label) if c not in frame.columns]
    if missing:
        raise UsageError(f"synthetic rows: expected the training columns, found none of "
                         f"{missing}")
    return (prepare_features(frame, numeric, categorical),
            frame[label].astype(str).to_numpy())
