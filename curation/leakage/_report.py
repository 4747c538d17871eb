"""What an audit reports, and the steps the local and the Dask audit share.

:class:`Finding`, :class:`ColumnScore` and :class:`AuditReport` are the report;
:func:`single_column_finding` grades one column's probe score; :class:`AuditRun` holds
one audit's columns and report and turns scores and check results into findings, so
:func:`iotforge.curation.leakage.audit.audit` and
:func:`iotforge.curation.engines.dask_audit.audit_dask`
differ only in where their rows come from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import UsageError
from ..schema import IS_ATTACK, LABEL, TableMeta

Severity = Literal["error", "warning", "info"]
"""How bad a finding is; only unaccepted ``error`` findings fail the audit."""

Probe = Literal["value", "order", "lookup", "length", "whitespace"]
"""How a single column was turned into a predictor; ``length`` and ``whitespace``
are encoding artifacts of a raw string, not its meaning."""

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


def single_column_finding(score: ColumnScore, near_perfect: float,
                          strong: float) -> Finding | None:
    """The finding a column's best probe score makes, if any (see the audit's docstring)."""
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


Check = Callable[[], "Finding | None"]
"""One whole-table check, run when the audit gets to it."""


@dataclass
class AuditRun:
    """One audit in progress: the columns it checks, its report, the accepted ids.

    Start one with :meth:`start`; collect findings with :meth:`column_findings` and
    :meth:`row_findings` (and the time-range findings in between); :meth:`finish`.
    """

    report: AuditReport
    meta: TableMeta
    accepted: set[str]
    features: list[str]
    candidates: list[str]

    @classmethod
    def start(cls, columns: Sequence[str], meta: TableMeta, rows: int, *,
              exclude: Iterable[str], accept: Iterable[str], random_state: int) -> AuditRun:
        """Check the arguments against the table's ``columns`` and pick what to check."""
        if LABEL not in columns:
            raise UsageError(f"expected a {LABEL!r} column to audit against, found none")
        excluded = [str(c) for c in exclude]
        unknown = [c for c in excluded if c not in columns]
        if unknown:
            raise UsageError(f"expected --exclude to name columns of the data, found {unknown}")
        report = AuditReport(rows=rows, sampled_rows=0, random_state=random_state,
                             excluded=excluded)
        features = [c for c in meta.feature_columns(columns) if c not in excluded]
        candidates = [c for c in columns if meta.roles.get(str(c)) not in _SKIP_ROLES
                      and c not in excluded and c not in (LABEL, IS_ATTACK)]
        return cls(report, meta, {str(a) for a in accept}, features, candidates)

    def role(self, column: str) -> str:
        return self.meta.roles.get(str(column), "unknown")

    @property
    def time_columns(self) -> list[str]:
        """The candidate columns whose role is ``time`` (for the time-range check)."""
        return [str(c) for c in self.candidates if self.meta.roles.get(str(c)) == "time"]

    def column_findings(self, scores: Iterable[ColumnScore | None], near_perfect: float,
                        strong: float) -> list[Finding]:
        """Record each column's score in the report; the findings they make."""
        findings = []
        for score in scores:
            if score is None:
                continue
            self.report.columns.append(score)
            finding = single_column_finding(score, near_perfect, strong)
            if finding is not None:
                findings.append(finding)
        return findings

    def row_findings(self, conflicts: Check, overlap: Check | None) -> list[Finding]:
        """Run the label-conflict check, and the train/test overlap when there is a
        test split (``overlap`` given), over the feature columns."""
        if not self.features:
            if overlap is not None:
                raise UsageError("expected numeric or categorical columns to compare train "
                                 "and test rows on, found none")
            return []
        checks = [(conflicts, "label_conflict")]
        if overlap is not None:
            checks.append((overlap, "train_test_overlap"))
        findings = []
        for check, name in checks:
            finding = check()
            if finding is not None:
                findings.append(finding)
            self.report.checks.append(name)
        return findings

    def finish(self, findings: list[Finding]) -> AuditReport:
        """Mark accepted findings and complete the report."""
        for f in findings:
            f.accepted = f.id in self.accepted
        self.report.findings = findings
        self.report.checks[:0] = ["single_column", "time_ranges"]
        self.report.unmatched_accepts = sorted(self.accepted - {f.id for f in findings})
        return self.report
