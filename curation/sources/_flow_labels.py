"""Labels for packet flows: a rule file, or a labelled Zeek ``conn.log`` beside the capture.

A packet capture carries no labels. This module gives its flows one from two
per-flow sources (the pcap adapter adds the folder name and ``--default-label``
after them):

* :class:`LabelRules`, a small YAML rule list: first matching rule wins, and an
  optional ``default`` labels every flow no rule matches.
* :class:`ConnLogLabels`, a labelled Zeek ``conn.log`` (IoT-23's
  ``conn.log.labeled``) read with the Zeek adapter and joined to the flows by
  5-tuple, in either direction, and time overlap.

Both work on a :class:`pandas.DataFrame` of flows with the columns ``src_ip``,
``dst_ip``, ``src_port``, ``dst_port``, ``protocol`` (IANA number) and ``start``,
``end`` (seconds since the epoch), and return one label (or None) per flow.

>>> import pandas as pd
>>> rules = LabelRules.parse({"rules": [{"dst": "10.0.0.0/8", "port": 1883,
...                                      "label": "mqtt_flood"}], "default": "benign"})
>>> flows = pd.DataFrame({"src_ip": ["192.168.1.5", "192.168.1.5"],
...                       "dst_ip": ["10.1.2.3", "8.8.8.8"], "src_port": [40000, 40001],
...                       "dst_port": [1883, 53], "protocol": [6, 17],
...                       "start": [0.0, 1.0], "end": [2.0, 1.5]})
>>> rules.label(flows).tolist()
['mqtt_flood', 'benign']
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import MappingError, SchemaMismatchError

PROTOCOLS = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50,
             "icmpv6": 58, "icmp6": 58, "sctp": 132}
RULE_KEYS = frozenset({"src", "dst", "host", "port", "protocol", "start", "end", "label",
                       "comment"})
# Zeek and the flow meter time the same packets, but round differently and cut
# long flows at different timeouts: intervals this close still count as overlapping.
MATCH_SLACK_S = 1.0
_ICMP = (1, 58)
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _epoch_seconds(value: Any, where: str, origin: str) -> float:
    """Epoch seconds from a number, an ISO string or a YAML datetime (naive = UTC)."""
    if isinstance(value, bool):
        raise MappingError(f"{where}: expected a time, found {value!r}", path=origin)
    if isinstance(value, int | float):
        return float(value)
    try:
        stamp = pd.Timestamp(value if isinstance(value, datetime) else str(value))
    except (ValueError, TypeError):
        raise MappingError(f"{where}: expected an ISO time or epoch seconds, found "
                           f"{value!r}", path=origin) from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return float(stamp.timestamp())


@dataclass(frozen=True)
class LabelRule:
    """One rule: every given condition must hold; an absent condition matches all."""

    label: str
    src: tuple[_Network, ...] = ()
    dst: tuple[_Network, ...] = ()
    host: tuple[_Network, ...] = ()
    ports: tuple[int, ...] = ()
    protocols: tuple[int, ...] = ()
    start: float | None = None
    end: float | None = None

    @classmethod
    def parse(cls, body: Any, index: int, origin: str) -> LabelRule:
        where = f"rule {index}"
        if not isinstance(body, Mapping):
            raise MappingError(f"{where}: expected a mapping, found {body!r}", path=origin)
        unknown = sorted(set(map(str, body)) - RULE_KEYS)
        if unknown:
            raise MappingError(f"{where}: unknown key(s) {unknown}; expected some of "
                               f"{sorted(RULE_KEYS)}", path=origin)
        label = body.get("label")
        if label is None or not str(label).strip():
            raise MappingError(f"{where}: expected a 'label', found none", path=origin)

        def nets(key: str) -> tuple[_Network, ...]:
            out = []
            for value in _as_list(body.get(key, [])):
                try:
                    out.append(ipaddress.ip_network(str(value).strip(), strict=False))
                except ValueError:
                    raise MappingError(f"{where}: {key}: expected an IP address or CIDR, "
                                       f"found {value!r}", path=origin) from None
            return tuple(out)

        ports = []
        for value in _as_list(body.get("port", [])):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
                raise MappingError(f"{where}: port: expected an integer 0-65535, found "
                                   f"{value!r}", path=origin)
            ports.append(value)
        protocols = []
        for value in _as_list(body.get("protocol", [])):
            number = PROTOCOLS.get(str(value).strip().lower()) if isinstance(value, str) \
                else value
            if isinstance(number, bool) or not isinstance(number, int) \
                    or not 0 <= number <= 255:
                raise MappingError(f"{where}: protocol: expected a name in "
                                   f"{sorted(PROTOCOLS)} or a number 0-255, found {value!r}",
                                   path=origin)
            protocols.append(number)
        start = _epoch_seconds(body["start"], f"{where}: start", origin) \
            if body.get("start") is not None else None
        end = _epoch_seconds(body["end"], f"{where}: end", origin) \
            if body.get("end") is not None else None
        if start is not None and end is not None and end < start:
            raise MappingError(f"{where}: expected start <= end, found {body['start']!r} > "
                               f"{body['end']!r}", path=origin)
        return cls(label=str(label).strip(), src=nets("src"), dst=nets("dst"),
                   host=nets("host"), ports=tuple(ports), protocols=tuple(protocols),
                   start=start, end=end)

    def matches(self, flows: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the flows this rule matches."""
        mask = np.ones(len(flows), dtype=bool)
        if self.src:
            mask &= _in_networks(flows["src_ip"], self.src)
        if self.dst:
            mask &= _in_networks(flows["dst_ip"], self.dst)
        if self.host:
            mask &= (_in_networks(flows["src_ip"], self.host)
                     | _in_networks(flows["dst_ip"], self.host))
        if self.ports:
            mask &= (flows["src_port"].isin(self.ports) | flows["dst_port"].isin(self.ports)
                     ).to_numpy(dtype=bool)
        if self.protocols:
            mask &= flows["protocol"].isin(self.protocols).to_numpy(dtype=bool)
        # A flow belongs to the window its first packet falls in (bounds inclusive).
        if self.start is not None:
            mask &= (flows["start"] >= self.start).to_numpy(dtype=bool)
        if self.end is not None:
            mask &= (flows["start"] <= self.end).to_numpy(dtype=bool)
        return mask


