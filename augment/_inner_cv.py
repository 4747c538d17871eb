"""The statistics behind :class:`~iotforge.augment.AutoAugmenter`'s choice: inner folds, the score,
each candidate's per-fold gains over no augmentation, and the decision rule (the
corrected paired t of :mod:`iotforge.augment._auto`'s docstring).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import IotforgeError
from sklearn.base import clone

NONE = "none"
_SEED_MAX = np.iinfo(np.int32).max

Folds = list[tuple[np.ndarray, np.ndarray]]
"""(training rows, validation rows) of every fold of every repeat."""
Score = Callable[[np.ndarray, np.ndarray], float]


def make_scorer(scoring: Any, classes: list[Hashable]) -> tuple[str, Score]:
    """The score's name and function: macro-F1 over the classes of the fold, or the mean
    recall of ``{"recall": [classes]}``."""
    from sklearn.metrics import f1_score, recall_score

    if scoring == "macro_f1":
        def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
            return float(f1_score(y_true, y_pred, labels=np.unique(y_true),
                                  average="macro", zero_division=0))
        return "macro-F1", macro_f1
    named = scoring.get("recall") if set(scoring) == {"recall"} else None
    if not named or isinstance(named, str):
        raise ValueError(f"scoring: expected 'macro_f1' or {{'recall': [classes]}}, "
                         f"found {scoring!r}")
    unknown = [c for c in named if c not in classes]
    if unknown:
        raise ValueError(f"scoring: expected classes of y ({classes[:10]}), found "
                         f"{unknown}")

    def recall(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        labels = [c for c in named if np.any(y_true == c)]
        if not labels:
            return float("nan")
        return float(recall_score(y_true, y_pred, labels=labels, average="macro",
                                  zero_division=0))
    return f"recall of {list(named)}", recall


def _fold_groups(groups: Any, y: np.ndarray, keep: np.ndarray, k: int,
                 notes: list[str]) -> tuple[np.ndarray | None, int]:
    """The groups of the validated rows, and the folds they allow (None: too few groups)."""
    if groups is None:
        return None, k
    groups = np.asarray(groups, dtype=object)
    if len(groups) != len(y):
        raise ValueError(f"groups: expected one group per row ({len(y)}), found "
                         f"{len(groups)}")
    groups = groups[keep].astype(str)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        notes.append("fewer than 2 groups: folds are stratified, not grouped")
        return None, k
    if n_groups < k:
        notes.append(f"only {n_groups} groups: {n_groups} folds instead of {k}")
        return groups, n_groups
    return groups, k


def inner_folds(y: np.ndarray, few: list[Hashable], seed: int, *, cv: int, n_repeats: int,
                groups: Any, notes: list[str]) -> tuple[Folds, bool]:
    """Stratified (grouped, with ``groups``) k-fold over ``n_repeats`` shuffles; the rows
    of the ``few`` classes stay in every training side. Also whether it is grouped."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    counts = pd.Series(y).value_counts()
    is_few = pd.Series(y).isin(few).to_numpy()
    keep, always = np.flatnonzero(~is_few), np.flatnonzero(is_few)
    sizes = counts.drop(few)
    if len(sizes) < 2:
        notes.append("fewer than two classes have 2 or more rows: nothing to "
                     "cross-validate")
        return [], False
    k = max(2, min(cv, int(sizes.min())))
    small = sizes[sizes < cv]
    if len(small):
        shown = ", ".join(f"{c!r} ({n} rows)" for c, n in small.items())
        notes.append(f"classes with fewer rows than cv={cv}: {shown}; "
                     f"{k} folds instead of {cv}")
    fold_groups, k = _fold_groups(groups, y, keep, k, notes)
    rng = np.random.RandomState(seed)
    folds = []
    for _ in range(n_repeats):
        s = int(rng.randint(_SEED_MAX))
        splitter = (StratifiedGroupKFold(k, shuffle=True, random_state=s)
                    if fold_groups is not None
                    else StratifiedKFold(k, shuffle=True, random_state=s))
        with warnings.catch_warnings():  # a class absent from some grouped folds
            warnings.simplefilter("ignore", UserWarning)
            for tr, va in splitter.split(np.zeros(len(keep)), y[keep], fold_groups):
                # rows of a class too small to validate on stay in every training side
                folds.append((np.r_[keep[tr], always], keep[va]))
    return folds, fold_groups is not None


