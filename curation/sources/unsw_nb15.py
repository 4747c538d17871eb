"""UNSW-NB15 flow records (Argus + Bro features), both published CSV layouts.

* ``UNSW-NB15_1.csv`` .. ``UNSW-NB15_4.csv``: no header, the 49 columns of
  ``NUSW-NB15_features.csv`` (:data:`RAW_COLUMNS`). Detected by a 49-field first
  record with IP addresses in fields 1 and 3. The same columns under a header line
  are read the same way.
* ``UNSW_NB15_training-set.csv`` / ``UNSW_NB15_testing-set.csv``: a header line with
  the 45 columns of :data:`PARTITION_COLUMNS` (no addresses, ports or times).

Five raw columns measure what the partitioned sets call by another name; they are
renamed to the partitioned names (:data:`RENAME`) so both layouts share one schema.

Labels: ``attack_cat`` is the class; normal rows of the raw files leave it empty, so
the 0/1 ``label`` flag is the second label column: the taxonomy maps ``0`` to
``normal`` (and ``1`` to the generic ``attack``), and ``label_raw`` shows which one
was used. ``label`` is also the binary flag the cleaning step checks against the
class. Stray spaces and ``Backdoors``/``Backdoor`` are the taxonomy's business.

Ports: the raw files write some ports in hexadecimal (``0x000b``);
:func:`hex_to_decimal` turns hex strings in port columns into decimal text before
cleaning (a general rule for port columns). ``-`` is a missing marker.

>>> import pyarrow as pa
>>> hex_to_decimal(pa.chunked_array([["0x000b", "80", "-", " 0xFFFF"]])).to_pylist()
['11', '80', '-', '65535']
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SchemaMismatchError
from ..schema import ColumnSpec
from ._base import Adapter, Probe, Source, SourceOptions, canonical_name
from ._delimited import open_delimited

__all__ = ["ADAPTER", "BINARY_LABEL", "LABEL_COLUMNS", "PARTITION_COLUMNS", "PORT_COLUMNS",
           "RAW_COLUMNS", "RENAME", "SPECS", "UNSWNB15Adapter", "hex_to_decimal", "spec_for"]

RAW_COLUMNS: tuple[str, ...] = (
    "srcip", "sport", "dstip", "dsport", "proto", "state", "dur", "sbytes", "dbytes",
    "sttl", "dttl", "sloss", "dloss", "service", "Sload", "Dload", "Spkts", "Dpkts",
    "swin", "dwin", "stcpb", "dtcpb", "smeansz", "dmeansz", "trans_depth", "res_bdy_len",
    "Sjit", "Djit", "Stime", "Ltime", "Sintpkt", "Dintpkt", "tcprtt", "synack", "ackdat",
    "is_sm_ips_ports", "ct_state_ttl", "ct_flw_http_mthd", "is_ftp_login", "ct_ftp_cmd",
    "ct_srv_src", "ct_srv_dst", "ct_dst_ltm", "ct_src_ltm", "ct_src_dport_ltm",
    "ct_dst_sport_ltm", "ct_dst_src_ltm", "attack_cat", "Label",
)
"""The 49 columns of the raw files, in the order of ``NUSW-NB15_features.csv``."""

PARTITION_COLUMNS: tuple[str, ...] = (
    "id", "dur", "proto", "service", "state", "spkts", "dpkts", "sbytes", "dbytes",
    "rate", "sttl", "dttl", "sload", "dload", "sloss", "dloss", "sinpkt", "dinpkt",
    "sjit", "djit", "swin", "stcpb", "dtcpb", "dwin", "tcprtt", "synack", "ackdat",
    "smean", "dmean", "trans_depth", "response_body_len", "ct_srv_src", "ct_state_ttl",
    "ct_dst_ltm", "ct_src_dport_ltm", "ct_dst_sport_ltm", "ct_dst_src_ltm",
    "is_ftp_login", "ct_ftp_cmd", "ct_flw_http_mthd", "ct_src_ltm", "ct_srv_dst",
    "is_sm_ips_ports", "attack_cat", "label",
)
"""The 45 header columns of the training and testing sets."""

RENAME: dict[str, str] = {
    "smeansz": "smean", "dmeansz": "dmean", "res_bdy_len": "response_body_len",
    "sintpkt": "sinpkt", "dintpkt": "dinpkt",
}
"""Raw-file names -> training-set names of the same measurements."""

LABEL_COLUMNS = ["attack_cat", "label"]
BINARY_LABEL = "label"
PORT_COLUMNS = ("sport", "dsport")


def _specs() -> dict[str, ColumnSpec]:
    specs = {
        "id": ColumnSpec("id", "id", "string"),
        "srcip": ColumnSpec("srcip", "endpoint", "string", "ip"),
        "dstip": ColumnSpec("dstip", "endpoint", "string", "ip"),
        # The source port identifies the connection, the destination port the service.
        "sport": ColumnSpec("sport", "endpoint", "int", "port"),
        "dsport": ColumnSpec("dsport", "numeric", "int", "port"),
        "stime": ColumnSpec("stime", "time", "timestamp"),
        "ltime": ColumnSpec("ltime", "time", "timestamp"),
        # Documented as 0/1 flags; is_ftp_login also holds 2 and 4 in the published
        # files, so it stays a count and loses nothing to the boolean rule.
        "is_sm_ips_ports": ColumnSpec("is_sm_ips_ports", "categorical", "bool"),
    }
    for name in ("proto", "state", "service"):
        # Argus writes canonical codes (state FIN, CON, INT); kept as written.
        specs[name] = ColumnSpec(name, "categorical", "string", case_sensitive=True)
    for name in ("sbytes", "dbytes", "sttl", "dttl", "sloss", "dloss", "spkts", "dpkts",
                 "swin", "dwin", "stcpb", "dtcpb", "trans_depth", "response_body_len",
                 "ct_state_ttl", "ct_flw_http_mthd", "is_ftp_login", "ct_ftp_cmd",
                 "ct_srv_src", "ct_srv_dst", "ct_dst_ltm", "ct_src_ltm", "ct_src_dport_ltm",
                 "ct_dst_sport_ltm", "ct_dst_src_ltm"):
        specs[name] = ColumnSpec(name, "numeric", "int", "nonnegative")
    for name in ("dur", "rate", "sload", "dload", "smean", "dmean", "sjit", "djit",
                 "sinpkt", "dinpkt", "tcprtt", "synack", "ackdat"):
        specs[name] = ColumnSpec(name, "numeric", "float", "nonnegative")
    return specs


SPECS: dict[str, ColumnSpec] = _specs()
_KNOWN = {RENAME.get(canonical_name(c), canonical_name(c))
          for c in RAW_COLUMNS + PARTITION_COLUMNS}
_HEX = r"^\s*0[xX][0-9a-fA-F]+\s*$"


def spec_for(name: str, values: list[str | None]) -> ColumnSpec | None:
    """The spec of a published UNSW-NB15 column, or None for any other name."""
    return SPECS.get(name)


def hex_to_decimal(values: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Hexadecimal strings (``0x1f``) as decimal text; other values unchanged.

    A port column holds integers; some tools print them in hex. Values that are
    not hex pass through so the numeric rule still sees (and reports) them.
    """
    mask = pc.fill_null(pc.match_substring_regex(values, _HEX), False)
    if not pc.any(mask).as_py():
        return values
    out = [str(int(v.strip(), 16)) if hit else v
           for v, hit in zip(values.to_pylist(), mask.to_pylist(), strict=True)]
    return pa.chunked_array([pa.array(out, pa.string())])


