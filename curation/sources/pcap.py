"""Packet captures (pcap and pcapng) as bidirectional flows with statistical features.

NFStream (libpcap, C flow metering) turns the packets into flows; one flow is one
row, ``source_row`` its 1-based index in the order the meter emits flows. A single
meter process is used so that order, and with it ``source_row``, is reproducible.
Flows end after ``idle_timeout`` seconds without a packet or ``active_timeout``
seconds after they began (NFStream's defaults, 120 and 1800), or at the end of the file.

Labels, first found wins (see :mod:`iotforge.curation.sources._flow_labels`):

1. ``--label-rules FILE`` (``SourceOptions.label_rules``): a YAML rule list;
2. a labelled Zeek ``conn.log.labeled`` in the capture's folder (IoT-23 layout),
   joined by 5-tuple and time;
3. the capture's folder name, or else its file name, when the taxonomy knows it
   (MQTTset: ``bruteforce/bruteforce-train.pcapng``);
4. ``--default-label``.

A flow none of them labels is quarantined by the ``missing_label`` rule.

Before metering, the file's record structure is walked (headers only, no packet
parsing): a capture damaged before its first packet is an :class:`InputError`; one
truncated or corrupt later keeps the flows of the packets before the damage and
quarantines one ``row_shape`` record that says where the damage is.
"""

from __future__ import annotations

import contextlib
import io
import logging
import mmap
import multiprocessing
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError, UsageError
from ..schema import ColumnSpec
from ._base import Adapter, Probe, RawBatch, Source, SourceOptions
from ._flow_labels import ConnLogLabels, LabelRules, first_known
from ._stream import DECOMPRESS_HINT, compression_of
from ._text import InvalidRecord

__all__ = ["ADAPTER", "ARROW", "CONN_LOG_COLUMN", "DISSECTION_SPECS", "MAX_RECORD", "PCAPNG_ORDER",
           "PCAPNG_PACKET_BLOCKS", "PCAPNG_SHB", "PCAP_MAGIC", "REPAIR_HINT", "RULES_COLUMN",
           "SIBLING_LABEL_LOGS", "SPECS", "CaptureScan", "PcapAdapter", "scan_capture"]

log = logging.getLogger(__name__)

