"""KDD Cup 1999 and NSL-KDD connection records (headerless CSV and ARFF).

Published layouts, all read by :func:`~iotforge.curation.sources._delimited.open_delimited`:

* ``kddcup.data``, ``kddcup.data_10_percent``, ``corrected`` (KDD Cup 99): no header,
  42 comma-separated fields: the 41 features of :data:`FEATURES`, then the label,
  written with a trailing period (``normal.``, ``smurf.``).
* ``KDDTrain+.txt``, ``KDDTest+.txt`` (NSL-KDD): the same 42 fields without the period,
  plus a 43rd field, the difficulty level (how many of 21 learners got the record
  right). The layout is chosen by the field count of the first record.
* ``KDDTrain+.arff``, ``KDDTest+.arff`` (NSL-KDD): ``@relation``, one
  ``@attribute 'name' type`` per column, ``@data``; ``%`` starts a comment, ``?`` is
  the missing marker. The class attribute ``class`` holds ``normal``/``anomaly``.
  The header is parsed here; the records stream like any CSV after it.
* A CSV that carries the feature names as a header line (as some re-publications do).

Labels keep their raw spelling in ``label_raw``; the taxonomy's normal form drops
the period, so ``smurf.`` and ``smurf`` are one class.

>>> spec_for("protocol_type", []).role, spec_for("land", []).kind
('categorical', 'bool')
>>> spec_for("difficulty", []).role
'label'
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SchemaMismatchError
from ..schema import ColumnSpec
from ._base import Adapter, Probe, Source, SourceOptions, canonical_name
from ._delimited import SpecFor, open_delimited
from ._stream import open_capture
from ._text import read_head, text_info

__all__ = ["ADAPTER", "BOOLEAN", "CATEGORICAL", "DIFFICULTY", "DIFFICULTY_NAMES", "FEATURES",
           "LABEL", "LABEL_NAMES", "PROTOCOLS", "SPECS", "ArffHeader", "KDDAdapter",
           "parse_arff_header", "spec_for"]

FEATURES: tuple[str, ...] = (
    "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
    "wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in",
    "num_compromised", "root_shell", "su_attempted", "num_root", "num_file_creations",
    "num_shells", "num_access_files", "num_outbound_cmds", "is_host_login",
    "is_guest_login", "count", "srv_count", "serror_rate", "srv_serror_rate",
    "rerror_rate", "srv_rerror_rate", "same_srv_rate", "diff_srv_rate",
    "srv_diff_host_rate", "dst_host_count", "dst_host_srv_count",
    "dst_host_same_srv_rate", "dst_host_diff_srv_rate", "dst_host_same_src_port_rate",
    "dst_host_srv_diff_host_rate", "dst_host_serror_rate", "dst_host_srv_serror_rate",
    "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
)
"""The 41 published KDD Cup 99 features, in file order."""

LABEL = "label"
DIFFICULTY = "difficulty"
LABEL_NAMES = ("label", "class", "labels", "attack", "outcome")
"""Names a label column goes by: the headerless layouts get ``label``, the ARFF
files ``class``; re-published CSVs use the others."""
DIFFICULTY_NAMES = {"difficulty": DIFFICULTY, "difficulty_level": DIFFICULTY,
                    "level": DIFFICULTY}
PROTOCOLS = frozenset({"tcp", "udp", "icmp"})

CATEGORICAL = frozenset({"protocol_type", "service", "flag"})
BOOLEAN = frozenset({"land", "logged_in", "root_shell", "is_host_login", "is_guest_login"})
# su_attempted is documented as 0/1, yet the published files also hold 2: a count,
# so no value is lost to the boolean rule.
SPECS: dict[str, ColumnSpec] = {}
for _name in FEATURES:
    if _name in CATEGORICAL:
        # Published codes (flag: SF, S0, REJ, like Zeek's conn_state) are kept as written.
        SPECS[_name] = ColumnSpec(_name, "categorical", "string", case_sensitive=True)
    elif _name in BOOLEAN:
        SPECS[_name] = ColumnSpec(_name, "categorical", "bool")
    elif _name.endswith("_rate"):
        SPECS[_name] = ColumnSpec(_name, "numeric", "float", "ratio")
    else:
        SPECS[_name] = ColumnSpec(_name, "numeric", "int", "nonnegative")
# The difficulty level is derived from how learners classified the record, so it
# leaks the label: role ``label`` keeps it out of features and out of the audit's
# probes, like other labelling metadata.
SPECS[DIFFICULTY] = ColumnSpec(DIFFICULTY, "label", "int", "nonnegative")

_ARFF_ATTRIBUTE = re.compile(
    r"""^@attribute\s+('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S+)\s+(.*?)\s*$""", re.I)


def spec_for(name: str, values: list[str | None]) -> ColumnSpec | None:
    """The spec of a published KDD column, or None for any other name."""
    return SPECS.get(name)


@dataclass
class ArffHeader:
    """The header of an ARFF file: its relation, attributes and length in lines."""

    relation: str
    attributes: list[tuple[str, str]]
    header_lines: int


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def parse_arff_header(path: Path) -> ArffHeader:
    """Read an ARFF header up to and including its ``@data`` line.

    Lines are counted the way :func:`~iotforge.curation.sources._text.iter_text_chunks` counts
    them (CR, LF and CRLF each end one line), so record line numbers stay exact.
    """
    info = text_info(read_head(path, 4096))
    encoding = "utf-8-sig" if info.encoding == "utf-8" else info.encoding
    relation, attributes = "", []
    with open_capture(path) as raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace",
                                                      newline=None) as fh:
        for number, line in enumerate(fh, start=1):
            text = line.strip()
            low = text.lower()
            if not text or text.startswith("%"):
                continue
            if low.startswith("@relation"):
                relation = _unquote(text[len("@relation"):].strip())
            elif low.startswith("@attribute"):
                match = _ARFF_ATTRIBUTE.match(text)
                if match is None:
                    raise SchemaMismatchError(
                        f"expected '@attribute NAME TYPE', found {text[:80]!r}",
                        path=str(path), line=number)
                attributes.append((_unquote(match.group(1)), match.group(2)))
            elif low.startswith("@data"):
                if not attributes:
                    break
                return ArffHeader(relation, attributes, number)
    raise SchemaMismatchError("expected '@attribute' lines followed by '@data', found none",
                              path=str(path))


