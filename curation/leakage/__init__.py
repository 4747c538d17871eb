"""Leakage: the audit for label leaks and duplicates, and train/test splits that share no
feature row (stratified, time, group, or the dataset's own predefined test side)."""

from __future__ import annotations

from curation.leakage.audit import AuditReport, Finding, audit, feature_keys
from curation.leakage.predefined import select_test_rows
from curation.leakage.split import SplitResult, split

__all__ = ["AuditReport", "Finding", "SplitResult", "audit", "feature_keys",
           "select_test_rows", "split"]
