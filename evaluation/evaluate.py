"""Classifiers x augmenters x seeds: does synthetic data help on real test rows?

Three arms per augmenter, all scored on the same real test rows, which are never
augmented, resampled or otherwise touched:

``none``
    real training rows only (the baseline; one run per classifier and seed). It can
    come from a stored evaluation instead (``baseline``): the DVC pipeline trains it
    once, in its own stage, and every augmenter's stage compares with it;
``real+synthetic``
    real training rows plus the augmenter's synthetic rows;
``synthetic-only``
    synthetic rows only ("train on synthetic, test on real"). Over-samplers synthesize
    rare classes only, so this arm cannot predict the other classes; it measures how
    much of a class the synthetic rows alone teach.

Classes are those of the ``target``: ``label``, ``attack_family`` or ``is_attack``
(:mod:`curation.targets`), for training, test and synthetic rows alike.

Augmenters come three ways: ``augmenters`` maps a name to ``seed -> sampler`` and runs
``fit_resample`` on the training rows here, once per seed (missing values are imputed
for the sampler only: numeric medians, ``"__missing__"`` for categories; the real rows
keep theirs); ``synthetic`` maps a name to precomputed synthetic rows (the same rows
for every seed) or to ``seed -> synthetic rows`` (drawn again per seed, e.g. the
augment stage's recipe run with a new seed).

Seeds: each replicate seed derives one child seed per augmenter and one per classifier
(:func:`derive_seed`), so the ``none`` run and the ``real+synthetic`` run of a
classifier and seed differ only in their training rows: a paired comparison. Every
run's test predictions are kept (:class:`~evaluation.predictions.Predictions`) for the
paired bootstrap over test rows and seeds (:mod:`evaluation.comparisons`).

>>> import numpy as np, pandas as pd
>>> from imblearn.over_sampling import RandomOverSampler
>>> rng = np.random.default_rng(0)
>>> def table(n):
...     y = rng.choice(["normal", "ddos", "rare"], n, p=[.8, .15, .05])
...     return pd.DataFrame({"x": rng.normal(size=n) + (y == "ddos") * 3 + (y == "rare") * 6,
...                          "label": y})
>>> r = evaluate(table(300), table(100), numeric=["x"], categorical=[],
...              augmenters={"ros": lambda s: RandomOverSampler(random_state=s)},
...              classifiers=["decision_tree"], seeds=[0, 1], n_boot=200)
>>> sorted(r.results["arm"].unique())
['none', 'real+synthetic', 'synthetic-only']
>>> pooled = r.comparisons[r.comparisons["classifier"] == "all classifiers"]
>>> pooled[["arm", "metric", "class", "test"]].iloc[1].tolist()
['real+synthetic', 'recall', 'ddos', 'paired bootstrap']
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
from curation.schema import LABEL
from curation.targets import target_values

from ._baseline import use_baseline
from ._features import (
    Augmented,
    class_counts,
    feature_columns,
    impute,
    prepare_features,
    resample,
    synthetic_rows,
)
from ._typing import Arm, ClassifierFactory, SamplerFactory, SyntheticFactory
from .anomaly import detection_metrics
from .assoc_rules import mine_rules
from .classifiers import classifier_factory
from .comparisons import COMPARISON_COLUMNS, compare
from .diagnostics import neighbour_overlap, rare_classes
from .fidelity import fidelity, projection
from .metrics import classification_metrics, confusion
from .predictions import Predictions, fingerprint

__all__ = ["ARMS", "EvaluationResult", "derive_seed", "evaluate", "feature_columns",
           "prepare_features"]

log = logging.getLogger(__name__)

ARMS: tuple[Arm, ...] = ("none", "real+synthetic", "synthetic-only")
DETECTION_METRICS = ("balanced_accuracy", "detection_rate", "false_positive_rate")
"""Overall metrics of an anomaly detector (it has no macro-F1: it names no class)."""
PER_SEED = "classifier and augmenter seeds"
FIXED = "classifier seeds only; the same synthetic rows for every seed"


def _detector(model: Any) -> Any:
    """The final step of ``model`` when it is an anomaly detector, else None."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    return final if getattr(final, "is_anomaly_detector", False) else None


