"""Seeded demo captures in three formats, with the noise real captures have.

``write_demo(out_dir, seed)`` writes:

- ``telemetry_thermostat.csv``: TON_IoT-style device telemetry (UTF-8 BOM, stray
  spaces, ``true``/``1`` spellings, missing-value markers, duplicates,
  attack rows on other days than normal rows);
- ``conn.log.labeled``: a Zeek conn.log with IoT-23's label columns (``-`` and
  ``(empty)`` markers, space-separated label fields, a ``#close`` trailer, ports
  out of range);
- ``flows_cicflowmeter.csv``: CICFlowMeter flows (leading spaces in the header,
  ``Infinity``/``NaN`` rates, ``-1`` window sentinels, negative durations, CRLF
  line endings, a truncated last line).

Every file has rare classes of tens of rows. Class-conditional distributions are
distinct enough for classifiers to learn, and overlap enough to be non-trivial.

>>> import tempfile
>>> paths = write_demo(tempfile.mkdtemp(), seed=0)
>>> sorted(p.name for p in paths)
['conn.log.labeled', 'flows_cicflowmeter.csv', 'telemetry_thermostat.csv']
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

TELEMETRY_CLASSES = {"normal": 3000, "injection": 600, "password": 500, "xss": 120,
                     "scanning": 40}
ZEEK_CLASSES = {"Benign": 2500, "DDoS": 900, "C&C": 300, "PartOfAHorizontalPortScan": 60,
                "FileDownload": 25}
CIC_CLASSES = {"BENIGN": 2500, "DoS Hulk": 800, "PortScan": 500, "Web Attack - XSS": 45,
               "Heartbleed": 15}


def _telemetry(rng: np.random.Generator, path: Path) -> None:
    rows = []
    for i, (cls, n) in enumerate(TELEMETRY_CLASSES.items()):
        day = "25-Apr-19" if cls == "normal" else f"{26 + i % 3}-Apr-19"
        temp = rng.normal(24 + 3 * i, 2 + i * 0.5, n)
        status = rng.random(n) < (0.3 + 0.15 * i)
        secs = np.sort(rng.integers(0, 86400, n))
        for t, s, sec in zip(temp, status, secs, strict=True):
            hh, mm, ss = sec // 3600, sec % 3600 // 60, sec % 60
            flag = ("true  " if s else "false  ") if rng.random() < 0.3 else str(int(s))
            rows.append((day, f" {hh}:{mm:02d}:{ss:02d} ", f"{t:.6f}", flag,
                         "0" if cls == "normal" else "1", cls))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    rows += rows[:25]  # exact duplicates
    for k in rng.choice(len(rows), 6, replace=False):  # missing-value markers
        day, tm, _, flag, lab, cls = rows[k]
        rows[k] = (day, tm, str(rng.choice(["?", "NaN", ""])), flag, lab, cls)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write("date,time,current_temperature,thermostat_status,label,type\n")
        for r in rows:
            fh.write(",".join(r) + "\n")


def _zeek(rng: np.random.Generator, path: Path) -> None:
    fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
              "service", "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig",
              "local_resp", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes",
              "resp_pkts", "resp_ip_bytes", "tunnel_parents   label   detailed-label"]
    types = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval",
             "count", "count", "string", "bool", "bool", "count", "string", "count", "count",
             "count", "count", "set[string]   string   string"]
    profiles = {
        "Benign": ("udp", "dns", 53, "SF", "Dd", 0.05, 60, 140),
        "DDoS": ("tcp", "-", 80, "S0", "S", 0.0, 0, 0),
        "C&C": ("tcp", "irc", 6667, "SF", "ShADadFf", 30.0, 900, 2400),
        "PartOfAHorizontalPortScan": ("tcp", "-", 23, "S0", "S", 0.0, 0, 0),
        "FileDownload": ("tcp", "http", 80, "SF", "ShADadttFf", 4.0, 120, 60000),
    }
    lines = []
    t0 = 1545400000.0
    for cls, n in ZEEK_CLASSES.items():
        proto, service, port, state, hist, dur, ob, rb = profiles[cls]
        for _ in range(n):
            d = abs(rng.normal(dur, dur * 0.4 + 0.01))
            o = int(abs(rng.normal(ob, ob * 0.3 + 1)))
            r = int(abs(rng.normal(rb, rb * 0.3 + 1)))
            opk = max(1, int(o / 60) + int(rng.integers(1, 4)))
            rpk = int(r / 500) + (0 if state == "S0" else 1)
            dport = port if cls != "PartOfAHorizontalPortScan" else int(rng.choice([23, 2323]))
            resp = f"10.0.{rng.integers(0, 255)}.{rng.integers(1, 255)}"
            duration = "-" if state == "S0" and rng.random() < 0.5 else f"{d:.6f}"
            label = "Benign" if cls == "Benign" else "Malicious"
            detail = "-" if cls == "Benign" else cls
            lines.append((t0 + float(rng.uniform(0, 86400)), [
                "", f"C{rng.integers(10**15):x}", "192.168.1.195",
                str(int(rng.integers(1024, 65535))),
                resp, str(dport), proto, service, duration, str(o) if duration != "-" else "-",
                str(r) if duration != "-" else "-", state, "-", "-", "0", hist, str(opk),
                str(opk * 40 + o), str(rpk), str(rpk * 40 + r),
                f"(empty)   {label}   {detail}"]))
    lines.sort(key=lambda x: x[0])
    for k in rng.choice(len(lines), 4, replace=False):  # impossible port numbers
        lines[k][1][5] = "70000"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                 "#unset_field\t-\n#path\tconn\n#open\t2018-12-21-15-50-14\n")
        fh.write("#fields\t" + "\t".join(fields) + "\n")
        fh.write("#types\t" + "\t".join(types) + "\n")
        for ts, vals in lines:
            vals[0] = f"{ts:.6f}"
            fh.write("\t".join(vals) + "\n")
        fh.write("#close\t2018-12-22-15-50-14\n")


def _cic(rng: np.random.Generator, path: Path) -> None:
    header = [" Destination Port", " Flow Duration", " Total Fwd Packets",
              " Total Backward Packets", "Total Length of Fwd Packets",
              " Total Length of Bwd Packets", " Fwd Packet Length Max", "Flow Bytes/s",
              " Flow Packets/s", " Flow IAT Mean", " SYN Flag Count", " ACK Flag Count",
              "Init_Win_bytes_forward", " Init_Win_bytes_backward", " Protocol", " Label"]
    profiles = {  # port, duration, fwd pkts, bwd pkts, fwd len, syn, win
        "BENIGN": (443, 2e6, 12, 10, 900, 1, 29200),
        "DoS Hulk": (80, 8e4, 5, 4, 350, 1, 229),
        "PortScan": (0, 60.0, 1, 1, 0, 1, 1024),
        "Web Attack - XSS": (80, 5e6, 40, 30, 18000, 1, 29200),
        "Heartbleed": (444, 1.1e8, 2600, 1700, 8000, 0, 237),
    }
    rows = []
    for cls, n in CIC_CLASSES.items():
        port, dur, fp, bp, fl, syn, win = profiles[cls]
        for _ in range(n):
            d = abs(rng.normal(dur, dur * 0.5)) + 1
            f = max(1, int(rng.normal(fp, fp * 0.3 + 1)))
            b = max(0, int(rng.normal(bp, bp * 0.3 + 1)))
            flen = abs(rng.normal(fl, fl * 0.4 + 1))
            blen = abs(rng.normal(fl * 3, fl + 1)) if b else 0.0
            dport = port if port else int(rng.integers(1, 65535))
            rate = "Infinity" if d < 2 else f"{(flen + blen) / d * 1e6:.4f}"
            prate = "NaN" if d < 2 else f"{(f + b) / d * 1e6:.4f}"
            bwin = "-1" if b == 0 else str(int(rng.choice([0, 235, 28960])))
            rows.append([str(dport), str(int(d)), str(f), str(b), f"{flen:.0f}", f"{blen:.0f}",
                         f"{flen / f:.1f}", rate, prate, f"{d / (f + b):.2f}",
                         str(int(syn and rng.random() < 0.9)), str(int(rng.random() < 0.8)),
                         str(win), bwin, "6", cls])
    rows = [rows[i] for i in rng.permutation(len(rows))]
    for k in rng.choice(len(rows), 5, replace=False):  # CICFlowMeter's negative durations
        rows[k][1] = str(-int(rng.integers(1, 1000)))
    rows += rows[:30]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(header) + "\r\n")
        for r in rows:
            fh.write(",".join(r) + "\r\n")
        fh.write(",".join(rows[0][:7]))  # truncated last line, no newline


def write_demo(out_dir: str | os.PathLike[str], *, seed: int = 0) -> list[Path]:
    """Write the demo captures into ``out_dir`` and return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = [out / "telemetry_thermostat.csv", out / "conn.log.labeled",
             out / "flows_cicflowmeter.csv"]
    children = rng.spawn(3)
    for make, path, child in zip((_telemetry, _zeek, _cic), paths, children, strict=True):
        tmp = path.with_suffix(path.suffix + ".tmp")
        make(child, tmp)
        os.replace(tmp, path)
    return paths


__all__ = ["CIC_CLASSES", "TELEMETRY_CLASSES", "ZEEK_CLASSES", "write_demo"]
