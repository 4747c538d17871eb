"""Tables drawn from the tidy results: leaderboard, rare-class recall, metrics.json.

All functions take the ``results`` frame of :func:`iotforge.evaluation.evaluate.evaluate`
(augmenter, arm, classifier, seed, metric, class, value) and return small frames or
dicts the report and ``metrics.json`` show. The comparisons against no augmentation
are in :mod:`iotforge.evaluation.comparisons`.

>>> import pandas as pd
>>> rows = [("none", "none", "rf", s, "macro_f1", "", v) for s, v in [(0, .8), (1, .7)]]
>>> rows += [("ros", "real+synthetic", "rf", s, "macro_f1", "", v) for s, v in [(0, .8), (1, .6)]]
>>> rows += [("ros", "real+synthetic", "rf", s, "recall", "u2r", v) for s, v in [(0, .5), (1, 0)]]
>>> metrics_json(pd.DataFrame(rows, columns=COLUMNS))
{'rf': {'macro_f1': 0.7, 'recall_u2r': 0.25}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .diagnostics import rare_classes

__all__ = ["ALL_CLASSIFIERS", "COLUMNS", "JSON_METRICS", "detection_summary", "leaderboard",
           "metrics_json", "per_class_recall", "rare_class_recall", "recall_by_classifier",
           "run_label"]

COLUMNS = ["augmenter", "arm", "classifier", "seed", "metric", "class", "value"]
ALL_CLASSIFIERS = "all classifiers"
JSON_METRICS = ("macro_f1", "detection_rate", "false_positive_rate")
"""Overall metrics in ``metrics.json`` (the last two: anomaly detectors only)."""


def run_label(augmenter: str, arm: str) -> str:
    """``none`` or ``augmenter (arm)``.

    >>> run_label("smote", "real+synthetic")
    'smote (real+synthetic)'
    """
    return "none" if arm == "none" else f"{augmenter} ({arm})"


def _overall(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    return results[(results["metric"] == metric) & (results["class"] == "")]


def leaderboard(results: pd.DataFrame, metric: str = "macro_f1") -> pd.DataFrame:
    """Mean, sd and n over seeds per augmenter, arm and classifier, best mean first."""
    rows = _overall(results, metric)
    table = (rows.groupby(["augmenter", "arm", "classifier"], sort=False)["value"]
             .agg(mean="mean", sd=lambda v: float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                  n="count")
             .reset_index())
    return table.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)


def per_class_recall(results: pd.DataFrame) -> pd.DataFrame:
    """Recall per class, run and classifier, mean over seeds (the ``dvc plots`` table)."""
    rows = results[(results["metric"] == "recall") & (results["class"] != "")]
    table = (rows.groupby(["class", "augmenter", "arm", "classifier"], sort=False)["value"]
             .mean().reset_index().rename(columns={"value": "recall"}))
    table.insert(1, "run", [run_label(a, b) for a, b in zip(table["augmenter"], table["arm"],
                                                              strict=True)])
    return table.drop(columns=["augmenter", "arm"])


def rare_class_recall(results: pd.DataFrame, train_counts: Mapping[str, int],
                      rare: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean recall (over classifiers and seeds) of the rare classes (default:
    :func:`iotforge.evaluation.diagnostics.rare_classes` of ``train_counts``).

    Rows are runs (``none``, ``smote (real+synthetic)``, ...), columns the classes,
    rarest first.
    """
    table = per_class_recall(results)
    present = set(table["class"])
    rare = [c for c in (rare_classes(train_counts) if rare is None else rare)
            if c in present]
    if not rare:
        return pd.DataFrame()
    wide = (table[table["class"].isin(rare)].groupby(["run", "class"], sort=False)["recall"]
            .mean().unstack("class"))
    order = ["none", *[r for r in wide.index if r != "none"]]
    return wide.reindex(index=[r for r in order if r in wide.index], columns=rare)


