"""CICFlowMeter CSV: CIC-IDS2017 (original and improved), CSE-CIC-IDS2018, CIC-IoT-2023.

The releases name the same features differently (``Total Fwd Packets``,
``Tot Fwd Pkts``, ``Total Fwd Packet``; ``Init_Win_bytes_forward``,
``Init Fwd Win Byts``, ``FWD Init Win Bytes``; leading spaces; ``Label`` or
``label``). Every header name is reduced to one canonical key by token
rewriting (:func:`feature_key`), so all releases land in the same columns.
Identifier columns (``Flow ID``, ``Src IP``, ``Timestamp``, ``id``) are optional.
CICFlowMeter writes ``-1`` when a TCP window or ICMP field was not measured and
``Infinity``/``NaN`` for rates of zero-length flows: the ``sentinel`` and
``missing_marker`` rules handle them.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..roles import infer_spec
from ..schema import ColumnSpec
from ._base import Adapter, Probe, Source, SourceOptions, canonical_name
from ._delimited import open_delimited
from ._text import sniff_delimiter

__all__ = ["ADAPTER", "ALIASES", "MARKERS", "SENTINEL_COLUMNS", "TOKENS", "CICFlowMeterAdapter",
           "feature_key"]

TOKENS = {
    "tot": "total", "totlen": "total_length", "pkts": "packet", "pkt": "packet",
    "packets": "packet", "byts": "bytes", "len": "length", "cnt": "count",
    "blk": "bulk", "var": "variance", "seg": "segment", "backward": "bwd",
    "forward": "fwd", "avg": "avg", "std": "std", "of": "", "b": "bulk",
}
ALIASES = {
    "min_packet_length": "packet_length_min",
    "max_packet_length": "packet_length_max",
    "average_packet_size": "packet_size_avg",
    "avg_fwd_segment_size": "fwd_segment_size_avg",
    "avg_bwd_segment_size": "bwd_segment_size_avg",
    "fwd_avg_bytes_bulk": "fwd_bytes_bulk_avg",
    "fwd_avg_packet_bulk": "fwd_packet_bulk_avg",
    "fwd_avg_bulk_rate": "fwd_bulk_rate_avg",
    "bwd_avg_bytes_bulk": "bwd_bytes_bulk_avg",
    "bwd_avg_packet_bulk": "bwd_packet_bulk_avg",
    "bwd_avg_bulk_rate": "bwd_bulk_rate_avg",
    "init_win_bytes_fwd": "fwd_init_win_bytes",
    "init_win_bytes_bwd": "bwd_init_win_bytes",
    "init_fwd_win_bytes": "fwd_init_win_bytes",
    "init_bwd_win_bytes": "bwd_init_win_bytes",
    "act_data_packet_fwd": "fwd_act_data_packet",
    "min_segment_size_fwd": "fwd_segment_size_min",
    "destination_port": "dst_port",
    "source_port": "src_port",
    "source_ip": "src_ip",
    "destination_ip": "dst_ip",
    "total_length_fwd_packet": "total_length_fwd_packet",
    "cwe_flag_count": "cwr_flag_count",
    "fwd_header_length_1": "fwd_header_length__2",
    "flow_bytes": "flow_bytes_s",
    "protocol_type": "protocol",
}
SENTINEL_COLUMNS = {"fwd_init_win_bytes", "bwd_init_win_bytes", "icmp_code", "icmp_type"}
MARKERS = {"flow_duration", "flow_iat_mean", "total_fwd_packet", "fwd_packet_length_max",
           "flow_bytes_s", "flow_packet_s", "dst_port", "fwd_iat_total", "syn_flag_count",
           "header_length", "rate", "srate", "tot_sum", "iat"}


def feature_key(raw: str) -> str:
    """One canonical name for a CICFlowMeter header in any release's spelling.

    >>> [feature_key(n) for n in (" Total Fwd Packets", "Tot Fwd Pkts", "Total Fwd Packet")]
    ['total_fwd_packet', 'total_fwd_packet', 'total_fwd_packet']
    >>> feature_key("Init_Win_bytes_forward"), feature_key("FWD Init Win Bytes")
    ('fwd_init_win_bytes', 'fwd_init_win_bytes')
    """
    name = canonical_name(re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", raw.strip())
                          if raw.strip()[:1].isupper() and "_" not in raw else raw)
    tokens = [TOKENS.get(t, t) for t in name.split("_")]
    key = "_".join(t for t in tokens if t)
    return ALIASES.get(key, key)


def _spec(name: str, values: list[str | None]) -> ColumnSpec | None:
    if name in ("flow_id", "id"):
        return ColumnSpec(name, "id", "string")
    if name in ("src_ip", "dst_ip"):
        return ColumnSpec(name, "endpoint", "string", "ip")
    if name == "src_port":
        return ColumnSpec(name, "endpoint", "int", "port")
    if name == "dst_port":
        return ColumnSpec(name, "numeric", "int", "port")
    if name == "protocol":
        return ColumnSpec(name, "categorical", "string")
    if name == "timestamp":
        return ColumnSpec(name, "time", "timestamp")
    if name == "attempted_category":
        # Improved CIC-IDS2017 labelling metadata: -1 or the attempted attack. Label
        # information, so never a feature.
        return ColumnSpec(name, "label", "int")
    spec = infer_spec(name)
    if spec.role in ("numeric",) or spec.role == "categorical" and "flag" in name:
        domain = "nonnegative" if spec.domain == "none" and "flag" in name else spec.domain
        return ColumnSpec(name, "numeric", "float", domain,
                          sentinels=(-1.0,) if name in SENTINEL_COLUMNS else ())
    return None


class CICFlowMeterAdapter(Adapter):
    name = "cicflowmeter"
    description = "CICFlowMeter CSV (CIC-IDS2017/2018, CIC-IoT-2023 naming variants)"

    def sniff(self, probe: Probe) -> float:
        header = probe.first_data_line
        delim = sniff_delimiter(header)
        keys = {feature_key(c) for c in header.split(delim)}
        hits = len(keys & MARKERS)
        has_label = "label" in keys
        if hits >= 3 and has_label:
            return 0.9
        if hits >= 3:
            return 0.5
        return 0.0

    def open(self, path: Path, options: SourceOptions) -> Source:
        probe = self.text_probe(path)
        header = probe.first_data_line
        delim = options.delimiter or sniff_delimiter(header)
        raw_names = header.split(delim)
        rename = {canonical_name(n): feature_key(n) for n in raw_names}
        return open_delimited(
            path,
            name="cicflowmeter",
            raw_names=raw_names,
            delimiter=delim,
            decimal=options.decimal,
            clock=options.clock,
            header_lines=probe.lines.index(header) + 1,
            rename=rename,
            spec_for=_spec,
            label_columns=["label"],
            fixed_label=options.default_label,
        )


ADAPTER = CICFlowMeterAdapter()