def _derive(table: pa.Table) -> pa.Table:
    for name in PORT_COLUMNS:
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, hex_to_decimal(table.column(name)))
    return table


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def _header_names(line: str) -> list[str]:
    return [RENAME.get(canonical_name(c), canonical_name(c)) for c in line.split(",")]


def _is_raw_record(fields: list[str]) -> bool:
    return (len(fields) == len(RAW_COLUMNS) and _is_ip(fields[0]) and _is_ip(fields[2])
            and fields[-1].strip() in ("0", "1"))


class UNSWNB15Adapter(Adapter):
    name = "unsw_nb15"
    description = "UNSW-NB15 CSV: raw headerless UNSW-NB15_1..4 (49 columns) and the " \
                  "training/testing sets (header)"

    def sniff(self, probe: Probe) -> float:
        if probe.binary:
            return 0.0
        line = probe.first_data_line
        if _is_raw_record(line.split(",")):
            return 0.95
        names = set(_header_names(line))
        # attack_cat is UNSW's own name; the count guards against a CSV that merely
        # shares a few generic names (sbytes, dur) with it.
        if "attack_cat" in names and len(names & _KNOWN) >= 20:
            return 0.95
        return 0.0

    def open(self, path: Path, options: SourceOptions) -> Source:
        probe = self.text_probe(path)
        line = probe.first_data_line
        at = probe.lines.index(line)
        fields = line.split(",")
        if _is_raw_record(fields) or (len(fields) == len(RAW_COLUMNS)
                                      and "attack_cat" not in _header_names(line)):
            raw_names, header_lines = list(RAW_COLUMNS), at
        else:
            raw_names, header_lines = fields, at + 1
            missing = {"attack_cat", "label"} - set(_header_names(line))
            if missing:
                raise SchemaMismatchError(
                    f"expected a UNSW-NB15 header with attack_cat and label, found "
                    f"{len(fields)} columns without {sorted(missing)}",
                    path=str(path), line=at + 1,
                    hint="the raw files have 49 fields and no header; check the file")
        return open_delimited(
            path,
            name=self.name,
            raw_names=raw_names,
            delimiter=",",
            header_lines=header_lines,
            spec_for=spec_for,
            rename=RENAME,
            label_columns=LABEL_COLUMNS,
            binary_label=BINARY_LABEL,
            fixed_label=options.default_label,
            derive=_derive,
        )


ADAPTER = UNSWNB15Adapter()