def _in_networks(ips: pd.Series, networks: Sequence[_Network]) -> np.ndarray:
    def member(ip: Any) -> bool:
        try:
            addr = ipaddress.ip_address(str(ip))
        except ValueError:
            return False
        return any(addr.version == net.version and addr in net for net in networks)

    # Captures repeat few addresses many times: test each distinct one once.
    uniques = pd.unique(ips)
    verdict = {ip: member(ip) for ip in uniques}
    return ips.map(verdict).fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class LabelRules:
    """An ordered rule list; the first matching rule labels a flow.

    File format (YAML)::

        default: benign            # optional: flows no rule matches
        rules:
          - src: 192.168.1.195     # IP or CIDR (or a list); the flow's initiator
            dst: 10.0.0.0/8        # the flow's responder
            host: 192.168.1.1      # either end
            port: [23, 2323]       # either end's port
            protocol: tcp          # name or IANA number
            start: 2018-12-21T15:50:00Z   # the flow's first packet in [start, end]
            end: 1545407400               # (ISO time, naive = UTC, or epoch seconds)
            label: mirai

    A bare list of rules is accepted too.
    """

    rules: tuple[LabelRule, ...]
    default: str | None = None
    origin: str = "<label rules>"

    @classmethod
    def load(cls, spec: Any) -> LabelRules:
        """Rules from a path to a YAML file, parsed YAML, or a :class:`LabelRules`."""
        if isinstance(spec, LabelRules):
            return spec
        if isinstance(spec, str | os.PathLike):
            path = Path(spec)
            try:
                data = yaml.safe_load(path.read_text("utf-8"))
            except OSError as exc:
                raise MappingError(f"cannot read the label rules ({exc.strerror})",
                                   path=str(path)) from None
            except yaml.YAMLError as exc:
                raise MappingError(f"not valid YAML ({exc})".replace("\n", " "),
                                   path=str(path)) from None
            return cls.parse(data, origin=str(path))
        return cls.parse(spec)

    @classmethod
    def parse(cls, data: Any, *, origin: str = "<label rules>") -> LabelRules:
        if isinstance(data, list):
            data = {"rules": data}
        if not isinstance(data, Mapping):
            raise MappingError(f"expected a mapping with 'rules:' (and 'default:'), found "
                               f"{type(data).__name__}", path=origin)
        unknown = sorted(set(map(str, data)) - {"rules", "default"})
        if unknown:
            raise MappingError(f"unknown key(s) {unknown}; expected 'rules' and 'default'",
                               path=origin)
        body = data.get("rules") or []
        if not isinstance(body, list):
            raise MappingError(f"'rules': expected a list, found {body!r}", path=origin)
        rules = tuple(LabelRule.parse(r, i, origin) for i, r in enumerate(body, 1))
        default = data.get("default")
        if not rules and default is None:
            raise MappingError("expected at least one rule or a 'default', found neither",
                               path=origin)
        return cls(rules=rules, default=None if default is None else str(default).strip(),
                   origin=origin)

    def label(self, flows: pd.DataFrame) -> pd.Series:
        """One label per flow (None where no rule matches and there is no default)."""
        out = np.full(len(flows), None, dtype=object)
        open_ = np.ones(len(flows), dtype=bool)
        for rule in self.rules:
            hit = open_ & rule.matches(flows)
            out[hit] = rule.label
            open_ &= ~hit
        if self.default is not None:
            out[open_] = self.default
        return pd.Series(out, index=flows.index, dtype=object)


