"""Fidelity and privacy of synthetic rows, class by class.

Augmenters synthesize rare classes, so synthetic rows of class *c* are compared with
the real training rows of class *c* (comparing them with the whole training table
would measure the class mix, not the generator):

- **per-column similarity**: Kolmogorov-Smirnov statistic for numeric columns, total
  variation distance for categorical ones (missing is a category); 0 = same
  distribution, 1 = disjoint;
- **correlation difference**: mean absolute difference of the Pearson correlation
  matrices of the numeric columns;
- **SDMetrics quality score** (optional, ``quality=True``): SDMetrics' single-table
  QualityReport on at most ``max_rows`` rows per side;
- **distance to closest record (DCR)**: the Gower distance of each synthetic row to its
  closest training row of the class, next to the same distance for real *holdout* rows
  (the test split) that the generator never saw. Synthetic rows much closer to training
  rows than holdout rows are near-copies;
- **exact-match rate**: the share of synthetic rows equal, on every feature column, to
  a training row (holdout rows give the baseline; after a leakage-safe split it is 0);
- **rule fidelity** (when given the rules mined on the real training rows): the share of
  a class's association rules whose support and confidence stay within
  :data:`~iotforge.evaluation.assoc_rules.RULE_TOLERANCE` on its synthetic rows.

>>> import numpy as np, pandas as pd
>>> real = pd.DataFrame({"x": np.arange(50.0), "p": ["tcp", "udp"] * 25})
>>> syn = real.iloc[:10].copy()
>>> r = privacy(syn, real, real.iloc[25:], ["x"], ["p"])
>>> r["exact_match_rate"], r["holdout_exact_match_rate"], r["dcr_synthetic_median"]
(1.0, 1.0, 0.0)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from iotforge.augment._privacy import closest_record_distance
from iotforge.curation.rules._hash import frame_hash

from ._preprocess import _preprocessor
from .assoc_rules import RuleSet, rule_fidelity

__all__ = ["MAX_QUERY_ROWS", "MAX_REFERENCE_ROWS", "PROJECTION_CLASSES", "PROJECTION_POINTS",
           "closest_record_distance", "column_similarity", "correlation_difference",
           "exact_match_rate", "fidelity", "privacy", "projection", "sdmetrics_quality"]

log = logging.getLogger(__name__)

MAX_QUERY_ROWS = 2000
MAX_REFERENCE_ROWS = 20000
PROJECTION_CLASSES = 4
PROJECTION_POINTS = 300


def column_similarity(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: Sequence[str],
                      categorical: Sequence[str]) -> pd.DataFrame:
    """KS (numeric) or TV (categorical) distance per column; NaN when a side is empty.

    Examples
    --------
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "p": ["a", "a", "b", "b"]})
    >>> syn = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "p": ["a", "a", "a", "a"]})
    >>> column_similarity(real, syn, ["x"], ["p"])["distance"].tolist()
    [0.0, 0.5]
    """
    from scipy.stats import ks_2samp

    rows = []
    for col in numeric:
        r = real[col].to_numpy(dtype=float)
        s = synthetic[col].to_numpy(dtype=float)
        r, s = r[np.isfinite(r)], s[np.isfinite(s)]
        value = float(ks_2samp(r, s).statistic) if len(r) and len(s) else np.nan
        rows.append((col, "numeric", "ks", value))
    for col in categorical:
        p = real[col].astype(object).where(real[col].notna(), "__missing__").value_counts(
            normalize=True)
        q = synthetic[col].astype(object).where(synthetic[col].notna(), "__missing__"
                                                ).value_counts(normalize=True)
        value = (0.5 * float(p.sub(q, fill_value=0.0).abs().sum())
                 if len(p) and len(q) else np.nan)
        rows.append((col, "categorical", "tv", value))
    return pd.DataFrame(rows, columns=["column", "kind", "statistic", "distance"])


def correlation_difference(real: pd.DataFrame, synthetic: pd.DataFrame,
                           numeric: Sequence[str]) -> float:
    """Mean |corr(real) - corr(synthetic)| over numeric column pairs defined on both sides.

    Examples
    --------
    >>> real = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, 2, 3, 4]})
    >>> correlation_difference(real, real.assign(b=[4.0, 3, 2, 1]), ["a", "b"])
    2.0
    """
    cols = list(numeric)
    if len(cols) < 2:
        return float("nan")
    a = real[cols].astype(float).corr().to_numpy()
    b = synthetic[cols].astype(float).corr().to_numpy()
    upper = np.triu(np.ones_like(a, dtype=bool), k=1)
    diff = np.abs(a - b)[upper & np.isfinite(a) & np.isfinite(b)]
    return float(diff.mean()) if diff.size else float("nan")


def exact_match_rate(query: pd.DataFrame, reference: pd.DataFrame,
                     columns: Sequence[str]) -> float:
    """Share of ``query`` rows equal to some ``reference`` row on ``columns``.

    Examples
    --------
    >>> ref = pd.DataFrame({"x": [1.0, 2.0]})
    >>> exact_match_rate(pd.DataFrame({"x": [1.0, 3.0]}), ref, ["x"])
    0.5
    """
    if len(query) == 0:
        return float("nan")
    return float(np.isin(frame_hash(query, columns), frame_hash(reference, columns)).mean())


def _sample(frame: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), size=n, replace=False))]


def privacy(synthetic: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame,
            numeric: Sequence[str], categorical: Sequence[str], *,
            random_state: int = 0) -> dict[str, Any]:
    """DCR of synthetic and holdout rows to ``train``, and exact-match rates.

    At most ``MAX_QUERY_ROWS`` query rows and ``MAX_REFERENCE_ROWS`` training rows are
    used (seeded samples), so the cost stays bounded.
    """
    rng = np.random.default_rng(random_state)
    columns = [*numeric, *categorical]
    ref = _sample(train, MAX_REFERENCE_ROWS, rng)
    syn = closest_record_distance(_sample(synthetic, MAX_QUERY_ROWS, rng), ref, numeric,
                                  categorical)
    hold = closest_record_distance(_sample(holdout, MAX_QUERY_ROWS, rng), ref, numeric,
                                   categorical)
    return {
        "dcr_synthetic_median": float(np.median(syn)) if syn.size else None,
        "dcr_holdout_median": float(np.median(hold)) if hold.size else None,
        "dcr_synthetic_p05": float(np.quantile(syn, 0.05)) if syn.size else None,
        "dcr_holdout_p05": float(np.quantile(hold, 0.05)) if hold.size else None,
        "exact_match_rate": exact_match_rate(synthetic, train, columns),
        "holdout_exact_match_rate": exact_match_rate(holdout, train, columns),
    }


def sdmetrics_quality(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: Sequence[str],
                      categorical: Sequence[str], *, max_rows: int = 1000,
                      random_state: int = 0) -> float | None:
    """SDMetrics' single-table quality score (0..1), or None when sdmetrics is missing.

    Columns missing on every row of either side are left out (SDMetrics cannot score
    them); both sides are sampled down to ``max_rows`` rows.
    """
    try:
        from sdmetrics.reports import QualityReport
    except ImportError:
        log.warning("sdmetrics is not installed: no quality score (pip install sdmetrics)")
        return None
    cols = [c for c in (*numeric, *categorical)
            if real[c].notna().any() and synthetic[c].notna().any()]
    if not cols:
        return None
    rng = np.random.default_rng(random_state)
    columns = {c: {"sdtype": "numerical" if c in numeric else "categorical"} for c in cols}
    # sdmetrics' current QualityReport takes tables by name (its single-table one is
    # deprecated): one table, named "rows"
    report = QualityReport()
    report.generate({"rows": _sample(real[cols], max_rows, rng).reset_index(drop=True)},
                    {"rows": _sample(synthetic[cols], max_rows, rng).reset_index(drop=True)},
                    {"tables": {"rows": {"columns": columns}}}, verbose=False)
    return float(report.get_score())


def fidelity(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, *,
             numeric: Sequence[str], categorical: Sequence[str], label: str = "label",
             quality: bool = False, random_state: int = 0,
             rules: RuleSet | None = None) -> dict[str, Any]:
    """All measures above, per synthesized class and pooled (weighted by synthetic rows).

    With ``rules`` (mined on the real training rows), each class also gets
    ``rule_fidelity``: the share of its real rules that still hold on its synthetic rows
    (:func:`iotforge.evaluation.assoc_rules.rule_fidelity`), with ``rules_checked``.

    Returns
    -------
    dict
        ``overall`` and ``per_class`` (class -> measures), ``worst_columns`` (the five
        columns with the largest weighted distance).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> train = pd.DataFrame({"x": rng.normal(size=60), "label": ["a"] * 50 + ["b"] * 10})
    >>> syn = pd.DataFrame({"x": rng.normal(size=20), "label": ["b"] * 20})
    >>> f = fidelity(train, syn, train.iloc[40:], numeric=["x"], categorical=[])
    >>> sorted(f["per_class"]), f["overall"]["n_synthetic"]
    (['b'], 20)
    """
    per_class: dict[str, dict[str, Any]] = {}
    distances = []
    held = rule_fidelity(rules, synthetic, label=label) if rules is not None else {}
    for cls, syn in synthetic.groupby(synthetic[label].astype(str), sort=True):
        real = train[train[label].astype(str) == cls]
        hold = holdout[holdout[label].astype(str) == cls]
        if real.empty:
            continue
        sim = column_similarity(real, syn, numeric, categorical)
        distances.append(sim.assign(weight=len(syn)))
        entry: dict[str, Any] = {
            "n_synthetic": len(syn), "n_train": len(real), "n_holdout": len(hold),
            "mean_ks": _nanmean(sim.loc[sim["statistic"] == "ks", "distance"]),
            "mean_tv": _nanmean(sim.loc[sim["statistic"] == "tv", "distance"]),
            "correlation_difference": correlation_difference(real, syn, numeric),
            **privacy(syn, real, hold, numeric, categorical, random_state=random_state),
        }
        if quality:
            entry["quality_score"] = sdmetrics_quality(real, syn, numeric, categorical,
                                                       random_state=random_state)
        if rules is not None:
            kept = held.get(str(cls), {})
            entry["rule_fidelity"] = kept.get("rule_fidelity")
            entry["rules_checked"] = kept.get("rules_checked", 0)
            entry["rules_held"] = kept.get("rules_held", 0)
        per_class[str(cls)] = entry
    overall: dict[str, Any] = {"n_synthetic": int(sum(e["n_synthetic"]
                                                      for e in per_class.values()))}
    weights = {c: e["n_synthetic"] for c, e in per_class.items()}
    keys = [k for k in next(iter(per_class.values()), {}) if k.startswith(
        ("mean_", "correlation", "dcr_", "exact", "holdout_", "quality", "rule_fidelity"))]
    for key in keys:
        pairs = [(e[key], weights[c]) for c, e in per_class.items()
                 if e.get(key) is not None and np.isfinite(e[key])]
        overall[key] = (float(np.average([v for v, _ in pairs], weights=[w for _, w in pairs]))
                        if pairs else None)
    worst: list[dict[str, Any]] = []
    if distances:
        table = pd.concat(distances).dropna(subset=["distance"])
        if not table.empty:
            agg = table.groupby(["column", "statistic"]).apply(
                lambda g: float(np.average(g["distance"], weights=g["weight"])),
                include_groups=False).sort_values(ascending=False).head(5)
            worst = [{"column": c, "statistic": s, "distance": v} for (c, s), v in agg.items()]
    return {"overall": overall, "per_class": per_class, "worst_columns": worst}


def _nanmean(values: pd.Series) -> float | None:
    v = values.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def projection(name: str, X_train: pd.DataFrame, y_train: np.ndarray, X_syn: pd.DataFrame,
                y_syn: np.ndarray, seed: int) -> pd.DataFrame:
    """Per rare synthesized class, a 2-D PCA of its real and synthetic rows.

    Up to ``PROJECTION_CLASSES`` classes, the rarest in training first, and at most
    ``PROJECTION_POINTS`` rows per class and kind (a seeded sample).

    Each class gets its own projection, fit on its real training rows (after the
    classifiers' imputation, signed log and scaling), so the axes show how the class
    varies and whether the synthetic rows cover the same ground.
    """
    from sklearn.decomposition import PCA

    values, n = np.unique(y_train, return_counts=True)
    real_counts = dict(zip(values.tolist(), n.tolist(), strict=True))
    rare = sorted(set(np.unique(y_syn)), key=lambda c: (real_counts.get(c, 0), c))
    parts = []
    rng = np.random.default_rng(seed)
    for cls in rare[:PROJECTION_CLASSES]:
        real, syn = X_train[y_train == cls], X_syn[y_syn == cls]
        observed = [c for c in real.columns if real[c].notna().any()]  # this class's source
        if len(real) < 3 or syn.empty or not observed:
            continue
        real, syn = real[observed], syn[observed]
        prepare = _preprocessor(scale=True).fit(real)
        width = min(2, prepare.transform(real.iloc[:1]).shape[1])
        pca = PCA(n_components=width, random_state=seed).fit(prepare.transform(real))
        for kind, rows in (("real", real), ("synthetic", syn)):
            if len(rows) > PROJECTION_POINTS:
                rows = rows.iloc[np.sort(rng.choice(len(rows), PROJECTION_POINTS,
                                                    replace=False))]
            xy = np.zeros((len(rows), 2))  # one feature column: a 1-D projection
            xy[:, :width] = pca.transform(prepare.transform(rows))
            parts.append(pd.DataFrame({"augmenter": name, "class": cls, "kind": kind,
                                       "x": xy[:, 0], "y": xy[:, 1]}))
    if not parts:
        return pd.DataFrame(columns=["augmenter", "class", "kind", "x", "y"])
    return pd.concat(parts, ignore_index=True)
