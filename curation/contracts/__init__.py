"""Data contracts: Great Expectations suites drafted from data, loaded, checked and run.

``profile`` drafts a suite from reference data, ``suites`` finds and checks suite
files (every expectation must load), ``validate`` runs a suite on the canonical
table, and ``contract`` applies a suite row by row (synthetic rows must meet the
contract of their source).
"""

from __future__ import annotations

from ._results import FailedExpectation, ValidationReport
from .contract import for_rows, for_synthetic_rows, row_contract, valid_rows
from .profile import dump_suite, profile_frame
from .suites import (
    ExpectationProblem,
    available_suites,
    check_suite,
    load_suite,
)
from .validate import read_canonical, select_rows, validate_frame

__all__ = ["ExpectationProblem", "FailedExpectation", "ValidationReport", "available_suites",
           "check_suite", "dump_suite", "for_rows", "for_synthetic_rows", "load_suite",
           "profile_frame", "read_canonical", "row_contract", "select_rows", "valid_rows",
           "validate_frame"]
