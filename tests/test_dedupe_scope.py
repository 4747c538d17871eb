"""Official train/test files curated together: file-scoped dedupe keeps every test record,
records repeated from earlier files are counted, and two copies of one capture are named."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cic_fixtures import HEADER, cic_rows, to_csv
from iotforge.curation.contracts.validate import read_canonical
from iotforge.curation.curate import curate
from iotforge.curation.leakage.split import split
from iotforge.curation.schema import read_meta


def _records(text: str) -> list[tuple[str, ...]]:
    return [tuple(r) for r in list(csv.reader(io.StringIO(text)))[1:] if r]


@pytest.fixture()
def train_test(tmp_path: Path) -> tuple[Path, Path, list[tuple[str, ...]], list[tuple[str, ...]]]:
    train_rows = cic_rows(300, seed=1)
    test_rows = cic_rows(100, seed=2) + train_rows[:20] + [cic_rows(100, seed=2)[0]]
    train, test = tmp_path / "a_train.csv", tmp_path / "b_test.csv"
    train.write_text(to_csv(train_rows))
    test.write_text(to_csv(test_rows))
    return train, test, _records(train.read_text()), _records(test.read_text())


@pytest.mark.parametrize("scope", ["global", "file"])
def test_scope_decides_which_repeats_are_duplicates(tmp_path: Path, train_test, scope: str
                                                    ) -> None:
    train, test, train_recs, test_recs = train_test
    report = curate([train, test], tmp_path / scope, dedupe_scope=scope)  # type: ignore[arg-type]
    by_file = {Path(f["path"]).name: f for f in report["files"]}
    # independent counts from the csv module
    in_train = set(train_recs)
    repeats = len({r for r in test_recs if r in in_train})
    own_dups = len(test_recs) - len(set(test_recs))
    assert by_file["b_test.csv"]["rows_repeating_earlier_files"] == repeats == 20
    expected_dups = own_dups + (repeats if scope == "global" else 0)
    assert by_file["b_test.csv"]["rows_duplicate"] == expected_dups
    curated = pq.read_table(tmp_path / scope / "curated.parquet").to_pandas()
    kept_test = (curated["source_file"] == str(test)).sum()
    assert kept_test == len(test_recs) - expected_dups
    assert report["dedupe_scope"] == scope


def test_file_scope_then_predefined_split_keeps_every_test_record(tmp_path: Path,
                                                                  train_test) -> None:
    train, test, _, test_recs = train_test
    curate([train, test], tmp_path / "c", dedupe_scope="file")
    frame = read_canonical(tmp_path / "c" / "curated.parquet")[0]
    meta = read_meta(tmp_path / "c" / "curated.parquet")
    r = split(frame, meta, mode="predefined", test_files="b_test*")
    assert len(r.test) == len(set(test_recs))
    assert r.report["train_rows_removed_as_test_duplicates"]["rows"] == 20


def test_same_records_in_two_files_are_named(tmp_path: Path) -> None:
    rows = cic_rows(200, seed=3)
    relabelled = [r[:-1] + (["BENIGN"] if r[-1] == "BENIGN" else ["attack"]) for r in rows]
    (tmp_path / "a.csv").write_text(to_csv(rows))
    (tmp_path / "b.csv").write_text(to_csv(relabelled))
    (tmp_path / "c.csv").write_text(to_csv(cic_rows(200, seed=4)))
    report = curate([tmp_path / n for n in ("a.csv", "b.csv", "c.csv")], tmp_path / "out")
    assert len(report["warnings"]) == 1
    warning = report["warnings"][0]
    assert "b.csv" in warning and "a.csv" in warning and "c.csv" not in warning
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["warnings"] == report["warnings"]


def test_a_capture_given_twice_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(to_csv(cic_rows(50, seed=5), header=HEADER))
    (tmp_path / "copy.csv").write_bytes((tmp_path / "a.csv").read_bytes())
    report = curate([tmp_path / "a.csv", tmp_path / "copy.csv"], tmp_path / "out")
    assert report["files"][1]["rows_duplicate"] == 50
    assert any("copy.csv repeats 50" in w for w in report["warnings"])
