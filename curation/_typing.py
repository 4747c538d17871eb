"""Literal aliases for every string option of the curation API."""

from __future__ import annotations

from typing import Literal

Role = Literal["id", "endpoint", "time", "numeric", "categorical", "label", "provenance"]
"""The one role of a column. Models learn from ``numeric`` and ``categorical`` only."""

Kind = Literal["float", "int", "string", "bool", "timestamp"]
"""Storage type of a canonical column."""

Domain = Literal[
    "port",
    "latitude",
    "longitude",
    "nonnegative",
    "ratio",
    "ip",
    "protocol_number",
    "none",
]
"""Physical or protocol value domain; the ``range`` rule checks it."""

Policy = Literal["fix", "set_missing", "quarantine", "report", "drop"]
"""What a cleaning rule does with what it detects."""

FormatName = Literal[
    "ton_iot", "zeek", "cicflowmeter", "kdd", "unsw_nb15", "pcap", "mapping"
]
"""Names of the built-in source adapters."""

OnBadFile = Literal["fail", "skip"]
"""What curate does with an input file it cannot read at all: stop, or skip and report."""

DedupeScope = Literal["global", "file"]
"""Where curate looks for exact duplicates: across all input files, or within each file."""

DecimalMark = Literal[".", ","]
"""The decimal separator of a file's numbers (``,``: much of Europe's CSV exports)."""
