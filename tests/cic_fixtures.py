"""Seeded CICFlowMeter-style CSV rows for the curate tests (hostile corpus, inputs, dedupe)."""

from __future__ import annotations

import csv
import io

import numpy as np

HEADER = ["Destination Port", "Flow Duration", "Total Fwd Packets", "Total Backward Packets",
          "Flow Bytes/s", "Flow Packets/s", "Protocol", "Label"]
LABELS = ["BENIGN", "PortScan", "DDoS"]


def cic_rows(n: int = 200, seed: int = 0) -> list[list[str]]:
    """``n`` rows under :data:`HEADER`, the labels cycling through :data:`LABELS`."""
    rng = np.random.default_rng(seed)
    return [[str(int(rng.integers(1, 65535))), str(int(rng.integers(1, 10**7))),
             str(int(rng.integers(1, 50))), str(int(rng.integers(0, 50))),
             f"{rng.uniform(0, 1e5):.4f}", f"{rng.uniform(0, 1e4):.4f}", "6",
             LABELS[i % 3]] for i in range(n)]


def to_csv(rows: list[list[str]], header: list[str] = HEADER, newline: str = "\n") -> str:
    """``rows`` under ``header`` as CSV text, written by the csv module."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
