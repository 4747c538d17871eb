"""The evaluation grid on a Dask cluster: one task per classifier and seed, merged into one
result.

:func:`iotforge.evaluation.evaluate.evaluate` derives every random choice of a run from its seed
(:func:`~iotforge.evaluation.evaluate.derive_seed`), so the runs of one seed (every augmenter,
arm and classifier) do not depend on the other seeds, and a classifier's runs do not
depend on the other classifiers (its model seed is derived from the seed and its name, the
augmenters' from the seed and theirs). :func:`evaluate_dask` runs ``evaluate`` once per
classifier and seed as a task (each task augments its seed's rows again: the arms of one
classifier share them, so they stay in one task) and merges the results the way
``evaluate`` assembles its own: per seed the classifiers' runs interleaved per augmenter,
then runs, confusion matrices and predictions in seed order, the class
counts, fidelity, projection and rare-class diagnostics of the first seed, the synthetic
counts and choices of every seed, the notes in order; the paired comparisons are then
computed once over all runs. The result equals the local engine's.

>>> from iotforge.evaluation.fanout import evaluate_dask  # doctest: +SKIP
>>> result = evaluate_dask(train, test, client, numeric=num, categorical=cat,
...                        classifiers=["random_forest"], seeds=[0, 1, 2])  # doctest: +SKIP
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from iotforge.curation.errors import UsageError

from .comparisons import compare
from .evaluate import EvaluationResult, evaluate

__all__ = ["evaluate_dask", "merge", "merge_classifiers"]


def evaluate_dask(train: pd.DataFrame, test: pd.DataFrame, client: Any, *,
                  seeds: Sequence[int] = (0, 1, 2),
                  classifiers: Sequence[str] | Mapping[str, Any] = ("random_forest",),
                  **kwargs: Any) -> EvaluationResult:
    """:func:`~iotforge.evaluation.evaluate.evaluate` with one Dask task per classifier and seed.

    Parameters
    ----------
    train, test
        As for ``evaluate``; sent to the cluster once.
    client
        A ``dask.distributed.Client``.
    seeds
        Replicate seeds.
    classifiers
        Names, or name -> ``seed -> model`` (picklable); one task per classifier and
        seed.
    **kwargs
        Every other argument of ``evaluate`` (a ``progress`` callback is not sent to
        the workers).
    """
    if not seeds:
        raise UsageError("expected at least one seed, found none")
    kwargs.pop("progress", None)
    names = list(classifiers)
    if not names:
        raise UsageError("expected at least one classifier, found none")

    def one(name: str) -> Any:
        return {name: classifiers[name]} if isinstance(classifiers, Mapping) else [name]

    train_f, test_f = client.scatter([train, test], broadcast=True)
    futures = [[client.submit(evaluate, train_f, test_f, seeds=[seed], classifiers=one(name),
                              pure=False, **kwargs) for name in names] for seed in seeds]
    parts: list[list[EvaluationResult]] = client.gather(futures)
    per_seed = [merge_classifiers(p, names) for p in parts]
    return merge(per_seed, list(seeds), stored_baseline=kwargs.get("baseline") is not None)


def merge_classifiers(parts: list[EvaluationResult], names: list[str]) -> EvaluationResult:
    """One seed's results, one part per classifier in ``names`` order, as ``evaluate``
    over every classifier gives them: per augmenter (``none`` first, then the configured
    order), each classifier's runs in turn. What does not depend on the classifier
    (class counts, fidelity, projection, diagnostics) is the first part's; the paired
    comparisons are left to :func:`merge`."""
    first = parts[0]
    if len(parts) == 1:
        return first
    aug_rank = {"none": 0, **{a: i + 1 for i, a in enumerate(first.config["augmenters"])}}
    clf_rank = {c: i for i, c in enumerate(names)}

    def rank(aug: Any, clf: Any) -> tuple[int, int]:
        return aug_rank.get(aug, len(aug_rank)), clf_rank.get(clf, len(clf_rank))

    results = pd.concat([p.results for p in parts], ignore_index=True)
    order = sorted(range(len(results)), key=lambda i: rank(results["augmenter"].iat[i],
                                                            results["classifier"].iat[i]))
    results = results.iloc[order].reset_index(drop=True)
    predictions = copy.deepcopy(first.predictions)
    for p in parts[1:]:
        predictions.merge(p.predictions)
    predictions.runs = dict(sorted(predictions.runs.items(),
                                   key=lambda kv: rank(kv[0][0], kv[0][2])))
    confusion = sorted((m for p in parts for m in p.confusion),
                       key=lambda m: rank(m["augmenter"], m["classifier"]))
    notes = [n for p in parts for n in p.notes]
    detectors = sorted({d for p in parts for d in p.config.get("detectors", [])})
    return EvaluationResult(
        results=results, confusion=confusion, class_counts=first.class_counts,
        fidelity=first.fidelity, projection=first.projection,
        config={**first.config, "classifiers": names, "detectors": detectors},
        notes=sorted(set(notes), key=notes.index), predictions=predictions,
        comparisons=first.comparisons, diagnostics=first.diagnostics)


def merge(parts: list[EvaluationResult], seeds: list[int], *,
          stored_baseline: bool = False) -> EvaluationResult:
    """One seed's results each, in seed order, as ``evaluate`` over all seeds gives them.

    A stored baseline's runs come first for every seed (``evaluate`` adds them before
    its loop over seeds), then each seed's own runs.
    """
    first = parts[0]

    def ordered(items: list[Any], is_baseline: Any) -> list[Any]:
        if not stored_baseline:
            return items
        return [x for x in items if is_baseline(x)] + [x for x in items if not is_baseline(x)]

    frames = [f for p in parts for f in (
        (p.results[p.results["augmenter"] == "none"], p.results[p.results["augmenter"] != "none"])
        if stored_baseline else (p.results,))]
    frames = ordered(frames, lambda f: len(f) and (f["augmenter"] == "none").all())
    results = pd.concat(frames, ignore_index=True)
    predictions = copy.deepcopy(first.predictions)
    for p in parts[1:]:
        predictions.merge(p.predictions)
    predictions.runs = {k: predictions.runs[k] for k in ordered(
        list(predictions.runs), lambda k: k[0] == "none")}
    detectors = sorted({d for p in parts for d in p.config.get("detectors", [])})
    diagnostics: dict[str, dict[str, Any]] = copy.deepcopy(first.diagnostics)
    for p in parts[1:]:
        for name, diag in p.diagnostics.items():
            mine = diagnostics.setdefault(name, {"synthetic_counts": {}, "chosen": {},
                                                 "per_class": {}})
            mine["synthetic_counts"].update(diag.get("synthetic_counts", {}))
            mine["chosen"].update(diag.get("chosen", {}))
    notes = [n for p in parts for n in p.notes]
    config = {**first.config, "seeds": seeds, "detectors": detectors}
    comparisons = compare(results, predictions, exclude=detectors,
                          seeds_vary=config.get("seeds_vary"), n_boot=config["n_boot"])
    return EvaluationResult(
        results=results,
        confusion=ordered([m for p in parts for m in p.confusion],
                          lambda m: m["augmenter"] == "none"),
        class_counts=first.class_counts, fidelity=first.fidelity,
        projection=first.projection, config=config,
        notes=sorted(set(notes), key=notes.index), predictions=predictions,
        comparisons=comparisons, diagnostics=diagnostics)