def _arff_spec(name: str, arff_type: str) -> ColumnSpec:
    """A spec from an ARFF type, for attributes KDD does not define."""
    low = arff_type.strip().lower()
    if low in ("numeric", "real"):
        return ColumnSpec(name, "numeric", "float")
    if low == "integer":
        return ColumnSpec(name, "numeric", "int")
    if low.startswith("date"):
        return ColumnSpec(name, "time", "timestamp")
    return ColumnSpec(name, "categorical", "string")


def _known_names(names: list[str]) -> int:
    return len({canonical_name(n) for n in names} & set(FEATURES))


def _rename(names: list[str]) -> dict[str, str]:
    """Canonical difficulty names -> ``difficulty``; label names stay as they are."""
    return {canonical_name(n): DIFFICULTY_NAMES[canonical_name(n)] for n in names
            if canonical_name(n) in DIFFICULTY_NAMES}


def _is_arff(probe: Probe) -> bool:
    for line in probe.lines:
        text = line.strip()
        if text and not text.startswith("%"):
            return text.lower().startswith("@relation")
    return False


class KDDAdapter(Adapter):
    name = "kdd"
    description = "KDD Cup 99 / NSL-KDD records (headerless CSV, 42 or 43 fields; ARFF)"

    def sniff(self, probe: Probe) -> float:
        if probe.binary:
            return 0.0
        if _is_arff(probe):
            names = [m.group(1) for m in map(_ARFF_ATTRIBUTE.match, probe.lines) if m]
            return 0.95 if _known_names([_unquote(n) for n in names]) >= 20 else 0.0
        fields = probe.first_data_line.split(",")
        if len(fields) in (42, 43) and fields[1].strip().lower() in PROTOCOLS:
            return 0.95
        if _known_names(fields) >= 30:
            return 0.9
        return 0.0

    def open(self, path: Path, options: SourceOptions) -> Source:
        probe = self.text_probe(path)
        if _is_arff(probe):
            return self._open_arff(path, options)
        first = probe.first_data_line
        fields = first.split(",")
        if _known_names(fields) >= 30:  # a header line with the feature names
            return self._open(path, options, fields, probe.lines.index(first) + 1)
        if len(fields) not in (42, 43):
            raise SchemaMismatchError(
                f"expected 42 or 43 comma-separated fields (41 features, the label and "
                f"NSL-KDD's difficulty), found {len(fields)}",
                path=str(path), line=probe.lines.index(first) + 1,
                hint="check that this is a KDD Cup 99 or NSL-KDD file, or give --format")
        names = [*FEATURES, LABEL] + ([DIFFICULTY] if len(fields) == 43 else [])
        return self._open(path, options, names, probe.lines.index(first))

    def _open(self, path: Path, options: SourceOptions, names: list[str],
              header_lines: int, *, spec: SpecFor = spec_for,
              comment_prefix: str | None = None, quote_char: str = '"') -> Source:
        return open_delimited(
            path, name=self.name, raw_names=names, delimiter=",",
            header_lines=header_lines, spec_for=spec, rename=_rename(names),
            label_columns=list(LABEL_NAMES), fixed_label=options.default_label,
            comment_prefix=comment_prefix, quote_char=quote_char,
        )

    def _open_arff(self, path: Path, options: SourceOptions) -> Source:
        header = parse_arff_header(path)
        names = [name for name, _ in header.attributes]
        canon = {canonical_name(n): t for n, t in header.attributes}
        canon.update({DIFFICULTY_NAMES[c]: canon[c] for c in list(canon)
                      if c in DIFFICULTY_NAMES})

        def arff_spec(name: str, values: list[str | None]) -> ColumnSpec:
            return SPECS.get(name) or _arff_spec(name, canon.get(name, "string"))

        source = self._open(path, options, names, header.header_lines,
                            spec=arff_spec, comment_prefix="%", quote_char="'")
        if header.relation:
            source.notes.append(f"ARFF relation {header.relation!r}")
        return source


ADAPTER = KDDAdapter()