def recall_by_classifier(results: pd.DataFrame, train_counts: Mapping[str, int]
                         ) -> dict[str, pd.DataFrame]:
    """Per run without synthetic-only arms (``none``, ``smote (real+synthetic)``, ...): recall
    of every class (rows, rarest training class first) by classifier (columns), mean over
    seeds. A detector's recall of an attack class is its detection rate."""
    table = per_class_recall(results)
    if table.empty:
        return {}
    table = table[~table["run"].astype(str).str.endswith("(synthetic-only)")]
    order = sorted(set(table["class"]), key=lambda c: (train_counts.get(c, 0), c))
    classifiers = list(dict.fromkeys(results["classifier"]))
    out: dict[str, pd.DataFrame] = {}
    for run in ["none", *sorted(set(table["run"]) - {"none"})]:
        sub = table[table["run"] == run]
        if not sub.empty:
            wide = sub.pivot_table(index="class", columns="classifier", values="recall")
            out[run] = wide.reindex(index=[c for c in order if c in wide.index],
                                    columns=[c for c in classifiers if c in wide.columns])
    return out


def detection_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Anomaly detectors: detection rate, false-positive rate and balanced accuracy per
    run and detector, mean over seeds (empty when no detector ran)."""
    rows = results[(results["class"] == "")
                   & results["metric"].isin(["detection_rate", "false_positive_rate"])]
    detectors = set(rows["classifier"])
    rows = results[(results["class"] == "") & results["classifier"].isin(detectors)
                   & results["metric"].isin(["detection_rate", "false_positive_rate",
                                             "balanced_accuracy"])]
    if rows.empty:
        return pd.DataFrame(columns=["run", "classifier", "detection_rate",
                                     "false_positive_rate", "balanced_accuracy"])
    table = (rows.groupby(["augmenter", "arm", "classifier", "metric"], sort=False)["value"]
             .mean().unstack("metric").reset_index())
    table.insert(0, "run", [run_label(a, b) for a, b in zip(table["augmenter"], table["arm"],
                                                              strict=True)])
    return table.drop(columns=["augmenter", "arm"])


def _key(name: Any) -> str:
    return str(name).replace(".", "_")


def _r(x: float) -> float:
    return round(float(x), 4)


def metrics_json(results: pd.DataFrame,
                 classes: Sequence[str] | None = None) -> dict[str, Any]:
    """The numbers a user compares across runs, for ``dvc metrics show``.

    Per classifier: ``macro_f1`` and ``recall_<class>`` of every class (or of
    ``classes``), means
    over seeds rounded to 4 places (an anomaly detector: ``detection_rate`` and
    ``false_positive_rate`` instead of macro-F1). With one run besides ``none`` (an
    augmenter's real+synthetic arm) or ``none`` alone, the file is flat,
    ``{classifier: {metric: value}}``, so every evaluation stage's file has the same
    keys; with several augmenters it is ``{augmenter: {classifier: {...}}}``
    (``none`` for the baseline). DVC joins nested keys with dots, so dots in names
    become underscores (``smote:power:0.5`` -> ``smote:power:0_5``). Synthetic-only
    arms, spreads and comparisons are in the other outputs.
    """
    arms = results[results["arm"] != "synthetic-only"]
    mean = arms.groupby(["augmenter", "arm", "classifier", "metric", "class"],
                        sort=False)["value"].mean()
    out: dict[str, dict[str, dict[str, float]]] = {}
    every = sorted({str(c) for c in arms.loc[arms["metric"] == "recall", "class"]} - {""})
    wanted = {(m, "") for m in JSON_METRICS} | {("recall", str(c))
                                                for c in (every if classes is None else classes)}
    for (aug, _arm, clf, metric, cls), value in mean.items():
        if (metric, cls) not in wanted:
            continue
        name = metric if not cls else f"recall_{_key(cls)}"
        out.setdefault(_key(aug), {}).setdefault(_key(clf), {})[name] = _r(value)
    treated = [a for a in out if a != "none"]
    if len(treated) == 1:
        return out[treated[0]]
    if not treated and "none" in out:
        return out["none"]
    return out
