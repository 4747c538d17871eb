"""Paired bootstrap over rows and seeds: did augmentation help, hurt, or neither?

The one implementation of the statistics both the evaluation
(:mod:`iotforge.evaluation.comparisons`, on test rows and replicate seeds) and
:class:`~iotforge.augment.AutoAugmenter` (on out-of-fold predictions of the training rows
and cross-validation repeats) decide with; it lives in ``curation`` because both
``augment`` and ``evaluation`` may import ``curation`` (ARCHITECTURE.md).

A comparison pairs runs that differ only in their training rows: the same classifier
and seed with and without synthetic rows (``none``), both predicting the same real test
rows. With S seeds, one resample

1. draws, per true class, as many test rows as the class has, with replacement
   (stratified: every class keeps its size, so rare classes are always present);
2. draws S seeds with replacement (with one seed, none);
3. computes metric(treated) − metric(baseline) on the drawn rows for each drawn seed
   (the same rows for both arms and every seed: paired) and averages over the seeds
   (and, for the pooled comparison, over classifiers).

The 95 % interval is the 2.5th to 97.5th percentile of ``n_boot`` such differences,
so it covers test-row sampling and whatever the seeds vary: the classifier's seed and,
where the synthetic rows are drawn again per seed, the augmenter's seed. A comparison
``helped`` when the interval lies above zero, ``hurt`` when below, and otherwise shows
``no detectable difference``. A class with fewer than :data:`MIN_CLASS_ROWS` test rows
is ``untested``: a percentile interval from a handful of rows is too narrow to trust.

Metrics come from confusion counts: a resample is a count per row (how often it was
drawn), and its confusion matrix is the rows' cells weighted by those counts (one sparse
product), so a thousand resamples of tens of thousands of rows take seconds.

**Units.** With ``units`` (one code per row, equal for rows that are one observation,
e.g. identical feature rows), step 1 draws, per class, the class's units with
replacement, as many as it has, each drawn unit with all its rows: a cluster bootstrap.
With a unit per row this is the row bootstrap; with ``m`` copies of every row, each in
its row's unit, it gives the interval of the rows alone, where the row bootstrap of the
copies would be about ``sqrt(m)`` times too narrow. :class:`~iotforge.augment.AutoAugmenter`
passes the units of its folds (identical feature rows); the evaluation resamples test
rows (docs/evaluation.md says why).

>>> rng = np.random.default_rng(0)
>>> y = np.repeat([0, 1], [300, 40])
>>> noisy = lambda p: np.where(rng.random((3, len(y))) < p, y, 1 - y)  # 3 seeds
>>> r = paired_bootstrap(y, noisy(0.80)[None], noisy(0.95)[None], n_labels=2)
>>> r.summary("macro_f1").verdict, r.summary("recall:1").verdict
('helped', 'helped')
>>> r = paired_bootstrap(y, noisy(0.9)[None], noisy(0.9)[None], n_labels=2)
>>> r.summary("macro_f1").verdict
'no detectable difference'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["MIN_CLASS_ROWS", "BootstrapResult", "Interval", "Verdict", "confusion_scores",
           "paired_bootstrap", "verdict"]

Verdict = Literal["helped", "hurt", "no detectable difference", "untested"]
"""Outcome of a paired comparison against no augmentation: the interval of the
difference lies above zero, below zero, includes zero, or there was too little to
test (one seed, or too few test rows of a class)."""

MIN_CLASS_ROWS = 10
"""Fewest test rows of a class for a verdict on its recall."""

_CELLS_PER_CHUNK = 2_000_000  # resampling weights held at once (16 MB)


@dataclass(frozen=True)
class Interval:
    """One comparison: observed means, their difference and its bootstrap interval."""

    baseline: float
    treated: float
    diff: float
    ci_low: float
    ci_high: float
    seed_sd: float
    verdict: Verdict


@dataclass
class BootstrapResult:
    """Observed per-seed values and bootstrap draws of every metric.

    ``metrics`` names the columns: ``macro_f1`` and ``recall:K`` for class code K.
    ``base`` and ``treated``: observed values, shape (classifiers, seeds, metrics);
    ``draws``: per resample and classifier the mean-over-drawn-seeds difference, shape
    (n_boot, classifiers, metrics); ``n_rows``: test rows per metric's class (all
    rows for macro-F1).
    """

    metrics: list[str]
    base: np.ndarray
    treated: np.ndarray
    draws: np.ndarray
    n_rows: dict[str, int]
    confidence: float

    def summary(self, metric: str, classifier: int | None = None) -> Interval:
        """The comparison of one classifier (index), or pooled over every classifier
        (``None``: the mean of the classifiers' differences)."""
        m = self.metrics.index(metric)
        pick = slice(None) if classifier is None else slice(classifier, classifier + 1)
        base, treated = self.base[pick, :, m], self.treated[pick, :, m]
        per_seed = (treated - base).mean(axis=0)
        draws = self.draws[:, pick, m].mean(axis=1)
        tail = (1 - self.confidence) / 2
        lo, hi = (float(v) for v in np.quantile(draws, [tail, 1 - tail]))
        diff = float(per_seed.mean())
        sd = float(per_seed.std(ddof=1)) if len(per_seed) > 1 else 0.0
        return Interval(baseline=float(base.mean()), treated=float(treated.mean()),
                        diff=diff, ci_low=lo, ci_high=hi, seed_sd=sd,
                        verdict=verdict(lo, hi, tested=self.n_rows[metric] >= MIN_CLASS_ROWS))


def confusion_scores(counts: np.ndarray, present: np.ndarray, classes: Sequence[int]
                     ) -> np.ndarray:
    """Macro-F1 over the labels ``present`` and the recall of each of ``classes``, one
    row per confusion matrix of ``counts`` (``(b, L, L)``: true label, predicted label).

    >>> counts = np.array([[[3, 1], [0, 4]]])
    >>> confusion_scores(counts, np.array([0, 1]), [1]).round(3).tolist()
    [[0.873, 1.0]]
    """
    actual, predicted = counts.sum(axis=2), counts.sum(axis=1)
    tp = np.diagonal(counts, axis1=1, axis2=2)
    denom = actual + predicted
    f1 = np.divide(2.0 * tp, denom, out=np.zeros(tp.shape), where=denom > 0)
    out = [f1[:, present].mean(axis=1)]
    out += [tp[:, k] / np.maximum(actual[:, k], 1) for k in classes]
    return np.column_stack(out)


def paired_bootstrap(y_true: np.ndarray, baseline: np.ndarray, treated: np.ndarray, *,
                     n_labels: int, classes: Sequence[int] | None = None,
                     n_boot: int = 1000, confidence: float = 0.95,
                     resample_seeds: bool = True, random_state: int = 0,
                     units: np.ndarray | None = None) -> BootstrapResult:
    """Bootstrap the paired differences of macro-F1 and per-class recall.

    Parameters
    ----------
    y_true
        True class codes of the test rows, shape (n,).
    baseline, treated
        Predicted class codes, shape (classifiers, seeds, n): the same classifier and
        seed at the same position in both.
    n_labels
        Number of codes (every true and predicted code is below it).
    classes
        Class codes whose recall to compare (default: every class in ``y_true``).
    n_boot
        Resamples.
    confidence
        Coverage of the percentile interval.
    resample_seeds
        Also resample the seeds (with replacement); otherwise every resample averages
        over all of them.
    random_state
        Seed of the resampling.
    units
        One code per test row; rows of one code (and class) are resampled together
        (module docstring). None: every row its own unit.

    Returns
    -------
    BootstrapResult
        ``summary("macro_f1")``, ``summary("recall:K")``, per classifier or pooled.
    """
    y = np.asarray(y_true, dtype=np.int64)
    base = np.asarray(baseline, dtype=np.int64)
    treat = np.asarray(treated, dtype=np.int64)
    if base.shape != treat.shape or base.ndim != 3 or base.shape[2] != len(y):
        raise ValueError(f"expected baseline and treated of shape (classifiers, seeds, "
                         f"{len(y)}), found {base.shape} and {treat.shape}")
    if n_boot < 1:
        raise ValueError(f"expected n_boot >= 1, found {n_boot}")
    present = np.unique(y)
    classes = list(present) if classes is None else [int(k) for k in classes]
    n_clf, n_seeds, n = base.shape
    names = ["macro_f1", *[f"recall:{k}" for k in classes]]
    counts = np.bincount(y, minlength=n_labels)
    n_rows = {"macro_f1": n, **{f"recall:{k}": int(counts[k]) for k in classes}}

    def observed(predicted: np.ndarray) -> np.ndarray:
        """Scores on every row: (classifiers, seeds, M)."""
        cells = np.stack([np.bincount(y * n_labels + p, minlength=n_labels * n_labels)
                          for p in predicted.reshape(-1, n)])
        scores = confusion_scores(cells.reshape(-1, n_labels, n_labels), present, classes)
        return scores.reshape(n_clf, n_seeds, len(names))

    rng = np.random.default_rng(random_state)
    if resample_seeds and n_seeds > 1:
        weights = rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), size=n_boot)
    else:
        weights = np.ones((n_boot, n_seeds), dtype=np.int64)
    pair = (_unit_codes(units, y, n_labels) if units is not None
            else np.arange(n, dtype=np.int64))
    draws = _unit_draws(y, base, treat, pair, present, classes, n_labels, weights, rng)
    return BootstrapResult(metrics=names, base=observed(base), treated=observed(treat),
                           draws=draws, n_rows=n_rows, confidence=confidence)