@dataclass
class EvaluationResult:
    """Everything the report needs; :func:`evaluation.store.write_results` stores it.

    ``comparisons``: every augmenter arm against ``none`` (:func:`evaluation.
    comparisons.compare`); ``diagnostics``: per augmenter, synthetic rows per seed and
    class, what ``auto`` chose per seed, and per rare class the neighbour overlap of
    its synthetic rows with other classes (:func:`evaluation.diagnostics.
    neighbour_overlap`).
    """

    results: pd.DataFrame
    confusion: list[dict[str, Any]] = field(default_factory=list)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    fidelity: dict[str, dict[str, Any]] = field(default_factory=dict)
    projection: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    predictions: Predictions = field(default_factory=Predictions)
    comparisons: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=COMPARISON_COLUMNS))
    diagnostics: dict[str, dict[str, Any]] = field(default_factory=dict)


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


def _resolve_classifiers(classifiers: Sequence[str] | Mapping[str, ClassifierFactory],
                         pca: float | int | None) -> dict[str, ClassifierFactory]:
    if isinstance(classifiers, Mapping):
        return dict(classifiers)
    return {name: classifier_factory(name, pca=pca) for name in classifiers}


def _target(frame: pd.DataFrame, target: str, side: str) -> np.ndarray:
    try:
        values = target_values(frame, target)  # type: ignore[arg-type]
    except UsageError as exc:
        raise UsageError(f"{side} rows: {exc.message}", column=exc.column,
                         hint=exc.hint) from None
    return np.asarray(values, dtype=object).astype(str)


