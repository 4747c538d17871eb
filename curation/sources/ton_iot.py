"""TON_IoT telemetry CSV (UNSW Canberra): one file per IoT device.

Published layout: ``date,time,<device features...>,label,type`` where ``label`` is
the 0/1 attack flag and ``type`` the attack class. The device (fridge, gps_tracker,
garage_door, modbus, motion_light, thermostat, weather, or any other) comes from
the file name and becomes part of ``source``: ``ton_iot:fridge``. ``date`` and
``time`` are kept (role ``time``) and combined into a UTC ``timestamp``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..schema import ColumnSpec
from ._base import Adapter, Probe, Source, SourceOptions, canonical_name
from ._delimited import open_delimited
from ._text import sniff_delimiter

__all__ = ["ADAPTER", "TonIoTAdapter", "device_of"]

_PREFIX = re.compile(r"^(train_test_|train_|test_)?(network_)?(iot_)?", re.I)


def device_of(path: Path) -> str:
    """``Train_Test_IoT_GPS_Tracker.csv`` -> ``gps_tracker``."""
    return canonical_name(_PREFIX.sub("", path.stem)) or "device"


def _with_timestamp(table: pa.Table) -> pa.Table:
    stamp = pc.binary_join_element_wise(
        pc.utf8_trim_whitespace(table.column("date")),
        pc.utf8_trim_whitespace(table.column("time")), " ")
    return table.append_column("timestamp", stamp)


class TonIoTAdapter(Adapter):
    name = "ton_iot"
    description = "TON_IoT telemetry CSV (date,time,<features>,label,type), any device"

    def sniff(self, probe: Probe) -> float:
        header = probe.first_data_line
        delim = sniff_delimiter(header)
        cols = [canonical_name(c) for c in header.split(delim)]
        if cols[:2] == ["date", "time"] and {"label", "type"} <= set(cols[-2:]):
            return 0.95
        if {"date", "time", "label", "type"} <= set(cols):
            return 0.6
        return 0.0

    def open(self, path: Path, options: SourceOptions) -> Source:
        probe = self.text_probe(path)
        header = probe.first_data_line
        delim = options.delimiter or sniff_delimiter(header)
        time_spec = {"date": ColumnSpec("date", "time", "string"),
                     "time": ColumnSpec("time", "time", "string"),
                     "timestamp": ColumnSpec("timestamp", "time", "timestamp")}
        return open_delimited(
            path,
            name=f"ton_iot:{device_of(path)}",
            raw_names=header.split(delim),
            delimiter=delim,
            decimal=options.decimal,
            clock=options.clock,
            header_lines=probe.lines.index(header) + 1,
            spec_for=lambda col, values: time_spec.get(col),
            label_columns=["type"],
            binary_label="label",
            derive=_with_timestamp,
            derived_specs={"timestamp": time_spec["timestamp"]},
        )


ADAPTER = TonIoTAdapter()
