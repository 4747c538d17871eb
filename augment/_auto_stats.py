""":class:`~iotforge.augment.AutoAugmenter`'s decision: the paired bootstrap the evaluation
trusts (:func:`iotforge.curation.bootstrap.paired_bootstrap`), on pooled out-of-fold
predictions.

Each candidate is paired with no augmentation on the same validated training rows and the
same repeats. One resample draws, within each class, as many rows as the class has (with
replacement), and the repeats (with replacement); the gain is the objective of the
candidate minus that of no augmentation on the drawn rows, averaged over the drawn
repeats. The best candidate (highest observed gain) is chosen only when the lower bound of
its gain is above 0, the bound at level ``(1 - confidence) / (m * looks)``: Bonferroni over
the ``m`` candidates and the ``looks`` at the data the adaptive repeats may take, so the
chance of choosing an augmenter that does not help stays at most ``1 - confidence``.

With ``{"recall": [classes], "floor": f}`` the gain is the mean recall of the named
classes, and a candidate is eligible only when the lower bound of its macro-F1 gain is
at least ``-f``.

**Identical rows are one observation.** The folds keep rows with identical features in
one fold, so such rows always get one prediction: 444 copies of one flow flipping from
wrong to right are one flow that flipped, not 444 independent ones. When the validated
rows hold such copies, a resample draws, within each class, distinct feature rows
(``paired_bootstrap(..., units=...)``: each drawn with all its copies, as many draws as
the class has distinct rows) instead of rows. With every row distinct this is the row bootstrap
above; with copies, the row bootstrap would read a gain carried by one distinct row as
certain (IoT-23: one ``normal`` row of 444 copies gave ``random_oversampler`` +0.038
inner macro-F1, a lower bound far above 0, and nothing on the test).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.bootstrap import paired_bootstrap

from ._inner_cv import NONE, FoldPlan, run_arm, score_repeat

logger = logging.getLogger(__name__)

DEFAULT_FLOOR = 0.01
"""With a recall objective: the largest macro-F1 loss (lower bound) accepted."""


def make_objective(scoring: Any, classes: list[Hashable]) -> tuple[str, Any]:
    """The objective's name and its normalised form: ``'macro_f1'`` or
    ``{"recall": [classes], "floor": float}``."""
    if scoring == "macro_f1":
        return "macro-F1", "macro_f1"
    if not isinstance(scoring, Mapping) or not set(scoring) <= {"recall", "floor"}:
        raise ValueError(f"scoring: expected 'macro_f1' or {{'recall': [classes], "
                         f"'floor': 0.01}}, found {scoring!r}")
    named = scoring.get("recall")
    if not named or isinstance(named, str):
        raise ValueError(f"scoring: expected 'macro_f1' or {{'recall': [classes]}}, "
                         f"found {scoring!r}")
    unknown = [c for c in named if c not in classes]
    if unknown:
        raise ValueError(f"scoring: expected classes of y ({classes[:10]}), found "
                         f"{unknown}")
    floor = float(scoring.get("floor", DEFAULT_FLOOR))
    return (f"recall of {list(named)} (macro-F1 loss at most {floor:g})",
            {"recall": list(named), "floor": floor})


def bootstrap_gains(y: np.ndarray, base: np.ndarray, arms: Mapping[str, np.ndarray],
                    objective: Any, *, level: float, n_boot: int, random_state: int,
                    units: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """Per candidate: observed ``gain``, its ``lower_bound`` and ``upper_bound`` at
    ``level`` (one-sided, each), and for a recall objective ``macro_f1_lower_bound``.

    ``y``: classes of the validated rows (n,); ``base`` and each arm: predictions, shape
    (repeats, n); ``units``: one code per row, equal for identical feature rows (None:
    every row distinct), resampled whole (``paired_bootstrap``'s ``units``).
    """
    everything = np.concatenate([np.asarray(y, dtype=object).ravel(),
                                 np.asarray(base, dtype=object).ravel(),
                                 *[np.asarray(a, dtype=object).ravel() for a in arms.values()]])
    codes, labels = pd.factorize(pd.Series(everything).astype(str))
    lookup = {v: i for i, v in enumerate(labels)}
    n = len(y)

    def encode(a: np.ndarray) -> np.ndarray:
        return np.vectorize(lambda v: lookup[str(v)], otypes=[np.int64])(np.asarray(a))

    y_codes = codes[:n].astype(np.int64)
    base_codes = encode(base)
    named = [] if objective == "macro_f1" else [lookup[str(c)] for c in objective["recall"]
                                                if str(c) in lookup and np.any(
                                                    y_codes == lookup[str(c)])]
    out: dict[str, dict[str, float]] = {}
    for name, predicted in arms.items():
        r = paired_bootstrap(y_codes, base_codes[None], encode(predicted)[None],
                             n_labels=len(labels), classes=named, n_boot=n_boot,
                             random_state=random_state, units=units)
        draws, observed = r.draws[:, 0, :], (r.treated - r.base)[0].mean(axis=0)
        if objective == "macro_f1":
            gain_draws, gain = draws[:, 0], float(observed[0])
        elif named:
            gain_draws, gain = draws[:, 1:].mean(axis=1), float(observed[1:].mean())
        else:  # no named class was validated
            gain_draws, gain = np.zeros(len(draws)), 0.0
        lo, hi = (float(v) for v in np.quantile(gain_draws, [level, 1 - level]))
        stats = {"gain": gain, "lower_bound": lo, "upper_bound": hi,
                 "macro_f1_gain": float(observed[0])}
        if objective != "macro_f1":
            stats["macro_f1_lower_bound"] = float(np.quantile(draws[:, 0], level))
        out[name] = stats
    return out


def decide(stats: Mapping[str, dict[str, float]], objective: Any, label: str, *,
           confidence: float, repeats: int) -> tuple[str, str, bool]:
    """The choice (a candidate or ``"none"``), one sentence why, and whether the
    decision is resolved (a candidate chosen, or none can help: no upper bound above 0).
    """
    if not stats:
        return NONE, "abstained: no candidate was evaluated", True
    floor = None if objective == "macro_f1" else objective["floor"]
    eligible = {k: s for k, s in stats.items()
                if floor is None or s["macro_f1_lower_bound"] >= -floor}
    order = list(stats)
    if not eligible:
        return NONE, (f"abstained: every candidate may lose more than {floor:g} macro-F1 "
                      f"(over {repeats} repeats)"), False
    best = max(eligible, key=lambda k: (eligible[k]["gain"], -order.index(k)))
    s = eligible[best]
    said = (f"{label} gain {s['gain']:+.4f} over no augmentation on pooled out-of-fold "
            f"predictions, lower bound {s['lower_bound']:+.4f} ({confidence:.0%} "
            f"familywise, paired bootstrap over distinct feature rows within class and "
            f"{repeats} repeats)")
    if s["lower_bound"] > 0:
        return best, f"chose {best!r}: {said} > 0", True
    resolved = all(v["upper_bound"] <= 0 for v in stats.values())
    return NONE, f"abstained: the best candidate {best!r} had {said}, not above 0", resolved


def looks_at(min_repeats: int, max_repeats: int) -> list[int]:
    """The repeats after which the decision is looked at: ``min_repeats``, doubling, and
    ``max_repeats``.

    >>> looks_at(2, 8), looks_at(2, 6), looks_at(1, 1)
    ([2, 4, 8], [2, 4, 6], [1])
    """
    first = max(1, min(min_repeats, max_repeats))
    out = [first]
    while out[-1] * 2 < max_repeats:
        out.append(out[-1] * 2)
    if out[-1] != max_repeats:
        out.append(max_repeats)
    return out


@dataclass
class Selection:
    """What :func:`select` found: the choice and why, the repeats run and why they
    stopped, per-candidate statistics, and one row per arm and repeat."""

    choice: str
    reason: str
    repeats: int
    stop: str
    stats: dict[str, dict[str, float]]
    rows: list[dict[str, Any]]
    skipped: list[str]
    failed: list[str]
    n_boot: int
    level: float


def select(candidates: list[tuple[str, Any]], estimator: Any, objective: Any, label: str,
           X: pd.DataFrame, y: np.ndarray, plan: FoldPlan, *, min_repeats: int,
           max_repeats: int, time_limit: float | None, confidence: float, seed: int,
           notes: list[str]) -> Selection:
    """No augmentation and every candidate on the same folds, repeat after repeat, the
    decision looked at after the repeats of :func:`looks_at`; stops when it is resolved,
    after ``max_repeats``, or when another repeat would pass ``time_limit`` seconds (in
    the first repeat, candidates not started in time are skipped)."""
    start = time.monotonic()
    y_val = np.asarray(y, dtype=object)[plan.validated]
    looks = looks_at(min_repeats, max_repeats)
    level = (1 - confidence) / (max(len(candidates), 1) * len(looks))
    n_boot = max(1000, math.ceil(20 / level))  # about 20 draws beyond the bound
    preds: dict[str, list[np.ndarray]] = {NONE: []}
    live = [name for name, _ in candidates]
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    failed: list[str] = []
    stats: dict[str, dict[str, float]] = {}
    choice, reason, stop, done, last, looked = NONE, "", "", 0, 0.0, 0
    said: set[str] = set()
    base_score = float("nan")
    for r in range(max_repeats):
        elapsed = time.monotonic() - start
        if r and time_limit is not None and elapsed + last > time_limit:
            stop = (f"time budget: another repeat (about {last:.0f} s) would pass "
                    f"time_limit={time_limit:g} s")
            break
        began, folds = time.monotonic(), plan.folds(r, y)
        for name, sampler in [(NONE, None), *[(n, s) for n, s in candidates if n in live]]:
            late = time_limit is not None and time.monotonic() - start > time_limit
            if sampler is not None and r == 0 and late:
                skipped.append(name)
                continue
            mine: list[str] = []
            predicted, row = run_arm(name, sampler, estimator, X, y, folds, mine)
            if name not in said:  # the first repeat's notes of an arm: later ones repeat
                notes.extend(mine)
                said.add(name)
            if predicted is None:
                notes.extend(m for m in mine if m not in notes)  # a failure, in any repeat
                if sampler is None:
                    return Selection(NONE, "abstained: the classifier could not be scored "
                                     f"without augmentation ({mine[0]})", r, "failed",
                                     {}, rows, skipped, failed, n_boot, level)
                failed.append(name)
                continue
            preds.setdefault(name, []).append(predicted)
            score = score_repeat(objective, y_val, predicted)
            if sampler is None:
                base_score = score
            rows.append({**row, "repeat": r, "score": score, "gain": score - base_score})
        live = [n for n in live if n not in skipped and n not in failed]
        done, last = r + 1, time.monotonic() - began
        logger.info("auto: repeat %d of at most %d took %.1f s (%.0f s in all)", done,
                    max_repeats, last, time.monotonic() - start)
        if not live:
            stop = "no candidate left to evaluate"
            break
        if done in looks:
            looked = done
            choice, reason, stats, resolved = _look(preds, live, y_val, objective, label,
                                                    confidence, done, level, n_boot, seed,
                                                    plan.row_units)
            if resolved:
                stop = "resolved: " + ("chosen" if choice != NONE else
                                       "the best candidate's upper bound is not above 0")
                break
    else:
        stop = f"{max_repeats} repeats, the most allowed (n_repeats)"
    if live and looked != done and done:
        choice, reason, stats, _ = _look(preds, live, y_val, objective, label, confidence,
                                         done, level, n_boot, seed, plan.row_units)
    if not live:
        reason = ("abstained: no candidate was evaluated"
                  + (f" (skipped for the time limit: {skipped})" if skipped else "")
                  + (f" (failed: {failed})" if failed else ""))
    elif skipped:
        reason += f" (skipped for the time limit: {skipped})"
    return Selection(choice, reason, done, stop or "resolved", stats, rows, skipped, failed,
                     n_boot, level)


def _look(preds: dict[str, list[np.ndarray]], live: list[str], y_val: np.ndarray,
          objective: Any, label: str, confidence: float, repeats: int, level: float,
          n_boot: int, seed: int, units: np.ndarray | None
          ) -> tuple[str, str, dict[str, dict[str, float]], bool]:
    base = np.stack(preds[NONE][:repeats])
    arms = {n: np.stack(preds[n][:repeats]) for n in live}
    if objective == "macro_f1":  # the best observed gain is the one tested
        observed = {n: np.mean([score_repeat(objective, y_val, p) for p in a])
                    for n, a in arms.items()}
        best = max(live, key=lambda n: (observed[n], -live.index(n)))
        arms = {best: arms[best]}
    stats = bootstrap_gains(y_val, base, arms, objective, level=level, n_boot=n_boot,
                            random_state=seed, units=units)
    choice, reason, resolved = decide(stats, objective, label, confidence=confidence,
                                      repeats=repeats)
    return choice, reason, stats, resolved
