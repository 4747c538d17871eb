"""Leakage audit: what would let a model predict the label without learning the attack.

Four checks, each a list of :class:`Finding` with a stable ``id`` a user can
accept (``accept=``) once reviewed:

``single-column:COL``
    Every non-provenance, non-label column alone, as a probe: a depth-4 decision
    tree on its value (its sort order for strings), a lookup table of its exact
    values (strings), and for strings the *encoding* of the value (its length,
    its surrounding whitespace). Scored by balanced accuracy on held-out rows
    against both ``label`` and ``is_attack``, as ``lift`` = 0 at the majority
    baseline and 1 when perfect. Identifiers, addresses and timestamps (roles
    ``id``, ``endpoint``, ``time``) are errors at ``lift >= near_perfect`` and
    warnings at ``lift >= strong``; a feature column is a warning at
    ``near_perfect`` (it may be real signal; a person decides) unless the
    winning probe is an encoding artifact, which is an error.
``time-disjoint:COL``
    Classes whose time ranges overlap no other class's; an error when normal and
    attack rows were recorded at disjoint times.
``label-conflict``
    Identical feature rows with different labels (a warning: label noise or too
    few features, not a leak).
``train-test-overlap``
    Feature rows present in both train and ``test`` (an error).

>>> import numpy as np, pandas as pd
>>> from curation.schema import TableMeta
>>> rng = np.random.default_rng(0)
>>> y = np.repeat(["normal", "ddos"], 200)
>>> df = pd.DataFrame({"host": np.where(y == "ddos", "10.0.0.9", "10.0.0.1"),
...                    "bytes": rng.normal(size=400), "label": y})
>>> meta = TableMeta(stage="curate",
...                  roles={"host": "endpoint", "bytes": "numeric", "label": "label"})
>>> [(f.id, f.severity) for f in audit(df, meta).findings]
[('single-column:host', 'error')]
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from curation.errors import UsageError
from curation.rules._hash import frame_hash
from curation.schema import IS_ATTACK, LABEL, TableMeta

Severity = Literal["error", "warning", "info"]
"""How bad a finding is; only unaccepted ``error`` findings fail the audit."""

Probe = Literal["value", "order", "lookup", "length", "whitespace"]
"""How a single column was turned into a predictor; ``length`` and ``whitespace``
are encoding artifacts of a raw string, not its meaning."""

log = logging.getLogger(__name__)

ARTIFACT_PROBES = ("length", "whitespace")
_NON_FEATURE_ROLES = ("id", "endpoint", "time")
_SKIP_ROLES = ("provenance", "label")


@dataclass
class Finding:
    """One audit finding; ``accepted`` findings are reported but do not fail."""

    id: str
    check: str
    severity: Severity
    message: str
    column: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    accepted: bool = False


@dataclass
class ColumnScore:
    """How well one column alone predicts the label on held-out rows."""

    column: str
    role: str
    probe: str
    target: str
    balanced_accuracy: float
    baseline: float
    lift: float


@dataclass
class AuditReport:
    """All findings and per-column scores; ``to_dict()`` is ``REPORT.json``."""

    rows: int
    sampled_rows: int
    random_state: int
    findings: list[Finding] = field(default_factory=list)
    columns: list[ColumnScore] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    unmatched_accepts: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """Error findings not accepted: the audit fails when there is one."""
        return [f for f in self.findings if f.severity == "error" and not f.accepted]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        out["errors"] = [f.id for f in self.errors]
        return out


def audit(
    df: pd.DataFrame,
    meta: TableMeta,
    *,
    test: pd.DataFrame | None = None,
    exclude: Iterable[str] = (),
    accept: Iterable[str] = (),
    random_state: int = 0,
    near_perfect: float = 0.9,
    strong: float = 0.7,
    max_rows: int = 20_000,
) -> AuditReport:
    """Audit ``df`` (and a ``test`` split, when given) for label leaks.

    Parameters
    ----------
    df
        Canonical table (the training split when ``test`` is given).
    meta
        Its metadata; roles pick the columns and the feature set.
    test
        The test split; enables the ``train-test-overlap`` check.
    exclude
        Columns left out of every check (they will not be used for training).
    accept
        Finding ids a person reviewed and accepted; reported, never failing.
    random_state
        Seed of the subsample and of the held-out split of each probe.
    near_perfect, strong
        ``lift`` thresholds (see the module docstring).
    max_rows
        Probes run on a class-stratified sample of at most about this many rows.

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> from curation.schema import TableMeta
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 1.0, 2.0], "label": ["a", "a", "b", "b"]})
    >>> meta = TableMeta(stage="curate", roles={"x": "numeric", "label": "label"})
    >>> audit(df, meta, accept=["label-conflict"]).findings[0].accepted
    True
    """
    if LABEL not in df.columns:
        raise UsageError(f"expected a {LABEL!r} column to audit against, found none")
    excluded = [str(c) for c in exclude]
    unknown = [c for c in excluded if c not in df.columns]
    if unknown:
        raise UsageError(f"expected --exclude to name columns of the data, found {unknown}")
    accepted = {str(a) for a in accept}
    report = AuditReport(rows=len(df), sampled_rows=0, random_state=random_state,
                         excluded=excluded)
    labelled = df[df[LABEL].notna()]
    features = [c for c in meta.feature_columns(df.columns) if c not in excluded]
    sample = _sample(labelled, max_rows, random_state)
    report.sampled_rows = len(sample)
    candidates = [c for c in df.columns if meta.roles.get(str(c)) not in _SKIP_ROLES
                  and c not in excluded and c not in (LABEL, IS_ATTACK)]
    findings: list[Finding] = []
    targets = [(name, y, *_holdout(y, random_state)) for name, y in _targets(sample).items()
               if len(np.unique(y)) >= 2]
    for col in candidates:
        score = _best_probe(sample, str(col), meta.roles.get(str(col), "unknown"), targets,
                            random_state)
        if score is None:
            continue
        report.columns.append(score)
        finding = _single_column_finding(score, near_perfect, strong)
        if finding is not None:
            findings.append(finding)
    for col in candidates:
        if meta.roles.get(str(col)) == "time":
            finding = _time_ranges(labelled, str(col))
            if finding is not None:
                findings.append(finding)
    if features:
        finding = _label_conflicts(labelled, features)
        if finding is not None:
            findings.append(finding)
        report.checks.append("label_conflict")
        if test is not None:
            overlap = _overlap(df, test, features)
            if overlap is not None:
                findings.append(overlap)
            report.checks.append("train_test_overlap")
    elif test is not None:
        raise UsageError("expected numeric or categorical columns to compare train and "
                         "test rows on, found none")
    for f in findings:
        f.accepted = f.id in accepted
    report.findings = [f for f in findings if f is not None]
    report.checks[:0] = ["single_column", "time_ranges"]
    report.unmatched_accepts = sorted(accepted - {f.id for f in report.findings})
    return report


# --------------------------------------------------------------------------- (a) columns


def _sample(df: pd.DataFrame, max_rows: int, random_state: int) -> pd.DataFrame:
    if len(df) <= max_rows:
        return df.reset_index(drop=True)
    frac = max_rows / len(df)
    rng = np.random.default_rng(random_state)
    keep: list[np.ndarray] = []
    for _, idx in df.groupby(LABEL, sort=True).indices.items():
        n = min(len(idx), max(int(np.ceil(frac * len(idx))), 20))
        keep.append(rng.choice(idx, size=n, replace=False))
    return df.iloc[np.sort(np.concatenate(keep))].reset_index(drop=True)


def _targets(df: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {LABEL: df[LABEL].astype(str).to_numpy()}
    if IS_ATTACK in df.columns and df[LABEL].nunique() > 2:
        flag = df[IS_ATTACK]
        if flag.notna().all() and flag.nunique() == 2:
            out[IS_ATTACK] = flag.astype(str).to_numpy()
    return out


def _probes(s: pd.Series) -> dict[str, tuple[np.ndarray, bool]]:
    """probe name -> (values, is a lookup table rather than a tree)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        ns = s.astype("datetime64[ns, UTC]" if isinstance(s.dtype, pd.DatetimeTZDtype)
                      else "datetime64[ns]")
        values = ns.astype("int64").astype(float)
        values[ns.isna().to_numpy()] = np.nan
        return {"value": (np.asarray(values, dtype=float), False)}
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return {"value": (pd.to_numeric(s, errors="coerce").astype(float).to_numpy(), False)}
    text = s.astype(object).where(s.notna(), None)
    as_str = text.map(lambda v: v if isinstance(v, str) else (None if v is None else str(v)))
    codes = pd.factorize(as_str, sort=True)[0].astype(float)
    codes[codes < 0] = np.nan
    stripped = as_str.map(lambda v: len(v) - len(v.strip()) if v is not None else np.nan)
    return {
        "lookup": (codes, True),
        "order": (codes, False),
        "length": (as_str.map(lambda v: len(v) if v is not None else np.nan)
                   .astype(float).to_numpy(), False),
        "whitespace": (stripped.astype(float).to_numpy(), False),
    }