def _five_tuple_key(frame: pd.DataFrame, a_ip: str, a_port: str, b_ip: str,
                    b_port: str) -> pd.DataFrame:
    """Direction-free key: the lower (ip, port) end first; ICMP ports are ignored."""
    proto = frame["protocol"].astype("int64").replace({58: 1})
    icmp = proto.isin(_ICMP).to_numpy()
    pa_ = np.where(icmp, 0, frame[a_port].astype("int64").to_numpy())
    pb_ = np.where(icmp, 0, frame[b_port].astype("int64").to_numpy())
    ia, ib = frame[a_ip].astype(str).to_numpy(), frame[b_ip].astype(str).to_numpy()
    swap = (ia > ib) | ((ia == ib) & (pa_ > pb_))
    return pd.DataFrame({
        "k_proto": proto.to_numpy(), "k_ip1": np.where(swap, ib, ia),
        "k_port1": np.where(swap, pb_, pa_), "k_ip2": np.where(swap, ia, ib),
        "k_port2": np.where(swap, pa_, pb_)}, index=frame.index)


KEY = ["k_proto", "k_ip1", "k_port1", "k_ip2", "k_port2"]
CONN_FIELDS = ("ts", "id_orig_h", "id_orig_p", "id_resp_h", "id_resp_p", "proto", "duration")


class ConnLogLabels:
    """Labels of a labelled Zeek ``conn.log``, joined to flows by 5-tuple and time.

    A flow takes the label of the log record with the same protocol and endpoint
    pair (in either direction) whose ``[ts, ts + duration]`` overlaps the flow's
    ``[start, end]`` most, within ``MATCH_SLACK_S``. ``detailed-label`` wins over
    ``label`` where both are set (``-`` is unset). Flows no record matches get None.
    """

    def __init__(self, index: pd.DataFrame, path: Path) -> None:
        self.index = index
        self.path = path

    @classmethod
    def read(cls, path: Path) -> ConnLogLabels:
        from . import zeek
        from ._base import SourceOptions

        source = zeek.ADAPTER.open(path, SourceOptions())
        missing = [c for c in CONN_FIELDS if c not in source.specs]
        if missing or not source.label_columns:
            raise SchemaMismatchError(
                f"expected a labelled conn.log with {list(CONN_FIELDS)} and label columns, "
                f"found it lacks {missing or ['label', 'detailed-label']}", path=str(path),
                hint="remove or rename it, or give --label-rules")
        parts = []
        for batch in source.batches:
            table = batch.table.select([*CONN_FIELDS, *source.label_columns])
            parts.append(table.to_pandas())
        log = pd.concat(parts, ignore_index=True)
        label = pd.Series(None, index=log.index, dtype=object)
        for col in source.label_columns:  # detailed-label first, as the Zeek adapter lists
            label = label.where(label.notna(), log[col])
        frame = pd.DataFrame({
            "protocol": log["proto"].str.lower().map(PROTOCOLS),
            "id_orig_h": log["id_orig_h"], "id_resp_h": log["id_resp_h"],
            "id_orig_p": pd.to_numeric(log["id_orig_p"], errors="coerce"),
            "id_resp_p": pd.to_numeric(log["id_resp_p"], errors="coerce"),
            "c_start": pd.to_numeric(log["ts"], errors="coerce"),
            "c_dur": pd.to_numeric(log["duration"], errors="coerce").fillna(0.0),
            "c_label": label})
        frame = frame.dropna(subset=["protocol", "id_orig_h", "id_resp_h", "id_orig_p",
                                     "id_resp_p", "c_start", "c_label"])
        frame["c_end"] = frame["c_start"] + frame["c_dur"]
        keys = _five_tuple_key(frame, "id_orig_h", "id_orig_p", "id_resp_h", "id_resp_p")
        index = pd.concat([keys, frame[["c_start", "c_end", "c_label"]]], axis=1)
        return cls(index.reset_index(drop=True), path)

    def label(self, flows: pd.DataFrame) -> pd.Series:
        """One label per flow (None where no log record matches it)."""
        keys = _five_tuple_key(flows, "src_ip", "src_port", "dst_ip", "dst_port")
        left = pd.concat([keys, flows[["start", "end"]]], axis=1)
        left["flow"] = np.arange(len(flows))
        pairs = left.merge(self.index, on=KEY, how="inner")
        out = np.full(len(flows), None, dtype=object)
        if len(pairs):
            overlap = (np.minimum(pairs["end"], pairs["c_end"])
                       - np.maximum(pairs["start"], pairs["c_start"]))
            pairs = pairs.assign(overlap=overlap)[overlap >= -MATCH_SLACK_S]
            best = pairs.sort_values(["flow", "overlap", "c_start"],
                                     ascending=[True, False, True], kind="stable")
            best = best.drop_duplicates("flow")
            out[best["flow"].to_numpy()] = best["c_label"].to_numpy()
        return pd.Series(out, index=flows.index, dtype=object)


def first_known(names: Iterable[str]) -> str | None:
    """The first name the default taxonomy knows (a folder or file name as a label)."""
    from ..taxonomy import Taxonomy

    taxonomy = Taxonomy.default()
    for name in names:
        if name and taxonomy.lookup(name) is not None:
            return name
    return None
