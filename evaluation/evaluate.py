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
(:mod:`iotforge.curation.targets`), for training, test and synthetic rows alike.

Augmenters come three ways: ``augmenters`` maps a name to ``seed -> sampler`` and runs
``fit_resample`` on the training rows here, once per seed (missing values are imputed
for the sampler only: numeric medians, ``"__missing__"`` for categories; the real rows
keep theirs); ``synthetic`` maps a name to precomputed synthetic rows (the same rows
for every seed) or to ``seed -> synthetic rows`` (drawn again per seed, e.g. the
augment stage's recipe run with a new seed).

Seeds: each replicate seed derives one child seed per augmenter and one per classifier
(:func:`derive_seed`), so the ``none`` run and the ``real+synthetic`` run of a
classifier and seed differ only in their training rows: a paired comparison. Every
run's test predictions are kept (:class:`~iotforge.evaluation.predictions.Predictions`) for the
paired bootstrap over test rows and seeds (:mod:`iotforge.evaluation.comparisons`).

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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import IotforgeError, TooLittleDataError, UsageError
from iotforge.curation.schema import LABEL

from ._baseline import use_baseline
from ._features import Augmented, class_counts, feature_columns, prepare_features
from ._inputs import Prepared, augment_seed, prepare_inputs, target_classes
from ._preprocess import MAX_CATEGORIES, capped_columns
from ._runs import RunLog, derive_seed
from ._typing import Arm, ClassifierFactory, SamplerFactory, SyntheticFactory
from .assoc_rules import RuleSet, mine_rules
from .classifiers import classifier_factory
from .comparisons import COMPARISON_COLUMNS, compare
from .diagnostics import neighbour_overlap, rare_classes
from .fidelity import fidelity, projection
from .predictions import Predictions

__all__ = ["ARMS", "FIXED", "PER_SEED", "EvaluationResult", "derive_seed", "evaluate",
           "feature_columns", "prepare_features"]

ARMS: tuple[Arm, ...] = ("none", "real+synthetic", "synthetic-only")
PER_SEED = "classifier and augmenter seeds"
FIXED = "classifier seeds only; the same synthetic rows for every seed"


@dataclass
class EvaluationResult:
    """Everything the report needs; :func:`iotforge.evaluation.store.write_results` stores it.

    ``comparisons``: every augmenter arm against ``none`` (:func:`evaluation.
    comparisons.compare`); ``diagnostics``: per augmenter, synthetic rows per seed and
    class, what ``auto`` chose per seed, and per rare class the neighbour overlap of
    its synthetic rows with other classes (:func:`iotforge.evaluation.diagnostics.
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


def _resolve_classifiers(classifiers: Sequence[str] | Mapping[str, ClassifierFactory],
                         pca: float | int | None,
                         max_categories: int | None) -> dict[str, ClassifierFactory]:
    if isinstance(classifiers, Mapping):
        return dict(classifiers)
    return {name: classifier_factory(name, pca=pca, max_categories=max_categories)
            for name in classifiers}


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
    max_categories: int | None = MAX_CATEGORIES,
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
        Names in :data:`iotforge.evaluation.classifiers.CLASSIFIERS`, or name -> ``seed -> model``.
    seeds
        Replicate seeds; every run's randomness derives from one of them.
    arms
        Which arms to run (``none`` is needed for the paired comparison).
    pca
        PCA step for the named classifiers (see
        :func:`~iotforge.evaluation.classifiers.make_classifier`).
    quality
        Also compute SDMetrics' quality score per synthesized class (slower).
    rules
        Mine association rules on the real training rows and report, per augmenter
        and class, the share of them that still hold on the synthetic rows
        (:func:`iotforge.evaluation.assoc_rules.rule_fidelity`).
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
    _check_arguments(train, test, arms, augmenters, synthetic, seeds, n_boot)
    y_train, y_test = target_classes(train, test, target)
    factories = _resolve_classifiers(classifiers, pca, max_categories)
    notes: list[str] = []
    data = prepare_inputs(train, test, y_train, y_test, numeric, categorical,
                          impute_for_samplers=bool(augmenters), notes=notes)
    capped = capped_columns(data.X_train, data.categorical, max_categories)
    if capped and not isinstance(classifiers, Mapping):
        notes.append(f"one-hot encoding keeps at most {max_categories} columns per "
                     "categorical column, the rarer values grouped into one: "
                     + ", ".join(f"{c} ({n} values)" for c, n in capped.items())
                     + "; --max-categories 0 keeps every value")
    grid = RunLog(factories, data.X_test, data.y_test, data.labels, notes, progress)
    found = _Found(counts={"train": class_counts(data.y_train)})
    found.rare = rare_classes(found.counts["train"], set(data.y_test))
    rule_set = (_mine_rules(data.X_train, data.y_train, data.numeric, data.categorical, notes)
                if rules and (augmenters or synthetic) else None)
    if baseline is not None:
        use_baseline(baseline, data.prints, target, list(factories), list(seeds), grid.runs,
                     grid.matrices, grid.predictions, grid.detectors, notes)
    for seed in seeds:
        if "none" in arms and baseline is None:
            for clf in factories:
                grid.fit_score("none", "none", clf, seed, data.X_train, data.y_train)
        generated = augment_seed(seed, data, train, target, augmenters, synthetic, progress)
        for name, aug in generated.items():
            found.describe(name, aug, seed, first=seed == seeds[0], notes=notes)
            if seed == seeds[0] and aug.X_syn is not None and aug.y_syn is not None:
                found.measure(name, aug.X_syn, aug.y_syn, data, seed,
                              ran_here=name in augmenters, quality=quality, rule_set=rule_set)
            _train_arms(grid, name, aug, seed, arms)
    seeds_vary = {**{a: PER_SEED for a in augmenters},
                  **{a: PER_SEED if callable(s) else FIXED for a, s in synthetic.items()}}
    config = {"classifiers": list(factories), "seeds": list(seeds), "arms": list(arms),
              "augmenters": [*augmenters, *synthetic], "numeric": data.numeric,
              "categorical": data.categorical, "labels": data.labels, "pca": pca,
              "max_categories": max_categories, "capped_columns": capped,
              "target": target, "n_train": len(train), "n_test": len(test),
              "test_counts": class_counts(data.y_test), "rare_classes": found.rare,
              "detectors": sorted(grid.detectors), "seeds_vary": seeds_vary,
              "n_boot": n_boot, "baseline": "stored" if baseline is not None else "trained",
              **data.prints}
    return _result(grid, found, config, seeds_vary, n_boot)


def _check_arguments(train: pd.DataFrame, test: pd.DataFrame, arms: Sequence[Arm],
                     augmenters: Mapping[str, Any], synthetic: Mapping[str, Any],
                     seeds: Sequence[int], n_boot: int) -> None:
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


@dataclass
class _Found:
    """What the augmenters' rows showed: class counts of every training table, and of
    the first seed's synthetic rows their fidelity, projection and rare-class overlap."""

    counts: dict[str, dict[str, int]]
    rare: list[str] = field(default_factory=list)
    fidelity: dict[str, dict[str, Any]] = field(default_factory=dict)
    diagnostics: dict[str, dict[str, Any]] = field(default_factory=dict)
    projections: list[pd.DataFrame] = field(default_factory=list)

    def describe(self, name: str, aug: Augmented, seed: int, *, first: bool,
                 notes: list[str]) -> None:
        """Synthetic counts and ``auto``'s choices per seed; on the first seed the
        training table's class counts and what it cannot show."""
        diag = self.diagnostics.setdefault(name, {"synthetic_counts": {}, "chosen": {},
                                                  "per_class": {}})
        if aug.y_syn is not None:
            diag["synthetic_counts"][str(seed)] = class_counts(aug.y_syn)
        if aug.chosen:
            diag["chosen"][str(seed)] = dict(aug.chosen)
        if not first:
            return
        self.counts[name] = class_counts(aug.y)
        if not aug.appends:
            notes.append(f"{name} changes the real training rows (a hybrid or "
                         "under-sampler): real+synthetic trains on its whole output, "
                         "with missing values imputed")
        if aug.X_syn is None:
            notes.append(f"{name}: cannot tell synthetic from real rows in its output; "
                         "no synthetic-only arm, fidelity or projection")

    def measure(self, name: str, X_syn: pd.DataFrame, y_syn: np.ndarray, data: Prepared,
                seed: int, *, ran_here: bool, quality: bool, rule_set: RuleSet | None) -> None:
        """Fidelity, projection and rare-class overlap of synthetic rows ``X_syn, y_syn``."""
        # compare with the rows the augmenter saw (imputed when it ran here)
        seen, holdout = ((data.X_impute, data.X_test_impute) if ran_here
                         else (data.X_train, data.X_test))
        self.fidelity[name] = fidelity(
            seen.assign(**{LABEL: data.y_train}), X_syn.assign(**{LABEL: y_syn}),
            holdout.assign(**{LABEL: data.y_test}), numeric=data.numeric,
            categorical=data.categorical, label=LABEL, quality=quality, random_state=seed,
            rules=rule_set)
        self.projections.append(projection(name, data.X_train, data.y_train, X_syn, y_syn,
                                           seed))
        self.diagnostics[name]["per_class"] = neighbour_overlap(
            data.X_train, data.y_train, X_syn, y_syn, self.rare, random_state=seed)


def _train_arms(grid: RunLog, name: str, aug: Augmented, seed: int,
                arms: Sequence[Arm]) -> None:
    """Every classifier on ``aug``'s training table and on its synthetic rows alone."""
    for clf in grid.factories:
        if "real+synthetic" in arms:
            grid.fit_score(name, "real+synthetic", clf, seed, aug.X, aug.y)
        if "synthetic-only" in arms and aug.X_syn is not None and aug.y_syn is not None:
            grid.fit_score(name, "synthetic-only", clf, seed, aug.X_syn, aug.y_syn)


def _result(grid: RunLog, found: _Found, config: dict[str, Any],
            seeds_vary: dict[str, str], n_boot: int) -> EvaluationResult:
    results = pd.DataFrame(grid.runs, columns=["augmenter", "arm", "classifier", "seed",
                                               "metric", "class", "value"])
    comparisons = compare(results, grid.predictions, exclude=sorted(grid.detectors),
                          seeds_vary=seeds_vary, n_boot=n_boot)
    coordinates = (pd.concat(found.projections, ignore_index=True) if found.projections
                   else pd.DataFrame(columns=["augmenter", "class", "kind", "x", "y"]))
    notes = grid.notes
    return EvaluationResult(results=results, confusion=grid.matrices,
                            class_counts=found.counts, fidelity=found.fidelity,
                            projection=coordinates, config=config,
                            notes=sorted(set(notes), key=notes.index),
                            predictions=grid.predictions, comparisons=comparisons,
                            diagnostics=found.diagnostics)


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
