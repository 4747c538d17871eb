"""Small HTML and Markdown helpers shared by the report's modules."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from html import escape
from typing import Any

__all__ = ["_f", "_md_table", "_table"]


def _f(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}".replace("-", "−")


_NUMBER = re.compile(r"[\d\s.,%±−+\-\[\]/–]*")
_TAG = re.compile(r"<[^>]+>")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table; columns holding only numbers are right-aligned, text left-aligned."""
    numeric = [i > 0 and all(_NUMBER.fullmatch(_TAG.sub("", r[i])) for r in rows)
               for i in range(len(header))]
    align = ["" if n else ' class="t"' for n in numeric]
    head = "".join(f"<th{a}>{escape(h)}</th>" for h, a in zip(header, align, strict=True))
    body = "".join("<tr>" + "".join(f"<td{a}>{c}</td>" for c, a in zip(r, align, strict=True))
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
