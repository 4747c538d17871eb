"""The words and ranges cleaning recognises: a leaf module, importing nothing of curation.

Readers (:mod:`iotforge.curation.sources`) use the missing-value markers to parse numeric
chunks; the cleaning rules (:mod:`iotforge.curation.rules`) and role inference
(:mod:`iotforge.curation.roles`) use all of it. Keeping them here, apart from both, means the
readers and the rules never import each other.

>>> "N/A" in MISSING_MARKERS, "yes" in TRUE_SPELLINGS, DOMAIN_RANGES["port"]
(True, True, (0.0, 65535.0))
"""

from __future__ import annotations

MISSING_MARKERS = frozenset({
    "", "-", "--", "(empty)", "?", "nan", "NaN", "NAN", "null", "NULL", "Null", "None",
    "none", "NA", "N/A", "n/a", "na", "#N/A", "Infinity", "-Infinity", "+Infinity",
    "infinity", "inf", "-inf", "+inf", "Inf", "-Inf", "INF", "(null)", "<NA>", "nil",
})
"""Text that means "no value", compared after trimming whitespace."""

TRUE_SPELLINGS = frozenset({"true", "t", "yes", "y", "1", "on", "1.0"})
"""Lower-cased spellings of true."""

FALSE_SPELLINGS = frozenset({"false", "f", "no", "n", "0", "off", "0.0"})
"""Lower-cased spellings of false."""

DOMAIN_RANGES: dict[str, tuple[float, float]] = {
    "port": (0.0, 65535.0),
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "nonnegative": (0.0, float("inf")),
    "ratio": (0.0, 1.0),
    "protocol_number": (0.0, 255.0),
}
"""Closed value ranges of the column domains the ``range`` rule checks."""

SENTINEL_DOMAINS: dict[str, tuple[float, ...]] = {"nonnegative": (-1.0,), "port": (-1.0,)}
"""Sentinels a domain implies when a column declares none (``-1``: "not measured")."""

EPOCH_SECONDS = (631152000.0, 4102444800.0)
"""Plausible epochs: from 1990-01-01 (inclusive) to 2100-01-01 (exclusive), UTC."""

NUMBER_PATTERN = (r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                  r"|(?i:nan|inf|infinity))$")
"""Text Arrow's float parser reads as a number (RE2 syntax): decimal and scientific
notation, and the ``nan``/``inf`` spellings, which cleaning makes missing."""

DECIMAL_COMMA_PATTERN = r"^[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]*)(?:,[0-9]+)?$"
"""A number written with a decimal comma, maybe with dots between thousands
(``30,57``, ``-0,5``, ``1.234.567,89``, ``1.234``, ``42``) (RE2 syntax)."""

THOUSANDS_PATTERN = r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$"
"""A number with commas between thousands and a decimal point (``1,234,567.5``)."""

HEX_PATTERN = r"^[+-]?0[xX][0-9a-fA-F]+$"
"""An integer in hexadecimal notation (``0x1F``), as checksums and flags are written."""

__all__ = ["DECIMAL_COMMA_PATTERN", "DOMAIN_RANGES", "EPOCH_SECONDS", "FALSE_SPELLINGS",
           "HEX_PATTERN", "MISSING_MARKERS", "NUMBER_PATTERN", "SENTINEL_DOMAINS",
           "THOUSANDS_PATTERN", "TRUE_SPELLINGS"]
