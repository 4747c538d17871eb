"""Shared real-data samples for the contract, audit and split tests.

Every shared capture, every k-th record, curated once per test session; the tests
skip with a reason where ../shared/datasets (or $IOTFORGE_DATASETS) is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from iotforge.curation.curate import curate

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("IOTFORGE_DATASETS") or REPO.parent / "shared" / "datasets")
SAMPLES = {"ton_iot_telemetry/*.csv": 20, "cicids2017_improved_sample/*.csv": 10,
           "iot23/*/conn.log.labeled": 10}


def curated_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shared capture, every k-th record, curated once per session (cached)."""
    if not DATASETS.is_dir():
        pytest.skip(f"shared datasets not found at {DATASETS} (set IOTFORGE_DATASETS)")
    out = tmp_path_factory.getbasetemp() / "iotforge_real_sample"
    if not (out / "curated.parquet").exists():
        inputs = []
        for pattern, every in SAMPLES.items():
            for src in sorted(DATASETS.glob(pattern)):
                dst = out / "raw" / src.relative_to(DATASETS)
                dst.parent.mkdir(parents=True, exist_ok=True)
                lines = src.read_bytes().splitlines(keepends=True)
                if lines[0].startswith(b"#"):  # Zeek: '#' header lines, then records
                    n = next(i for i, ln in enumerate(lines) if not ln.startswith(b"#"))
                    head, data = lines[:n], [ln for ln in lines[n:] if not ln.startswith(b"#")]
                else:
                    head, data = lines[:1], lines[1:]
                k = every if len(data) > 30 * every else 1
                dst.write_bytes(b"".join(head + data[::k]))
                inputs.append(dst)
        curate(inputs, out)
    return out / "curated.parquet"


def curated_pcaps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MQTTset test captures, curated on their own: in one table with the CSVs,
    pcap's int ``protocol`` would be promoted to CICFlowMeter's string one."""
    if not DATASETS.is_dir():
        pytest.skip(f"shared datasets not found at {DATASETS} (set IOTFORGE_DATASETS)")
    out = tmp_path_factory.getbasetemp() / "iotforge_real_pcaps"
    if not (out / "curated.parquet").exists():
        curate(sorted(DATASETS.glob("mqttset_pcap/*/*-test.pcap*")), out)
    return out / "curated.parquet"