def evaluate(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    augmenters: Mapping[str, SamplerFactory] | None = None,
    synthetic: Mapping[str, pd.DataFrame | SyntheticFactory] | None = None,
    classifiers: Sequence[str] | Mapping[str, ClassifierFactory] = ("random_forest",),
    seeds: Sequence[int] = (0, 1, 2),
    arms: Sequence[Arm] = ARMS,
    pca: float | int | None = None,
    quality: bool = False,
    rules: bool = True,
    target: str = LABEL,
    baseline: EvaluationResult | None = None,
    n_boot: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> EvaluationResult:
    """Train every classifier on every arm and seed; score each on the real test rows.

    Parameters
    ----------
    train, test
        Real rows of the split (canonical tables with the target's column).
    numeric, categorical
        Feature columns (:func:`feature_columns` from the table's roles).
    augmenters
        Name -> ``seed -> sampler``; run here on the training rows, once per seed.
    synthetic
        Name -> precomputed synthetic rows (features and label columns), the same for
        every seed, or name -> ``seed -> synthetic rows``, called once per seed; rows
        with ``is_synthetic`` false, when that column exists, are ignored. A frame's
        ``attrs["chosen"]`` (source -> method) records what ``auto`` chose.
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
    target
        ``label``, ``attack_family`` or ``is_attack``: the classes to learn.
    baseline
        A stored evaluation of the ``none`` arm on the same rows, target, classifiers
        and seeds: its runs are reused instead of trained again.
    n_boot
        Resamples of the paired bootstrap.
    progress
        Called with a short description before each fit.

    Returns
    -------
    EvaluationResult
        ``results`` is tidy: augmenter, arm, classifier, seed, metric, class, value
        (``class`` is ``""`` for macro-F1, balanced accuracy and accuracy).

    Raises
    ------
    UsageError
        Unknown arms or classifiers, clashing names, no seeds, a target column that is
        missing or holds one class, no feature columns, or a baseline of other rows.
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
    if n_boot < 1:
        raise UsageError(f"expected at least 1 bootstrap resample, found {n_boot}")
    for name, frame in (("train", train), ("test", test)):
        if frame.empty:
            raise TooLittleDataError(f"{name}: expected rows, found none")
    y_train, y_test = _target(train, target, "train"), _target(test, target, "test")
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
    labels = sorted(str(c) for c in set(y_train) | set(y_test))
    X_impute = impute(X_train, X_train, numeric) if augmenters else X_train
    X_test_impute = impute(X_test, X_train, numeric) if augmenters else X_test
    prints = {"train_fingerprint": fingerprint(X_train, y_train),
              "test_fingerprint": fingerprint(X_test, y_test)}

    runs: list[dict[str, Any]] = []
    matrices: list[dict[str, Any]] = []
    counts = {"train": class_counts(y_train)}
    rare = rare_classes(counts["train"], set(y_test))
    predictions = Predictions(list(labels))
    predictions.set_truth(y_test)
    detectors: set[str] = set()
    fid: dict[str, dict[str, Any]] = {}
    diagnostics: dict[str, dict[str, Any]] = {}
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
        predictions.add((aug, arm, clf, seed), predicted)
        detector = _detector(model)
        if detector is not None:
            detectors.add(clf)
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

    if baseline is not None:
        use_baseline(baseline, prints, target, list(factories), list(seeds), runs, matrices,
                      predictions, detectors, notes)
    for seed in seeds:
        if "none" in arms and baseline is None:
            for clf in factories:
                fit_score("none", "none", clf, seed, X_train, y_train)
        generated: dict[str, Augmented] = {}
        for name, make in augmenters.items():
            if progress is not None:
                progress(f"{name} augment seed {seed}")
            generated[name] = resample(make(derive_seed(seed, "augment", name)), X_train,
                                       X_impute, y_train)
        for name, source in synthetic.items():
            if callable(source):
                if progress is not None:
                    progress(f"{name} synthesize seed {seed}")
                source = source(derive_seed(seed, "augment", name))
            X_pre, y_pre = synthetic_rows(source, train, numeric, categorical, target)
            generated[name] = Augmented(pd.concat([X_train, X_pre], ignore_index=True),
                                        np.concatenate([y_train, y_pre]), X_pre, y_pre,
                                        chosen=source.attrs.get("chosen"))
        for name, aug in generated.items():
            diag = diagnostics.setdefault(name, {"synthetic_counts": {}, "chosen": {},
                                                 "per_class": {}})
            if aug.y_syn is not None:
                diag["synthetic_counts"][str(seed)] = class_counts(aug.y_syn)
            if aug.chosen:
                diag["chosen"][str(seed)] = dict(aug.chosen)
            if seed == seeds[0]:
                counts[name] = class_counts(aug.y)
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
                fid[name] = fidelity(seen.assign(**{LABEL: y_train}),
                                     X_syn.assign(**{LABEL: y_syn}),
                                     holdout.assign(**{LABEL: y_test}), numeric=numeric,
                                     categorical=categorical, label=LABEL,
                                     quality=quality, random_state=seed, rules=rule_set)
                projections.append(projection(name, X_train, y_train, X_syn, y_syn, seed))
                diag["per_class"] = neighbour_overlap(X_train, y_train, X_syn, y_syn, rare,
                                                      random_state=seed)
            for clf in factories:
                if "real+synthetic" in arms:
                    fit_score(name, "real+synthetic", clf, seed, aug.X, aug.y)
                if "synthetic-only" in arms and X_syn is not None and y_syn is not None:
                    fit_score(name, "synthetic-only", clf, seed, X_syn, y_syn)

    results = pd.DataFrame(runs, columns=["augmenter", "arm", "classifier", "seed", "metric",
                                          "class", "value"])
    seeds_vary = {**{a: PER_SEED for a in augmenters},
                  **{a: PER_SEED if callable(s) else FIXED for a, s in synthetic.items()}}
    comparisons = compare(results, predictions, exclude=sorted(detectors),
                          seeds_vary=seeds_vary, n_boot=n_boot)
    config = {"classifiers": list(factories), "seeds": list(seeds), "arms": list(arms),
              "augmenters": [*augmenters, *synthetic], "numeric": numeric,
              "categorical": categorical, "labels": labels, "pca": pca, "target": target,
              "n_train": len(train), "n_test": len(test), "test_counts": class_counts(y_test),
              "rare_classes": rare, "detectors": sorted(detectors), "seeds_vary": seeds_vary,
              "n_boot": n_boot, "baseline": "stored" if baseline is not None else "trained",
              **prints}
    coordinates = (pd.concat(projections, ignore_index=True) if projections
                   else pd.DataFrame(columns=["augmenter", "class", "kind", "x", "y"]))
    return EvaluationResult(results=results, confusion=matrices, class_counts=counts,
                            fidelity=fid, projection=coordinates, config=config,
                            notes=sorted(set(notes), key=notes.index),
                            predictions=predictions, comparisons=comparisons,
                            diagnostics=diagnostics)


def _mine_rules(X: pd.DataFrame, y: np.ndarray, numeric: Sequence[str],
                categorical: Sequence[str], notes: list[str]) -> Any:
    try:
        found = mine_rules(X.assign(**{"__class__": y}), numeric=numeric,
                           categorical=categorical, label="__class__")
    except IotforgeError as exc:
        notes.append(f"no rule fidelity: {exc.message}")
        return None
    notes += [f"rule fidelity: {n}" for n in found.notes]
    return found
