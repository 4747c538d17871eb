"""Tables drawn from the tidy results: leaderboard, paired comparisons, rare-class recall.

All functions take the ``results`` frame of :func:`evaluation.evaluate.evaluate`
(augmenter, arm, classifier, seed, metric, class, value) and return small frames or
dicts the report and ``metrics.json`` show.

>>> import pandas as pd
>>> rows = [("none", "none", "rf", s, "macro_f1", "", v) for s, v in [(0, .8), (1, .7)]]
>>> rows += [("ros", "real+synthetic", "rf", s, "macro_f1", "", v) for s, v in [(0, .8), (1, .6)]]
>>> results = pd.DataFrame(rows, columns=COLUMNS)
>>> metrics_json(results)["ros"]["rf"]
{'macro_f1': 0.7, 'macro_f1_sd': 0.1414, 'delta_macro_f1': -0.05}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .metrics import paired_comparison

__all__ = ["COLUMNS", "compare", "detection_summary", "leaderboard", "metrics_json",
           "per_class_recall", "rare_class_recall", "recall_by_classifier", "run_label"]

COLUMNS = ["augmenter", "arm", "classifier", "seed", "metric", "class", "value"]
ALL_CLASSIFIERS = "all classifiers"
JSON_METRICS = ("macro_f1", "balanced_accuracy", "detection_rate", "false_positive_rate")
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


def compare(results: pd.DataFrame, metric: str = "macro_f1") -> pd.DataFrame:
    """Every augmenter arm against ``none``, paired by classifier and seed.

    One row per augmenter, arm and classifier, plus one row per augmenter and arm with
    classifier ``"all classifiers"``: the per-seed mean over classifiers, paired by seed
    (the seeds are the independent replicates; classifiers share the training rows).
    """
    rows = _overall(results, metric)
    base = rows[rows["arm"] == "none"].set_index(["classifier", "seed"])["value"]
    out: list[dict[str, Any]] = []
    treated_runs = rows[rows["arm"] != "none"]
    for (aug, arm), group in treated_runs.groupby(["augmenter", "arm"], sort=False):
        treated = group.set_index(["classifier", "seed"])["value"]
        common = treated.index.intersection(base.index)
        if common.empty:
            continue
        pairs = pd.DataFrame({"base": base[common], "treated": treated[common]})
        subject = run_label(str(aug), str(arm))
        for clf, sub in pairs.groupby(level="classifier", sort=False):
            r = paired_comparison(sub["base"], sub["treated"])
            out.append({"augmenter": aug, "arm": arm, "classifier": clf, **r.to_dict(),
                        "sentence": r.sentence(f"{subject} with {clf}", _name(metric))})
        per_seed = pairs.groupby(level="seed").mean()
        r = paired_comparison(per_seed["base"], per_seed["treated"])
        n_clf = pairs.index.get_level_values("classifier").nunique()
        out.append({"augmenter": aug, "arm": arm, "classifier": ALL_CLASSIFIERS, **r.to_dict(),
                    "sentence": r.sentence(subject, f"{_name(metric)} (mean of {n_clf} "
                                           "classifiers)")})
    columns = ["augmenter", "arm", "classifier", "n", "mean_diff", "sd_diff", "ci_low",
               "ci_high", "wilcoxon_p", "wins", "losses", "ties", "verdict", "sentence"]
    return pd.DataFrame(out, columns=columns)


def _name(metric: str) -> str:
    return {"macro_f1": "macro-F1", "balanced_accuracy": "balanced accuracy"}.get(metric, metric)


def per_class_recall(results: pd.DataFrame) -> pd.DataFrame:
    """Recall per class, run and classifier, mean over seeds (the ``dvc plots`` table)."""
    rows = results[(results["metric"] == "recall") & (results["class"] != "")]
    table = (rows.groupby(["class", "augmenter", "arm", "classifier"], sort=False)["value"]
             .mean().reset_index().rename(columns={"value": "recall"}))
    table.insert(1, "run", [run_label(a, b) for a, b in zip(table["augmenter"], table["arm"],
                                                              strict=True)])
    return table.drop(columns=["augmenter", "arm"])


def rare_class_recall(results: pd.DataFrame, train_counts: Mapping[str, int],
                      n_rare: int = 5) -> pd.DataFrame:
    """Mean recall (over classifiers and seeds) of the ``n_rare`` rarest training classes.

    Rows are runs (``none``, ``smote (real+synthetic)``, ...), columns the classes,
    rarest first.
    """
    table = per_class_recall(results)
    present = set(table["class"])
    rare = [c for c in sorted(train_counts, key=lambda c: (train_counts[c], c))
            if c in present][:n_rare]
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


def metrics_json(results: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """``{augmenter: {classifier: {metric: value}}}`` for ``dvc metrics show``.

    ``none`` is the baseline; an augmenter's numbers are its real+synthetic arm, with
    ``delta_macro_f1`` against ``none`` and ``synthetic_only_macro_f1`` when that arm ran.
    An anomaly detector has ``detection_rate`` and ``false_positive_rate`` and no
    macro-F1.
    Values are means over seeds rounded to 4 places. DVC joins nested keys with dots, so
    dots in names become underscores (``smote:power:0.5`` -> ``smote:power:0_5``).
    """
    out: dict[str, dict[str, dict[str, float]]] = {}
    overall = results[results["class"] == ""]
    means = overall.groupby(["augmenter", "arm", "classifier", "metric"])["value"]
    mean, sd = means.mean(), means.std(ddof=1)
    for (aug, arm, clf, metric), value in mean.items():
        if metric not in JSON_METRICS or arm == "synthetic-only":
            continue
        entry = out.setdefault(_key(aug), {}).setdefault(_key(clf), {})
        entry[metric] = _r(value)
        if metric == "macro_f1":
            spread = sd.get((aug, arm, clf, metric))
            entry["macro_f1_sd"] = _r(spread) if spread is not None and np.isfinite(spread) else 0.0
            if arm != "none" and ("none", "none", clf, metric) in mean.index:
                entry["delta_macro_f1"] = _r(value - mean[("none", "none", clf, metric)])
    for (aug, arm, clf, metric), value in mean.items():
        if arm == "synthetic-only" and metric == "macro_f1":
            out.setdefault(_key(aug), {}).setdefault(_key(clf), {})[
                "synthetic_only_macro_f1"] = _r(value)
    return out