def score_folds(name: str, sampler: Any, estimator: Any, score: Score, X: pd.DataFrame,
                y: np.ndarray, folds: Folds, *, n_repeats: int, baseline: dict[int, float],
                rows: list[dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    """Score ``sampler`` (None: no augmentation, whose scores fill ``baseline``) on every
    fold, appending one row per fold to ``rows``; its summary."""
    began = time.monotonic()
    per_repeat = max(len(folds) // n_repeats, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, (tr, va) in enumerate(folds):
            t0 = time.monotonic()
            X_tr, y_tr = X.iloc[tr], y[tr]
            try:
                if sampler is not None:
                    X_tr, y_tr = clone(sampler).fit_resample(X_tr, y_tr)
                model = clone(estimator).fit(X_tr, y_tr)
                value = score(y[va], model.predict(X.iloc[va]))
            except (ValueError, RuntimeError, IotforgeError) as exc:
                what = "no augmentation" if sampler is None else f"candidate {name!r}"
                message = f"fold {i}: {' '.join(str(exc).split())[:300]}"
                notes.append(f"{what} failed on {message}")
                if sampler is None:
                    baseline.clear()
                return {"status": "failed", "error": message}
            if sampler is None:
                baseline[i] = value
            rows.append({"candidate": name, "repeat": i // per_repeat, "fold": i,
                         "score": value, "gain": value - baseline[i],
                         "n_train": len(tr), "n_synthetic": len(y_tr) - len(tr),
                         "seconds": time.monotonic() - t0})
    if caught:
        first = " ".join(str(caught[0].message).split())[:200]
        notes.append(f"{'no augmentation' if sampler is None else name}: "
                     f"{len(caught)} warnings in the inner folds, e.g. {first}")
    mine = pd.DataFrame([r for r in rows if r["candidate"] == name]).dropna(subset=["gain"])
    gains = mine["gain"].to_numpy(dtype=float)
    ratio = float(np.mean([len(va) / len(tr) for tr, va in folds]))
    return {"status": "evaluated", "mean_score": float(mine["score"].mean()),
            "mean_gain": float(gains.mean()) if len(gains) else float("nan"),
            "sd_gain": float(gains.std(ddof=1)) if len(gains) > 1 else float("nan"),
            "n_folds": len(gains), "val_train_ratio": ratio,
            "seconds": time.monotonic() - began}


def decide(summary: dict[str, dict[str, Any]], folds: Folds, label: str,
           skipped: list[str], confidence: float) -> tuple[str, str]:
    """The choice (a candidate's name, or ``"none"``) and why; adds each evaluated
    candidate's ``lower_bound`` to its summary."""
    from scipy.stats import t

    tail = f" (skipped for the time limit: {skipped})" if skipped and folds and \
        summary.get(NONE, {}).get("status") == "evaluated" else ""
    if not folds:
        return NONE, "abstained: too few rows per class to cross-validate."
    if summary[NONE]["status"] != "evaluated":
        return NONE, ("abstained: the classifier could not be scored without "
                      f"augmentation ({summary[NONE]['error']}).")
    done = {n: s for n, s in summary.items() if n != NONE and s["status"] == "evaluated"}
    if not done:
        return NONE, f"abstained: no candidate was evaluated{tail}."
    m = len(done)
    for s in done.values():
        n, sd = s["n_folds"], s["sd_gain"]
        if n < 2:
            s["lower_bound"] = float("nan")
            continue
        q = float(t.ppf(1 - (1 - confidence) / m, n - 1))
        se = math.sqrt((1 / n + s["val_train_ratio"]) * sd**2) if sd == sd else 0.0
        s["lower_bound"] = s["mean_gain"] - q * se
    best = max(done, key=lambda k: (done[k]["mean_gain"], -list(done).index(k)))
    s = done[best]
    said = (f"mean {label} gain {s['mean_gain']:+.4f} over no augmentation, "
            f"{confidence:.0%} lower bound {s['lower_bound']:+.4f} over "
            f"{s['n_folds']} folds")
    if s["lower_bound"] > 0:
        return best, f"chose {best!r}: {said} > 0{tail}."
    return NONE, f"abstained: the best candidate {best!r} had {said}, not above 0{tail}."
