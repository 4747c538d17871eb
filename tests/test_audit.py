"""Leakage audit on a clean synthetic control, planted leaks, and TON_IoT telemetry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from iotforge.curation.contracts.validate import read_canonical
from iotforge.curation.errors import UsageError
from iotforge.curation.leakage.audit import audit
from iotforge.curation.schema import TableMeta, read_meta
from real_samples import curated_sample

ROLES = {"flow_id": "id", "src": "endpoint", "ts": "time", "bytes": "numeric",
         "pkts": "numeric", "proto": "categorical", "label": "label", "is_attack": "label"}


def control(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Real signal in the features, none in ids, addresses, times or encodings."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["normal", "ddos", "scan"], n, p=[0.6, 0.25, 0.15])
    shift = pd.Series(label).map({"normal": 0.0, "ddos": 0.6, "scan": -0.4}).to_numpy()
    return pd.DataFrame({
        "source": "synthetic", "flow_id": [f"F{i:06d}" for i in rng.permutation(n)],
        "src": [f"10.0.{a}.{b}" for a, b in rng.integers(0, 255, (n, 2))],
        "ts": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
            np.sort(rng.uniform(0, 86_400, n)), "s"),
        "bytes": rng.normal(shift, 1.0), "pkts": rng.poisson(5, n).astype(float),
        "proto": rng.choice(["tcp", "udp", "icmp"], n), "label": label,
        "is_attack": label != "normal",
    })


META = TableMeta(stage="curate", roles={"source": "provenance", **ROLES})


def ids(report: object) -> dict[str, str]:
    return {f.id: f.severity for f in report.findings}  # type: ignore[attr-defined]


def test_clean_control_has_no_finding() -> None:
    report = audit(control(), META)
    assert report.findings == []
    assert report.ok
    assert {c.column for c in report.columns} == {"flow_id", "src", "ts", "bytes", "pkts", "proto"}
    assert max(c.lift for c in report.columns) < 0.6


def test_planted_identifier_is_an_error() -> None:
    df = control()
    rng = np.random.default_rng(1)
    df["session"] = [f"{lab[:2]}-{rng.integers(0, 50)}" for lab in df["label"]]
    meta = TableMeta(stage="curate", roles={**META.roles, "session": "id"})
    report = audit(df, meta)
    assert ids(report) == {"single-column:session": "error"}
    assert not report.ok and report.errors[0].column == "session"


def test_encoding_artifact_is_an_error_even_on_a_feature() -> None:
    df = control()
    rng = np.random.default_rng(2)
    words = ["".join(rng.choice(list("abcdefgh"), 6)) for _ in range(len(df))]
    df["note"] = [w + (" " if lab != "normal" else "")
                  for w, lab in zip(words, df["label"], strict=True)]
    meta = TableMeta(stage="curate", roles={**META.roles, "note": "categorical"})
    found = ids(audit(df, meta))
    assert len(found) == 1
    (fid, severity), = found.items()
    assert fid in ("single-column:note:whitespace", "single-column:note:length")
    assert severity == "error"


def test_time_disjoint_classes() -> None:
    df = control().sort_values("is_attack", kind="stable").reset_index(drop=True)
    df["ts"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)), "s")
    found = ids(audit(df, META))
    assert found["time-disjoint:ts"] == "error"
    assert found["single-column:ts"] == "error"


def test_label_conflicts_are_warnings() -> None:
    df = control()
    df.loc[:9, ["bytes", "pkts", "proto"]] = [1.0, 1.0, "tcp"]
    df.loc[:9, "label"] = ["normal", "ddos"] * 5
    report = audit(df, META)
    assert ids(report) == {"label-conflict": "warning"}
    assert report.findings[0].details["rows"] == 10 and report.ok


def test_train_test_overlap_exclude_and_accept() -> None:
    df = control()
    train, test = df.iloc[:900], pd.concat([df.iloc[900:], df.iloc[:25]])
    report = audit(train, META, test=test)
    assert ids(report) == {"train-test-overlap": "error"}
    assert report.findings[0].details["rows"] == 25
    accepted = audit(train, META, test=test, accept=["train-test-overlap", "no-such-id"])
    assert accepted.ok and accepted.findings[0].accepted
    assert accepted.unmatched_accepts == ["no-such-id"]
    # Excluding a feature column changes what "identical" means, and is recorded.
    excluded = audit(train, META, test=test, exclude=["bytes", "pkts"])
    assert excluded.excluded == ["bytes", "pkts"]
    with pytest.raises(UsageError, match="--exclude"):
        audit(df, META, exclude=["nope"])


def test_report_is_json_ready() -> None:
    import json

    out = audit(control(300), META).to_dict()
    assert json.loads(json.dumps(out, default=str))["ok"] is True
    assert out["checks"] == ["single_column", "time_ranges", "label_conflict"]


# ------------------------------------------------------------------ real data



@pytest.fixture(scope="session")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, TableMeta]:
    path = curated_sample(tmp_path_factory)
    return read_canonical(path)[0], read_meta(path)


def device(real: tuple[pd.DataFrame, TableMeta], source: str) -> pd.DataFrame:
    df = real[0]
    return df[df["source"] == source].dropna(axis=1, how="all").reset_index(drop=True)


def test_ton_iot_date_and_time_leak_the_label(real: tuple[pd.DataFrame, TableMeta]) -> None:
    sources = sorted(s for s in real[0]["source"].unique() if s.startswith("ton_iot:"))
    assert len(sources) == 7
    for source in sources:
        found = ids(audit(device(real, source), real[1]))
        assert found.get("single-column:date") == "error", (source, found)
        assert found.get("single-column:time") in ("error", "warning"), (source, found)
        assert found.get("time-disjoint:timestamp") == "error", (source, found)


def test_real_capture_with_planted_identifier(real: tuple[pd.DataFrame, TableMeta]) -> None:
    df = device(real, "cicflowmeter")
    # A capture id per class, as when captures are concatenated and numbered.
    df["capture_id"] = df["label"].map({c: i for i, c in enumerate(sorted(df["label"].unique()))})
    meta = TableMeta(stage="curate", roles={**real[1].roles, "capture_id": "id"})
    report = audit(df, meta, exclude=["timestamp", "id", "flow_id"])
    assert ids(report)["single-column:capture_id"] == "error"
    clean = audit(df.drop(columns="capture_id"), real[1], exclude=["timestamp", "id", "flow_id"])
    assert "single-column:capture_id" not in ids(clean)
