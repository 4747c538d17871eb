"""Leakage: the audit for label leaks and duplicates, and train/test splits that share no
feature row (stratified, time, group, or the dataset's own predefined test side)."""

from __future__ import annotations

from .audit import AuditReport, Finding, audit, feature_keys
from .predefined import select_test_rows
from .split import SplitResult, split

__all__ = ["AuditReport", "Finding", "SplitResult", "audit", "feature_keys",
           "select_test_rows", "split"]