def _seed_mean(diff: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(b, classifiers, seeds, M) differences averaged over the drawn seeds ``w`` (b, seeds)."""
    return np.asarray(np.einsum("bcsm,bs->bcm", diff, w) / w.sum(axis=1)[:, None, None])


def _unit_codes(units: np.ndarray, y: np.ndarray, n_labels: int) -> np.ndarray:
    """One code per (unit, class) pair of the rows, 0 .. pairs - 1."""
    if len(units) != len(y):
        raise ValueError(f"expected one unit per row ({len(y)}), found {len(units)}")
    unit = pd.factorize(pd.Series(np.asarray(units)))[0].astype(np.int64)
    return np.asarray(pd.factorize(pd.Series(unit * n_labels + y))[0], dtype=np.int64)


def _unit_draws(y: np.ndarray, base: np.ndarray, treat: np.ndarray, pair: np.ndarray,
                present: np.ndarray, classes: Sequence[int], n_labels: int,
                weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The draws of :func:`paired_bootstrap` resampling (unit, class) pairs within class:
    a drawn pair adds all its rows' confusion cells once per draw (sparse product)."""
    from scipy import sparse

    n_clf, n_seeds, n = base.shape
    n_units, cells = int(pair.max()) + 1, n_labels * n_labels
    unit_class = np.empty(n_units, dtype=np.int64)
    unit_class[pair] = y

    def counts(predicted: np.ndarray) -> Any:  # (units, cells): each unit's confusion cells
        return sparse.csr_matrix((np.ones(n), (pair, y * n_labels + predicted)),
                                 shape=(n_units, cells))

    per = [[(counts(base[c, s]), counts(treat[c, s])) for s in range(n_seeds)]
           for c in range(n_clf)]

    def scores(w: np.ndarray, matrix: Any) -> np.ndarray:
        conf = np.asarray((matrix.T @ w.T).T).reshape(-1, n_labels, n_labels)
        return confusion_scores(conf, present, classes)

    strata = [np.flatnonzero(unit_class == k) for k in present]
    n_boot = len(weights)
    draws = np.empty((n_boot, n_clf, 1 + len(classes)))
    chunk = max(1, _CELLS_PER_CHUNK // n_units)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        wu = np.zeros((b, n_units))
        for mine in strata:
            k = len(mine)
            picked = rng.integers(0, k, size=(b, k)) + (np.arange(b) * k)[:, None]
            wu[:, mine] = np.bincount(picked.ravel(), minlength=b * k).reshape(b, k)
        diff = np.stack([np.stack([scores(wu, t) - scores(wu, bb) for bb, t in seeds], axis=1)
                         for seeds in per], axis=1)
        draws[start:start + b] = _seed_mean(diff, weights[start:start + b])
    return draws


def verdict(lo: float, hi: float, *, tested: bool) -> Verdict:
    """What an interval ``[lo, hi]`` of a difference (treated - baseline) says.

    >>> verdict(0.01, 0.2, tested=True), verdict(-0.1, 0.1, tested=True)
    ('helped', 'no detectable difference')
    >>> verdict(-0.3, -0.1, tested=True), verdict(0.1, 0.2, tested=False)
    ('hurt', 'untested')
    """
    if not tested:
        return "untested"
    if lo > 0:
        return "helped"
    if hi < 0:
        return "hurt"
    return "no detectable difference"