PCAP_MAGIC = {  # first four bytes -> (struct byte order, nanosecond timestamps)
    b"\xd4\xc3\xb2\xa1": ("<", False), b"\xa1\xb2\xc3\xd4": (">", False),
    b"\x4d\x3c\xb2\xa1": ("<", True), b"\xa1\xb2\x3c\x4d": (">", True),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
PCAPNG_ORDER = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
PCAPNG_PACKET_BLOCKS = (2, 3, 6)  # obsolete packet, simple packet, enhanced packet
MAX_RECORD = 262144  # libpcap refuses larger packet records
SIBLING_LABEL_LOGS = ("conn.log.labeled",)
RULES_COLUMN = "label_raw_rules"
CONN_LOG_COLUMN = "label_raw_conn_log"
REPAIR_HINT = ("repair it with 'pcapfix' or cut it at the damage with 'editcap', or "
               "re-export it from the capturing tool")

_INT = ("int", "nonnegative")
_FLOAT = ("float", "nonnegative")


def _specs() -> dict[str, ColumnSpec]:
    """Role, kind and domain of every NFStream column (statistical analysis on)."""
    specs = [ColumnSpec("id", "id", "int"), ColumnSpec("expiration_id", "id", "int")]
    for end in ("src", "dst"):
        specs += [ColumnSpec(f"{end}_ip", "endpoint", "string", "ip"),
                  ColumnSpec(f"{end}_mac", "endpoint", "string"),
                  ColumnSpec(f"{end}_oui", "endpoint", "string")]
    specs += [ColumnSpec("src_port", "endpoint", "int", "port"),
              ColumnSpec("dst_port", "numeric", "int", "port"),
              ColumnSpec("protocol", "categorical", "int", "protocol_number"),
              ColumnSpec("ip_version", "categorical", "int"),
              ColumnSpec("vlan_id", "categorical", "int"),
              ColumnSpec("tunnel_id", "categorical", "int")]
    for way in ("bidirectional", "src2dst", "dst2src"):
        specs += [ColumnSpec(f"{way}_first_seen_ms", "time", "timestamp"),
                  ColumnSpec(f"{way}_last_seen_ms", "time", "timestamp")]
        specs += [ColumnSpec(f"{way}_{m}", "numeric", *_INT)  # type: ignore[arg-type]
                  for m in ("duration_ms", "packets", "bytes", "min_ps", "max_ps",
                            "min_piat_ms", "max_piat_ms")]
        specs += [ColumnSpec(f"{way}_{m}", "numeric", *_FLOAT)  # type: ignore[arg-type]
                  for m in ("mean_ps", "stddev_ps", "mean_piat_ms", "stddev_piat_ms")]
        specs += [ColumnSpec(f"{way}_{f}_packets", "numeric", *_INT)  # type: ignore[arg-type]
                  for f in ("syn", "cwr", "ece", "urg", "ack", "psh", "rst", "fin")]
    return {s.name: s for s in specs}


def _dissection_specs() -> dict[str, ColumnSpec]:
    """Columns present only with ``n_dissections > 0`` (nDPI application detection)."""
    specs = [ColumnSpec("application_name", "categorical", "string"),
              ColumnSpec("application_category_name", "categorical", "string"),
              ColumnSpec("application_is_guessed", "categorical", "int"),
              ColumnSpec("application_confidence", "categorical", "int"),
              ColumnSpec("requested_server_name", "endpoint", "string"),
              ColumnSpec("client_fingerprint", "categorical", "string", case_sensitive=True),
              ColumnSpec("server_fingerprint", "categorical", "string", case_sensitive=True),
              ColumnSpec("user_agent", "categorical", "string", case_sensitive=True),
              ColumnSpec("content_type", "categorical", "string")]
    return {s.name: s for s in specs}


SPECS = _specs()
DISSECTION_SPECS = _dissection_specs()
ARROW = {"int": pa.int64(), "float": pa.float64(), "string": pa.string()}


@dataclass(frozen=True)
class CaptureScan:
    """What walking a capture's record headers found.

    ``damage`` is None for an intact file, else ``(offset, reason)``: the byte where
    the first damaged record starts. ``packets`` counts the complete ones before it.
    """

    kind: str
    packets: int
    damage: tuple[int, str] | None


def scan_capture(path: Path) -> CaptureScan:
    """Walk the record headers of a pcap or pcapng file without parsing packets.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "empty.pcap"
    ...     _ = path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    ...     scan_capture(path)
    CaptureScan(kind='pcap', packets=0, damage=None)
    """
    size = path.stat().st_size
    if size == 0:
        raise InputError("the file is empty", path=str(path))
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        magic = bytes(mm[:4])
        if magic in PCAP_MAGIC:
            return _scan_pcap(mm, size, *PCAP_MAGIC[magic])
        if magic == PCAPNG_SHB:
            return _scan_pcapng(mm, size)
    raise InputError(f"expected a pcap or pcapng file, found magic bytes {magic!r}",
                     path=str(path), hint="give --format for another format")


def _scan_pcap(mm: mmap.mmap, size: int, order: str, nano: bool) -> CaptureScan:
    if size < 24:
        return CaptureScan("pcap", 0, (0, f"global header cut short ({size} of 24 bytes)"))
    limit = max(struct.unpack_from(order + "I", mm, 16)[0], MAX_RECORD)
    off, packets = 24, 0
    while off < size:
        if off + 16 > size:
            return CaptureScan("pcap", packets, (off, "last packet header cut short"))
        incl = struct.unpack_from(order + "I", mm, off + 8)[0]
        if incl > limit:
            return CaptureScan("pcap", packets, (off, f"packet length {incl} exceeds the "
                                                      f"limit {limit}: corrupt data"))
        if off + 16 + incl > size:
            return CaptureScan("pcap", packets, (off, f"last packet cut short "
                                                      f"({size - off - 16} of {incl} bytes)"))
        off += 16 + incl
        packets += 1
    return CaptureScan("pcap", packets, None)


def _scan_pcapng(mm: mmap.mmap, size: int) -> CaptureScan:
    off, packets, order = 0, 0, ""
    while off < size:
        if off + 12 > size:
            return CaptureScan("pcapng", packets, (off, "last block header cut short"))
        if mm[off:off + 4] == PCAPNG_SHB:
            order = PCAPNG_ORDER.get(bytes(mm[off + 8:off + 12]), "")
            if not order:
                return CaptureScan("pcapng", packets, (off, "section header without a "
                                                            "byte-order magic: corrupt data"))
        kind, length = struct.unpack_from(order + "II", mm, off)
        if length < 12 or length % 4:
            return CaptureScan("pcapng", packets, (off, f"block length {length} is not a "
                                                        "multiple of 4 >= 12: corrupt data"))
        if off + length > size:
            return CaptureScan("pcapng", packets, (off, f"last block cut short "
                                                        f"({size - off} of {length} bytes)"))
        if struct.unpack_from(order + "I", mm, off + length - 4)[0] != length:
            return CaptureScan("pcapng", packets, (off, "block trailer length differs from "
                                                        "its header: corrupt data"))
        packets += kind in PCAPNG_PACKET_BLOCKS
        off += length
    return CaptureScan("pcapng", packets, None)


class PcapAdapter(Adapter):
    """pcap/pcapng -> NFStream bidirectional flows with statistical features.

    Parameters
    ----------
    idle_timeout, active_timeout : int
        Seconds without a packet that end a flow, and the longest a flow lasts.
    n_dissections : int
        Packets per flow given to nDPI for application detection (0: off, the
        default; 20 adds ``application_name`` and friends at about twice the cost).
    batch_size : int
        Flows per :class:`RawBatch`.

    Examples
    --------
    >>> probe = Probe(path=Path("x.pcap"), head=b"\\xd4\\xc3\\xb2\\xa1" + bytes(20), lines=[])
    >>> ADAPTER.sniff(probe)
    0.99
    """

    name = "pcap"
    description = "pcap/pcapng packet captures -> bidirectional flows (NFStream)"

    def __init__(self, *, idle_timeout: int = 120, active_timeout: int = 1800,
                 n_dissections: int = 0, batch_size: int = 50_000) -> None:
        self.idle_timeout = idle_timeout
        self.active_timeout = active_timeout
        self.n_dissections = n_dissections
        self.batch_size = batch_size

    def sniff(self, probe: Probe) -> float:
        head = probe.head
        if head[:4] in PCAP_MAGIC:
            return 0.99
        if head[:4] == PCAPNG_SHB and head[8:12] in PCAPNG_ORDER:
            return 0.99
        return 0.0

    def open(self, path: Path, options: SourceOptions) -> Source:
        path = Path(path)
        compression = compression_of(path)  # a zip archive is refused here
        if compression is not None:
            raise InputError(f"expected a pcap or pcapng capture, found {compression}-"
                             "compressed data; decompress it first", path=str(path),
                             hint=f"'{DECOMPRESS_HINT[compression]} FILE', then pass the "
                                  "decompressed capture")
        scan = scan_capture(path)
        if scan.damage is not None and scan.packets == 0:
            raise InputError(f"{scan.kind} file is damaged before its first packet "
                             f"(byte {scan.damage[0]}: {scan.damage[1]})", path=str(path),
                             hint=REPAIR_HINT)
        if scan.packets == 0:
            raise InputError(f"no flows: the {scan.kind} file holds no packets",
                             path=str(path))
        rules = LabelRules.load(options.label_rules) if options.label_rules is not None \
            else None
        conn_log = next((path.parent / n for n in SIBLING_LABEL_LOGS
                         if (path.parent / n).is_file()), None)
        # The file's real folder, however the path was written (``cd benign; ... x.pcap``).
        folder_label = first_known([path.resolve().parent.name, path.stem])
        if rules is not None and rules.default is not None:
            conn_log = folder_label = None  # the rule file labels every flow itself
        label_columns = [c for c, on in ((RULES_COLUMN, rules), (CONN_LOG_COLUMN, conn_log))
                         if on is not None]
        notes: list[str] = []
        if scan.damage is not None:
            notes.append(f"{scan.kind} damaged at byte {scan.damage[0]} ({scan.damage[1]}): "
                         f"flows come from the {scan.packets} packets before it")
        if conn_log is not None:
            notes.append(f"labels from {conn_log} (5-tuple and time match)")
        if folder_label is not None:
            notes.append(f"flows no other source labels take the label {folder_label!r} "
                         "from the folder or file name")
        batches = self._batches(path, scan, rules, conn_log, notes)
        specs = {**SPECS, **(DISSECTION_SPECS if self.n_dissections else {})}
        return Source(name="pcap", specs=specs, batches=batches,
                      label_columns=label_columns,
                      fixed_label=folder_label or options.default_label, notes=notes)

    def _streamer(self, path: Path) -> Any:
        from nfstream import NFStreamer  # heavy: about a second to import

        said = io.StringIO()
        try:
            with contextlib.redirect_stdout(said):  # NFStream prints its warnings
                streamer = NFStreamer(
                    source=str(path), statistical_analysis=True, decode_tunnels=True,
                    idle_timeout=self.idle_timeout, active_timeout=self.active_timeout,
                    n_dissections=self.n_dissections, n_meters=1)
        except ValueError as exc:
            raise UsageError(f"flow meter settings rejected: {exc}", path=str(path)) from None
        if said.getvalue().strip():
            log.warning("nfstream: %s", said.getvalue().strip())
        return streamer

    def _batches(self, path: Path, scan: CaptureScan, rules: LabelRules | None,
                 conn_log: Path | None, notes: list[str]) -> Iterator[RawBatch]:
        streamer = self._streamer(path)
        specs = {**SPECS, **(DISSECTION_SPECS if self.n_dissections else {})}
        labels = ConnLogLabels.read(conn_log) if conn_log is not None else None
        invalid = [] if scan.damage is None else [InvalidRecord(
            line=scan.packets + 1, text=f"packet {scan.packets + 1} at byte {scan.damage[0]}",
            reason=f"damaged capture: {scan.damage[1]}; flows come from the {scan.packets} "
                   f"packets before it; {REPAIR_HINT}")]
        # NFStream pins its caller to the first cores and never unpins it.
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        before = {p.pid for p in multiprocessing.active_children()}
        flows = iter(streamer)
        done, total, packets = False, 0, 0
        try:
            while True:
                rows: list[list[Any]] = []
                keys: list[str] | None = None
                while len(rows) < self.batch_size:
                    try:
                        flow = next(flows)
                    except StopIteration:
                        done = True
                        break
                    except ValueError as exc:  # libpcap's error, re-raised by NFStream
                        raise InputError(f"the flow meter could not read the capture ({exc})",
                                         path=str(path), hint=REPAIR_HINT) from None
                    keys = keys or flow.keys()
                    rows.append(flow.values())
                if rows:
                    table = _to_table(keys, rows)  # type: ignore[arg-type]
                    table = _conform(table, specs, path)
                    packets += int(np.sum(table.column("bidirectional_packets")))
                    table = _with_labels(table, rules, labels)
                    yield RawBatch(table, np.arange(total + 1, total + len(rows) + 1),
                                   invalid)
                    total, invalid = total + len(rows), []
                if done:
                    break
        finally:
            if not done:  # closed early: stop the meter NFStream forked for this file
                for child in multiprocessing.active_children():
                    if child.pid not in before:
                        child.terminate()
            if affinity is not None:
                os.sched_setaffinity(0, affinity)
        if total == 0:
            raise InputError(f"no flows: none of the {scan.packets} packets is IPv4/IPv6 "
                             "traffic the flow meter can use", path=str(path))
        if packets < scan.packets:
            notes.append(f"{scan.packets - packets} of {scan.packets} packets are in no flow "
                         "(not IP, or unreadable)")


def _to_table(keys: list[str], rows: list[list[Any]]) -> pa.Table:
    columns: dict[str, pa.Array] = {}
    for name, values in zip(keys, zip(*rows, strict=True), strict=True):
        spec = SPECS.get(name) or DISSECTION_SPECS.get(name)
        if spec is None:
            continue  # a column this NFStream version adds and no spec declares
        if spec.kind == "timestamp":
            ms = np.asarray(values, dtype=np.int64)
            # A direction without packets has first/last seen 0: unknown, not 1970.
            columns[name] = pa.array(ms * 1000, pa.timestamp("us", tz="UTC"), mask=ms <= 0)
        else:
            columns[name] = pa.array(values, ARROW[spec.kind], from_pandas=True)
    return pa.table(columns)


def _conform(table: pa.Table, specs: dict[str, ColumnSpec], path: Path) -> pa.Table:
    """Exactly the declared columns, in spec order: the table curate writes is fixed."""
    missing = [n for n in specs if n not in table.column_names]
    if missing:
        raise InputError(f"expected the flow meter to give columns {missing}, found it did "
                         "not (an NFStream version this adapter does not know)",
                         path=str(path), hint="install nfstream 6.5 or later")
    return table.select(list(specs))


def _with_labels(table: pa.Table, rules: LabelRules | None,
                 labels: ConnLogLabels | None) -> pa.Table:
    if rules is None and labels is None:
        return table
    seen = table.column("bidirectional_first_seen_ms").cast(pa.int64()).to_numpy(
        zero_copy_only=False)
    last = table.column("bidirectional_last_seen_ms").cast(pa.int64()).to_numpy(
        zero_copy_only=False)
    flows = pd.DataFrame({c: table.column(c).to_numpy(zero_copy_only=False) for c in
                          ("src_ip", "dst_ip", "src_port", "dst_port", "protocol")})
    flows["start"], flows["end"] = seen / 1e6, last / 1e6
    for column, source in ((RULES_COLUMN, rules), (CONN_LOG_COLUMN, labels)):
        if source is not None:
            table = table.append_column(column, pa.array(source.label(flows), pa.string()))
    return table


ADAPTER = PcapAdapter()
