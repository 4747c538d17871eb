"""Classification metrics and the paired comparison against no augmentation.

Per class: precision, recall, F1 and support; overall: macro-F1, balanced accuracy
(the mean per-class recall) and accuracy, all over the classes present in the test
split, so a class the model predicts but the test split lacks costs precision
elsewhere and adds no zero-recall term.

The comparison pairs runs that differ only in the training data: the same classifier,
the same seed, with and without augmentation. With the usual three to five seeds no
test has much power, so :func:`paired_comparison` reports the mean difference, its
spread, a t-based 95 % interval, the Wilcoxon signed-rank p-value and the win/loss
count, and calls a difference "helped" or "hurt" only when the interval excludes
zero; everything else is "no detectable difference". It is the fallback for results
without stored test predictions; :mod:`iotforge.evaluation.bootstrap` resamples test rows too.

>>> r = paired_comparison([0.80, 0.82, 0.81], [0.70, 0.73, 0.71])
>>> r.verdict, round(r.mean_diff, 3), r.wins
('hurt', -0.097, 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

import numpy as np
from iotforge.curation.bootstrap import verdict

from ._typing import Verdict

__all__ = ["Labels", "PairedComparison", "classification_metrics", "confusion",
           "paired_comparison"]

Labels: TypeAlias = Sequence[Any] | np.ndarray
"""Class labels of rows: a list, a pandas Series or a NumPy array."""


def confusion(y_true: Labels, y_pred: Labels, labels: Sequence[Any]) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class, in ``labels`` order.

    Predictions outside ``labels`` are dropped from the matrix (they still count in
    :func:`classification_metrics`).

    Examples
    --------
    >>> confusion(["a", "a", "b"], ["a", "b", "b"], ["a", "b"]).tolist()
    [[1, 1], [0, 1]]
    """
    index = {c: i for i, c in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            m[index[t], index[p]] += 1
    return m


def classification_metrics(y_true: Labels, y_pred: Labels,
                           labels: Sequence[Any] | None = None) -> dict[str, Any]:
    """Per-class and overall metrics of one run.

    Parameters
    ----------
    y_true, y_pred
        True and predicted labels of the test rows.
    labels
        Classes to report (default: the classes in ``y_true``, sorted).

    Returns
    -------
    dict
        ``per_class``: class -> {precision, recall, f1, support}; ``macro_f1``,
        ``balanced_accuracy``, ``accuracy``; ``labels``.

    Examples
    --------
    >>> m = classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> m["per_class"]["a"]["recall"], round(m["per_class"]["b"]["precision"], 3)
    (0.5, 0.667)
    >>> round(m["macro_f1"], 3), m["balanced_accuracy"]
    (0.733, 0.75)
    """
    t = np.asarray(y_true, dtype=object)
    p = np.asarray(y_pred, dtype=object)
    if labels is None:
        labels = sorted(set(t.tolist()), key=str)
    per_class: dict[Any, dict[str, float]] = {}
    for c in labels:
        tp = float(np.sum((t == c) & (p == c)))
        predicted, actual = float(np.sum(p == c)), float(np.sum(t == c))
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[c] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    present = [c for c in labels if per_class[c]["support"] > 0]
    return {
        "labels": list(labels),
        "per_class": per_class,
        "macro_f1": float(np.mean([per_class[c]["f1"] for c in present])) if present else 0.0,
        "balanced_accuracy": (float(np.mean([per_class[c]["recall"] for c in present]))
                              if present else 0.0),
        "accuracy": float(np.mean(t == p)) if len(t) else 0.0,
    }


@dataclass(frozen=True)
class PairedComparison:
    """Treated minus baseline over paired runs (seeds)."""

    n: int
    mean_diff: float
    sd_diff: float
    ci_low: float
    ci_high: float
    wilcoxon_p: float
    wins: int
    losses: int
    ties: int
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in asdict(self).items()}

    def sentence(self, subject: str, metric: str = "macro-F1",
                 baseline: str = "no augmentation", unit: str = "seeds") -> str:
        """One plain sentence, e.g. "smote hurt macro-F1 over no augmentation (...)"."""
        units = unit if self.n != 1 else unit.removesuffix("s")
        spread = (f"mean diff {_signed(self.mean_diff)} ± {self.sd_diff:.3f} (sd) over "
                  f"{self.n} {units}")
        if self.n >= 2:
            spread += f", 95% CI [{_signed(self.ci_low)}, {_signed(self.ci_high)}]"
        if not math.isnan(self.wilcoxon_p):
            spread += f", Wilcoxon p = {self.wilcoxon_p:.2f}"
        if self.verdict in ("helped", "hurt"):
            return f"{subject} {self.verdict} {metric} over {baseline} ({spread})."
        if self.verdict == "untested":
            return (f"{subject}: {metric} versus {baseline} cannot be tested with one seed "
                    f"({spread}).")
        return f"{subject}: no detectable difference in {metric} over {baseline} ({spread})."


def _signed(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:+.3f}".replace("-", "−")


def paired_comparison(baseline: Sequence[float], treated: Sequence[float],
                      *, confidence: float = 0.95) -> PairedComparison:
    """Compare ``treated`` with ``baseline`` run by run (same order = same seed).

    The interval is the t interval of the mean difference (``n - 1`` degrees of
    freedom); with fewer than two pairs the verdict is ``untested``. The Wilcoxon
    p-value is two-sided and NaN when every difference is zero or ``n < 2``; note its
    floor: with 3 pairs it cannot go below 0.25, with 5 pairs below 0.0625.

    Examples
    --------
    >>> paired_comparison([0.5], [0.6]).verdict
    'untested'
    >>> paired_comparison([0.5, 0.6, 0.7], [0.5, 0.6, 0.7]).verdict
    'no detectable difference'
    """
    from scipy import stats

    b = np.asarray(baseline, dtype=float)
    t = np.asarray(treated, dtype=float)
    if b.shape != t.shape:
        raise ValueError(f"expected paired runs, found {len(b)} baseline and {len(t)} treated")
    d = t - b
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n >= 2 else 0.0
    lo = hi = p = math.nan
    if n >= 2:
        half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
        lo, hi = mean - half, mean + half
        if np.any(d != 0):
            p = float(stats.wilcoxon(d, zero_method="zsplit").pvalue)
    return PairedComparison(n=n, mean_diff=mean, sd_diff=sd, ci_low=lo, ci_high=hi,
                            wilcoxon_p=p, wins=int(np.sum(d > 0)), losses=int(np.sum(d < 0)),
                            ties=int(np.sum(d == 0)), verdict=verdict(lo, hi, tested=n >= 2))
