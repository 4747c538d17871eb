"""Every augmenter arm against no augmentation: macro-F1 and each class's recall.

:func:`compare` gives one row per augmenter, arm, classifier (plus ``all classifiers``,
the mean over classifiers), metric and class, with the observed means, their
difference, its 95 % interval, what the interval covers and the verdict: ``helped``,
``hurt``, ``no detectable difference`` or ``untested``.

When the per-row test predictions are stored (every evaluation since they were), the
interval is the paired bootstrap over test rows and seeds
(:func:`iotforge.curation.bootstrap.paired_bootstrap`). Results without predictions fall back
to the t interval of the per-seed macro-F1 differences, which has little power with
3 to 5 seeds; the ``test`` column says which was used.

>>> import pandas as pd
>>> from iotforge.evaluation.summary import COLUMNS
>>> rows = [("none", "none", "rf", s, "macro_f1", "", .7) for s in range(5)]
>>> rows += [("ros", "real+synthetic", "rf", s, "macro_f1", "", .75 + s / 1000)
...          for s in range(5)]
>>> table = compare(pd.DataFrame(rows, columns=COLUMNS))
>>> table.loc[table["classifier"] == "all classifiers", ["test", "verdict"]].values.tolist()
[['t interval over seeds', 'helped']]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.bootstrap import MIN_CLASS_ROWS, paired_bootstrap

from .bootstrap import describe_scope
from .metrics import paired_comparison
from .predictions import Predictions
from .summary import ALL_CLASSIFIERS, run_label

__all__ = ["BOOTSTRAP", "COMPARISON_COLUMNS", "NO_EFFECT", "SYNTHETIC_ONLY",
           "SYNTHETIC_ONLY_MEASURES", "T_TEST", "compare", "sentence"]

COMPARISON_COLUMNS = ["augmenter", "arm", "classifier", "metric", "class", "n_seeds",
                      "n_test", "baseline", "treated", "diff", "ci_low", "ci_high",
                      "seed_sd", "verdict", "test", "covers"]
BOOTSTRAP = "paired bootstrap"
SYNTHETIC_ONLY = "synthetic-only"
SYNTHETIC_ONLY_MEASURES = ("trained on the synthetic rows alone, which hold only the classes "
                           "the augmenter grew (no normal rows), so it measures whether they "
                           "carry those classes, not a detector; its per-class recall is "
                           "not compared")
"""What the synthetic-only arm measures. A classifier that never saw ``normal`` calls
every test row an attack, so attack recall soars ("r2l helped +0.520") while the model
is useless: only its macro-F1 is compared with no augmentation."""
T_TEST = "t interval over seeds"
NO_EFFECT = "the seeds changed no prediction, so only the test rows vary"


def compare(results: pd.DataFrame, predictions: Predictions | None = None, *,
            exclude: Sequence[str] = (), seeds_vary: Mapping[str, str] | None = None,
            n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
    """Every augmenter arm against ``none`` (see the module docstring).

    Parameters
    ----------
    results
        The tidy results (for the fallback when ``predictions`` has no runs).
    predictions
        Stored test predictions; the bootstrap runs on them.
    exclude
        Classifiers left out (anomaly detectors: they predict no class).
    seeds_vary
        Augmenter -> what its seeds vary, in words (``"classifier and augmenter
        seeds"``), for the ``covers`` column.
    n_boot, random_state
        Resamples and their seed.
    """
    if predictions is not None and predictions.runs:
        table = _bootstrap(predictions, exclude=set(exclude), seeds_vary=seeds_vary or {},
                           n_boot=n_boot, random_state=random_state)
    else:
        table = _per_seed(results[~results["classifier"].isin(list(exclude))])
    return table


def _bootstrap(predictions: Predictions, *, exclude: set[str], seeds_vary: Mapping[str, str],
               n_boot: int, random_state: int) -> pd.DataFrame:
    none = {(k[2], k[3]): v for k, v in predictions.runs.items() if k[1] == "none"}
    groups: dict[tuple[str, str], dict[tuple[str, int], np.ndarray]] = {}
    for key, codes in predictions.runs.items():
        if key[1] != "none" and key[2] not in exclude:
            groups.setdefault((key[0], key[1]), {})[(key[2], key[3])] = codes
    y = predictions.y_true
    out: list[dict[str, Any]] = []
    for (aug, arm), runs in groups.items():
        seeds_of: dict[str, list[int]] = {}
        for clf, seed in runs:
            if (clf, seed) in none:
                seeds_of.setdefault(clf, []).append(seed)
        if not seeds_of:
            continue
        common = sorted(set.intersection(*(set(s) for s in seeds_of.values())))
        batches = ([(list(seeds_of), common)] if common
                   else [([c], sorted(s)) for c, s in seeds_of.items()])
        for clfs, seeds in batches:
            base = np.stack([[none[(c, s)] for s in seeds] for c in clfs])
            treated = np.stack([[runs[(c, s)] for s in seeds] for c in clfs])
            vary = seeds_vary.get(aug, "classifier seeds")
            if len(seeds) > 1 and all(np.array_equal(a[c, 0], a[c, s]) for a in (base, treated)
                                      for c in range(len(clfs)) for s in range(len(seeds))):
                vary = NO_EFFECT
            r = paired_bootstrap(y, base, treated, n_labels=len(predictions.labels),
                                 n_boot=n_boot, random_state=random_state)
            covers = describe_scope(len(y), len(seeds), n_boot, vary)
            targets: list[tuple[str, int | None]] = [(c, i) for i, c in enumerate(clfs)]
            if len(batches) == 1:
                targets.append((ALL_CLASSIFIERS, None))
            for clf, index in targets:
                for metric in r.metrics:
                    if arm == SYNTHETIC_ONLY and metric != "macro_f1":
                        continue  # see SYNTHETIC_ONLY: per-class recall would mislead
                    s = r.summary(metric, index)
                    name, _, code = metric.partition(":")
                    cls = predictions.labels[int(code)] if code else ""
                    out.append({"augmenter": aug, "arm": arm, "classifier": clf,
                                "metric": name, "class": cls, "n_seeds": len(seeds),
                                "n_test": r.n_rows[metric], "baseline": s.baseline,
                                "treated": s.treated, "diff": s.diff, "ci_low": s.ci_low,
                                "ci_high": s.ci_high, "seed_sd": s.seed_sd,
                                "verdict": s.verdict, "test": BOOTSTRAP, "covers": covers})
    return pd.DataFrame(out, columns=COMPARISON_COLUMNS)


def _per_seed(results: pd.DataFrame) -> pd.DataFrame:
    rows = results[(results["metric"] == "macro_f1") & (results["class"] == "")]
    base = rows[rows["arm"] == "none"].set_index(["classifier", "seed"])["value"]
    out: list[dict[str, Any]] = []
    for (aug, arm), group in rows[rows["arm"] != "none"].groupby(["augmenter", "arm"],
                                                                 sort=False):
        treated = group.set_index(["classifier", "seed"])["value"]
        common = treated.index.intersection(base.index)
        if common.empty:
            continue
        pairs = pd.DataFrame({"base": base[common], "treated": treated[common]})
        parts = [(str(c), sub) for c, sub in pairs.groupby(level="classifier", sort=False)]
        parts.append((ALL_CLASSIFIERS, pairs.groupby(level="seed").mean()))
        for clf, sub in parts:
            r = paired_comparison(sub["base"], sub["treated"])
            out.append({"augmenter": aug, "arm": arm, "classifier": clf, "metric": "macro_f1",
                        "class": "", "n_seeds": r.n, "n_test": math.nan,
                        "baseline": float(sub["base"].mean()),
                        "treated": float(sub["treated"].mean()), "diff": r.mean_diff,
                        "ci_low": r.ci_low, "ci_high": r.ci_high, "seed_sd": r.sd_diff,
                        "verdict": r.verdict, "test": T_TEST,
                        "covers": f"{r.n} seeds (no test predictions stored, so test rows "
                                  "are not resampled)"})
    return pd.DataFrame(out, columns=COMPARISON_COLUMNS)


def _signed(x: Any) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else \
        f"{x:+.3f}".replace("-", "−")


def sentence(row: Mapping[str, Any], n_classifiers: int | None = None) -> str:
    """One plain sentence for a row of :func:`compare`.

    >>> text = sentence({"augmenter": "smote", "arm": "real+synthetic", "classifier": "rf",
    ...                  "metric": "recall", "class": "xss", "diff": 0.1, "ci_low": 0.02,
    ...                  "ci_high": 0.18, "verdict": "helped", "n_test": 40, "covers": "…"})
    >>> for part in text.split(": "):
    ...     print(part)
    smote (real+synthetic) with rf helped the recall of xss over no augmentation
    +0.100, 95% interval [+0.020, +0.180] (…).
    """
    subject = run_label(str(row["augmenter"]), str(row["arm"]))
    if row["arm"] == SYNTHETIC_ONLY:
        subject += f" ({SYNTHETIC_ONLY_MEASURES})"
    if row["classifier"] != ALL_CLASSIFIERS:
        subject += f" with {row['classifier']}"
    metric = "macro-F1" if row["metric"] == "macro_f1" else f"the recall of {row['class']}"
    if row["classifier"] == ALL_CLASSIFIERS and n_classifiers:
        metric += f" (mean of {n_classifiers} classifier{'s' if n_classifiers != 1 else ''})"
    numbers = (f"{_signed(row['diff'])}, 95% interval [{_signed(row['ci_low'])}, "
               f"{_signed(row['ci_high'])}] ({row['covers']})")
    verdict = row["verdict"]
    if verdict in ("helped", "hurt"):
        return f"{subject} {verdict} {metric} over no augmentation: {numbers}."
    if verdict == "untested":
        if row["metric"] == "recall":
            return (f"{subject}: {metric} not tested, {int(row['n_test'])} test rows of "
                    f"{row['class']} (fewer than {MIN_CLASS_ROWS}).")
        return f"{subject}: {metric} not tested, one seed and no stored test predictions."
    return (f"{subject}: no detectable difference in {metric} over no augmentation: "
            f"{numbers}; the interval includes 0.")