def _holdout(y: np.ndarray, random_state: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    _, counts = np.unique(y, return_counts=True)
    stratify = y if counts.min() >= 2 else None
    return train_test_split(idx, test_size=0.3, random_state=random_state, stratify=stratify)


def _balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    classes = np.unique(y_true)
    return float(np.mean([np.mean(y_pred[y_true == c] == c) for c in classes]))


def _predict(x: np.ndarray, lookup: bool, y: np.ndarray, tr: np.ndarray, te: np.ndarray,
             random_state: int) -> np.ndarray:
    if lookup:
        classes, yc = np.unique(y[tr], return_inverse=True)
        majority = np.bincount(yc).argmax()
        codes = np.where(np.isnan(x), -1, x).astype(np.int64) + 1  # 0 = missing
        table = np.zeros((int(codes.max()) + 1, len(classes)))
        np.add.at(table, (codes[tr], yc), 1)
        best = np.where(table.sum(axis=1) > 0, table.argmax(axis=1), majority)
        return classes[best[codes[te]]]
    from sklearn.tree import DecisionTreeClassifier

    tree = DecisionTreeClassifier(max_depth=4, min_samples_leaf=5, random_state=random_state)
    tree.fit(x[tr].reshape(-1, 1), y[tr])
    return tree.predict(x[te].reshape(-1, 1))


def _best_probe(df: pd.DataFrame, col: str, role: str,
                targets: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
                random_state: int) -> ColumnScore | None:
    s = df[col]
    if s.isna().all() or len(df) < 10:
        return None
    probes = {name: (x, lookup) for name, (x, lookup) in _probes(s).items()
              if not np.all(np.isnan(x))
              and not (np.nanmin(x) == np.nanmax(x) and not np.isnan(x).any())}
    best: ColumnScore | None = None
    for target, y, tr, te in targets:
        k = len(np.unique(y))
        for probe, (x, lookup) in probes.items():
            bacc = _balanced_accuracy(y[te], _predict(x, lookup, y, tr, te, random_state))
            lift = max(0.0, (bacc - 1 / k) / (1 - 1 / k))
            score = ColumnScore(col, role, probe, target, round(bacc, 4), round(1 / k, 4),
                                round(lift, 4))
            # Ties go to the meaning of a value, not to its encoding.
            if best is None or score.lift > best.lift + (0.02 if probe in ARTIFACT_PROBES
                                                         else 0.0):
                best = score
    return best


def _single_column_finding(score: ColumnScore, near_perfect: float,
                           strong: float) -> Finding | None:
    artifact = score.probe in ARTIFACT_PROBES
    non_feature = score.role in _NON_FEATURE_ROLES or score.role == "unknown"
    severity: Severity | None = None
    if score.lift >= near_perfect:
        severity = "error" if (artifact or non_feature) else "warning"
    elif score.lift >= strong and (artifact or non_feature):
        severity = "warning"
    if severity is None:
        return None
    what = (f"its {score.probe} (an encoding artifact)" if artifact
            else f"column {score.column!r} ({score.role})")
    message = (f"{what} alone predicts {score.target!r} with balanced accuracy "
               f"{score.balanced_accuracy:.3f} (baseline {score.baseline:.3f}, lift "
               f"{score.lift:.2f}) on held-out rows")
    hint = ("drop or fix it before training, or use a time/group split"
            if severity == "error" else "check it is real signal")
    suffix = f":{score.probe}" if artifact else ""
    return Finding(id=f"single-column:{score.column}{suffix}", check="single_column",
                   severity=severity, column=score.column, message=f"{message}; {hint}",
                   details=asdict(score))


# --------------------------------------------------------------------------- (b) time


def _time_ranges(df: pd.DataFrame, col: str) -> Finding | None:
    s = df[col]
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        return None
    frame = pd.DataFrame({"t": s, "y": df[LABEL].astype(str)}).dropna()
    if frame["y"].nunique() < 2:
        return None
    ranges = frame.groupby("y")["t"].agg(["min", "max"])
    isolated = [c for c in ranges.index
                if not any(ranges.at[c, "min"] <= ranges.at[o, "max"]
                           and ranges.at[o, "min"] <= ranges.at[c, "max"]
                           for o in ranges.index if o != c)]
    binary_disjoint = False
    if IS_ATTACK in df.columns:
        flag = df.loc[frame.index, IS_ATTACK]
        if flag.notna().all() and flag.nunique() == 2:
            b = frame.groupby(flag.astype(bool).to_numpy())["t"].agg(["min", "max"])
            binary_disjoint = bool(b.at[True, "min"] > b.at[False, "max"]
                                   or b.at[False, "min"] > b.at[True, "max"])
    if not isolated and not binary_disjoint:
        return None
    severity: Severity = "error" if binary_disjoint or len(isolated) == len(ranges) else "warning"
    spans = {str(c): [str(ranges.at[c, "min"]), str(ranges.at[c, "max"])] for c in ranges.index}
    what = ("normal and attack rows were recorded at disjoint times"
            if binary_disjoint else f"{len(isolated)} classes overlap no other class in time")
    return Finding(id=f"time-disjoint:{col}", check="time_ranges", severity=severity, column=col,
                   message=f"{what} ({col!r}): any time-correlated feature leaks the label; "
                           "prefer a time-based split and check features for drift",
                   details={"isolated_classes": [str(c) for c in isolated],
                            "normal_attack_disjoint": binary_disjoint, "ranges": spans})


# --------------------------------------------------------------------------- (c), (d)


def feature_keys(df: pd.DataFrame, features: list[str]) -> pd.Series:
    """One 64-bit hash per row of ``df[features]``: equal rows, equal keys
    (:func:`curation.rules.frame_hash`: -0.0 is 0.0, NaN and None are one missing value,
    numbers compare by value).

    >>> df = pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": ["x", "x", "x"]})
    >>> k = feature_keys(df, ["a", "b"])
    >>> bool(k[0] == k[1]), bool(k[0] == k[2])
    (True, False)
    """
    return pd.Series(frame_hash(df, features))


def _label_conflicts(df: pd.DataFrame, features: list[str]) -> Finding | None:
    keys = feature_keys(df, features)
    labels = df[LABEL].astype(str).reset_index(drop=True)
    per_key = labels.groupby(keys).nunique()
    bad = per_key[per_key > 1].index
    if len(bad) == 0:
        return None
    rows = keys.isin(bad)
    examples = []
    for key in bad[:3]:
        members = df.reset_index(drop=True)[(keys == key).to_numpy()]
        examples.append({"features": {c: _plain(members.iloc[0][c]) for c in features},
                         "labels": members[LABEL].astype(str).value_counts().to_dict()})
    return Finding(id="label-conflict", check="label_conflict", severity="warning",
                   message=f"{int(rows.sum())} rows ({rows.mean():.2%}) in {len(bad)} groups of "
                           "identical features carry different labels",
                   details={"rows": int(rows.sum()), "groups": len(bad), "examples": examples})


def _overlap(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> Finding | None:
    missing = [c for c in features if c not in test.columns]
    if missing:
        raise UsageError(f"expected the test split to have the feature columns, found "
                         f"{missing} missing")
    in_train = feature_keys(test, features).isin(set(feature_keys(train, features)))
    n = int(in_train.sum())
    if n == 0:
        return None
    return Finding(id="train-test-overlap", check="train_test_overlap", severity="error",
                   message=f"{n} test rows ({in_train.mean():.2%}) have identical features to "
                           "a training row: the model is tested on rows it memorised",
                   details={"rows": n, "test_rows": int(len(test))})


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
