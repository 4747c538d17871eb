"""curate on the Dask engine gives the local engine's results, on real captures and on a
large CSV split into byte ranges; bad input fails the same way on both engines.

The cluster is a 2-worker ``LocalCluster`` (one process and one thread per worker),
started once per test session and shared with the other ``test_dask_*`` modules.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iotforge.curation.curate import curate
from iotforge.curation.errors import IotforgeError
from iotforge.curation.sources import _text

pytest.importorskip("distributed")

def table(path: Path, keys: list[str]) -> pa.Table:
    """A curated or quarantine output (file or dataset directory), in a canonical order."""
    t = pq.read_table(path)
    return t.sort_by([(k, "ascending") for k in keys]).combine_chunks()


def assert_same_rows(a: pa.Table, b: pa.Table) -> None:
    assert a.schema == b.schema
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        assert a.column(name).equals(b.column(name)), name


def report(out: Path) -> dict[str, Any]:
    return json.loads((out / "report.json").read_text())


# --------------------------------------------------------------------------- real data


@pytest.mark.dask
@pytest.mark.realdata
def test_real_reports_match_per_file_and_rule(real_curated: dict[str, Path]) -> None:
    local, dask = report(real_curated["local"]), report(real_curated["dask"])
    assert dask.pop("engine")["partitions"] >= len(local["files"])
    assert [f["path"] for f in dask["files"]] == [f["path"] for f in local["files"]]
    for a, b in zip(local["files"], dask["files"], strict=True):
        assert b == a, a["path"]
    assert dask["total"] == local["total"]
    assert dask == local


@pytest.mark.dask
@pytest.mark.realdata
def test_real_rows_and_quarantine_match(real_curated: dict[str, Path]) -> None:
    keys = ["source_file", "source_row"]
    assert_same_rows(table(real_curated["dask"] / "curated.parquet", keys),
                     table(real_curated["local"] / "curated.parquet", keys))
    qkeys = ["source_file", "source_row", "rule", "column"]
    local_q = table(real_curated["local"] / "quarantine.parquet", qkeys)
    assert local_q.num_rows > 0
    assert_same_rows(table(real_curated["dask"] / "quarantine.parquet", qkeys), local_q)


@pytest.mark.dask
@pytest.mark.realdata
def test_real_accounting_from_the_written_outputs(real_curated: dict[str, Path]) -> None:
    rep = report(real_curated["dask"])
    out = Counter(pq.read_table(real_curated["dask"] / "curated.parquet",
                                columns=["source_file"]).column(0).to_pylist())
    bad = Counter(pq.read_table(real_curated["dask"] / "quarantine.parquet",
                                columns=["source_file"]).column(0).to_pylist())
    for f in rep["files"]:
        assert out[f["path"]] == f["rows_out"]
        assert bad[f["path"]] == f["rows_quarantined"]
        assert f["rows_read"] == f["rows_out"] + f["rows_quarantined"] + f["rows_duplicate"]
    assert sum(f["rows_duplicate"] for f in rep["files"]) == rep["total"]["rows_duplicate"] > 0


# --------------------------------------------------------------------------- byte ranges

HEADER = ["Flow Duration", "Total Fwd Packets", "Flow Bytes/s", "Destination Port", "Label"]


def big_csv(path: Path, rows: int = 12_000) -> dict[str, int]:
    """A CICFlowMeter-like CSV whose ``Flow Duration`` is each record's own line number.

    Special records, by the line they start on: a quoted label holding two line breaks
    (one record over three lines), a row with a missing field, and an exact copy of
    line 3 near the end (its duration is line 3's, not its own line).
    """
    labels = ["BENIGN", "DDoS", "PortScan"]
    lines = [",".join(HEADER)]
    where: dict[str, int] = {}
    copy = ""
    line = 2
    while line < rows:
        if line == rows // 3:
            where["multiline"] = line
            lines.append(f'{line},3,1.5,80,"Port\nScan\nx"')
            line += 3
            continue
        if line == rows // 2:
            where["short"] = line
            lines.append(f"{line},3,1.5,80")
        elif line == rows - 50:
            where["copy"] = line
            lines.append(copy)
        else:
            lines.append(f"{line},{line % 7 + 1},{line * 0.5},{(line % 3) * 443},"
                         f"{labels[line % 3]}")
            if line == 3:
                copy = lines[-1]
        line += 1
    path.write_text("\n".join(lines) + "\n")
    where["lines"] = line - 1
    return where


@pytest.mark.dask
def test_byte_ranges_keep_lines_and_find_duplicates_across_partitions(
        tmp_path: Path, dask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "flows.csv"
    where = big_csv(src)
    monkeypatch.setattr(_text, "CHUNK_BYTES", 16 << 10)  # both engines read 16 KiB chunks
    local = curate([src], tmp_path / "local")
    dask = curate([src], tmp_path / "dask", engine=dask_client, partition_bytes=64 << 10)
    parts = dask.pop("engine")["partitions"]
    assert parts >= src.stat().st_size // (64 << 10)  # about 4 ranges
    assert dask == local
    rows = pq.read_table(tmp_path / "dask" / "curated.parquet").to_pandas()
    # every record kept its physical line: the value written on it
    assert (rows["source_row"] == rows["flow_duration"]).all()
    assert sorted(rows["source_row"]) == sorted(
        set(range(2, where["lines"] + 1)) - {where["multiline"] + 1, where["multiline"] + 2,
                                             where["short"], where["copy"]}
        - {where["multiline"]})
    # the copy of line 3 lies in the last range, line 3 in the first: found, first kept
    assert where["copy"] > src.stat().st_size // (64 << 10) and parts >= 3
    assert dask["total"]["rows_duplicate"] == dask["total"]["rules"]["exact_duplicate"] == 1
    quarantine = pq.read_table(tmp_path / "dask" / "quarantine.parquet").to_pandas()
    assert dict(zip(quarantine["source_row"], quarantine["rule"], strict=True)) == {
        where["multiline"]: "unknown_label", where["short"]: "row_shape"}
    total = dask["total"]
    assert total["rows_read"] == where["lines"] - 1 - 2  # records, not lines
    assert total["rows_read"] == total["rows_out"] + total["rows_quarantined"] + 1


def _scan_reference(data: bytes) -> tuple[int, int, int, int, int, bool, bool]:
    """What :func:`scan_block` reports, counted the plain way."""
    def ends(buf: bytes) -> int:
        return buf.count(b"\n") + buf.count(b"\r") - buf.count(b"\r\n")
    last = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
    return (ends(data), last, ends(data[:last]), data.count(b'"'), data[:last].count(b'"'),
            data[:1] == b"\n", data[-1:] == b"\r")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b",", b"\r", b"\n", b"\r\n", b'"']), max_size=60))
def test_block_scan_counts_line_ends_and_quotes(pieces: list[bytes]) -> None:
    from iotforge.curation.engines.ranges import scan_block

    data = b"".join(pieces)
    s = scan_block(data)
    assert (s.terminators, s.last_end, s.prefix_terminators, s.quotes, s.prefix_quotes,
            s.starts_lf, s.ends_cr) == _scan_reference(data)
    assert s.size == len(data)


def test_ranges_share_blocks_evenly_with_exact_lines(tmp_path: Path) -> None:
    from iotforge.curation.engines.ranges import plan_ranges, scan_blocks

    src = tmp_path / "flows.csv"
    big_csv(src, rows=5000)
    data = src.read_bytes()
    block = 1024
    n_blocks = -(-len(data) // block)
    scans = scan_blocks(str(src), 0, 0, n_blocks, block)
    for workers in (1, 2, 3, 5):
        ranges = plan_ranges(str(src), scans, bom=0, block=block, partition_bytes=8 * block,
                             multiple_of=workers)
        assert len(ranges) >= -(-n_blocks // 8)  # at most about 8 blocks each
        if len(ranges) >= workers:
            assert len(ranges) % workers == 0
        sizes = [(r.stop_block or n_blocks) - r.first_block for r in ranges]
        assert max(sizes) - min(sizes) <= 2  # one quoted record may move a cut by one
        for r in ranges:  # each starts on a line of its own, numbered as the file counts
            assert r.start == 0 or data[r.start - 1:r.start] == b"\n"
            assert r.line == data[:r.start].count(b"\n") + 1


@pytest.mark.dask
def test_stray_quote_makes_a_file_one_partition_with_the_same_result(
        tmp_path: Path, dask_client: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # a stray quote early (an ordinary character inside a value) puts the quote parity
    # off by one, then a quoted value spanning many lines straddles a range boundary
    # with even parity: the range before it ends inside a record.
    lines = [",".join(HEADER), '5,1,2.0,80,BEN"IGN']
    lines += [f"{i},1,2.0,80,BENIGN" for i in range(3, 400)]
    lines.append('400,1,2.0,80,"' + "\n".join(f"word {k}" for k in range(3000)) + '"')
    lines += [f"{i},1,2.0,80,DDoS" for i in range(3401, 3600)]
    src = tmp_path / "stray.csv"
    src.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(_text, "CHUNK_BYTES", 4 << 10)
    local = curate([src], tmp_path / "local")
    with caplog.at_level(logging.WARNING, logger="iotforge.curation.engines.dask_curate"):
        dask = curate([src], tmp_path / "dask", engine=dask_client, partition_bytes=8 << 10)
    assert "reading the file as one partition" in caplog.text
    assert dask.pop("engine")["partitions"] == 1
    assert dask == local
    rows = pq.read_table(tmp_path / "dask" / "curated.parquet").to_pandas()
    assert rows["source_row"].max() == 3598  # after a record over 3,000 lines


@pytest.mark.dask
def test_file_scoped_dedupe_matches(tmp_path: Path, dask_client: Any) -> None:
    rows = [[str(i * 10), str(i % 5 + 1), "1.5", "80", ["BENIGN", "DDoS"][i % 2]]
            for i in range(300)]
    a, b = tmp_path / "a_train.csv", tmp_path / "b_test.csv"
    for path, body in ((a, rows[:200] + rows[:10]), (b, rows[150:300] + rows[:5])):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([HEADER, *body])
        path.write_text(buf.getvalue())
    for scope in ("global", "file"):
        local = curate([a, b], tmp_path / f"l{scope}", dedupe_scope=scope)  # type: ignore[arg-type]
        dask = curate([a, b], tmp_path / f"d{scope}", dedupe_scope=scope,  # type: ignore[arg-type]
                      engine=dask_client)
        dask.pop("engine")
        assert dask == local
        assert local["files"][1]["rows_repeating_earlier_files"] == 55
        assert local["total"]["rows_duplicate"] == (65 if scope == "global" else 10)


@pytest.mark.dask
def test_repeats_within_and_across_ranges_and_files_match_every_policy_and_scope(
        tmp_path: Path, dask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # repeats next to their first occurrence (the same range), far from it (another
    # range) and in the other file, each file split into several byte ranges
    rows = [[str(i * 10), str(i % 5 + 1), f"{i}.5", "80", ["BENIGN", "DDoS"][i % 2]]
            for i in range(1500)]
    body_a = rows[:1000] + rows[995:1000] + rows[:3] + rows[500:510]
    body_b = rows[900:1500] + rows[1400:1404] + rows[:7]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path, body in ((a, body_a), (b, body_b)):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([HEADER, *body])
        path.write_text(buf.getvalue())
    monkeypatch.setattr(_text, "CHUNK_BYTES", 2 << 10)
    keys = ["source_file", "source_row"]
    for policy in ("drop", "report"):
        for scope in ("global", "file"):
            name = f"{policy}-{scope}"
            local = curate([a, b], tmp_path / f"l{name}", dedupe_scope=scope,  # type: ignore[arg-type]
                           policies={"exact_duplicate": policy})  # type: ignore[dict-item]
            dask = curate([a, b], tmp_path / f"d{name}", dedupe_scope=scope,  # type: ignore[arg-type]
                          policies={"exact_duplicate": policy},  # type: ignore[dict-item]
                          engine=dask_client, partition_bytes=8 << 10)
            assert dask.pop("engine")["partitions"] >= 6, name
            assert dask == local, name
            assert_same_rows(table(tmp_path / f"d{name}" / "curated.parquet", keys),
                             table(tmp_path / f"l{name}" / "curated.parquet", keys))
            # the count, from the records themselves
            seen: set[tuple[str, ...]] = set()
            repeats = 0
            for body in (body_a, body_b):
                if scope == "file":
                    seen = set()
                for record in map(tuple, body):
                    repeats += record in seen
                    seen.add(record)
            assert local["total"]["rules"]["exact_duplicate"] == repeats, name
            assert local["total"]["rows_duplicate"] == (repeats if policy == "drop" else 0)


def _records_with_ids(seed: int, n: int, start: int) -> list[list[str]]:
    """Flows with a flow id: exact copies, copies under a new id, copies that differ only
    in a column the mapping drops, and new flows."""
    import random

    rng = random.Random(seed)
    rows: list[list[str]] = []
    for i in range(n):
        r = rng.random()
        if rows and r < 0.1:
            rows.append(list(rng.choice(rows)))
        elif rows and r < 0.2:
            rows.append([f"F{start + i}", *rng.choice(rows)[1:]])
        elif rows and r < 0.25:
            old = rng.choice(rows)
            rows.append([*old[:3], old[3] + "x", old[4]])
        else:
            rows.append([f"F{start + i}", str(rng.randint(1, 400)), rng.choice(["tcp", "udp"]),
                         rng.choice("ab"), rng.choice(["normal", "ddos"])])
    return rows


ID_MAPPING = {"format": "csv", "source": "flows",
              "roles": {"fid": "id", "bytes": "numeric", "proto": "categorical"},
              "kinds": {"fid": "string", "bytes": "float", "proto": "string"},
              "label": ["label"], "drop": ["junk"]}


@pytest.mark.dask
def test_repeats_under_another_id_match_every_policy_and_scope(
        tmp_path: Path, dask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # records that repeat an earlier one but for their id, within a byte range, across
    # ranges and across files; quarantined (or reported) with their first occurrence,
    # by both engines, counted as a plain loop over the records counts them
    bodies = [_records_with_ids(1, 1200, 0), _records_with_ids(2, 600, 0)[:300]
              + _records_with_ids(1, 1200, 0)[100:400]]
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path, body in zip(paths, bodies, strict=True):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(
            [["fid", "bytes", "proto", "junk", "label"], *body])
        path.write_text(buf.getvalue())
    monkeypatch.setattr(_text, "CHUNK_BYTES", 2 << 10)
    keys = ["source_file", "source_row"]
    for exact in ("drop", "report"):
        for policy in ("quarantine", "report"):
            for scope in ("global", "file"):
                name = f"{exact}-{policy}-{scope}"
                kw: dict[str, Any] = dict(
                    format="mapping", mapping=ID_MAPPING, dedupe_scope=scope,
                    policies={"exact_duplicate": exact, "repeated_except_id": policy})
                local = curate(paths, tmp_path / f"l{name}", **kw)
                dask = curate(paths, tmp_path / f"d{name}", engine=dask_client,
                              partition_bytes=8 << 10, **kw)
                assert dask.pop("engine")["partitions"] >= 6, name
                assert dask == local, name
                for out in ("curated", "quarantine"):
                    assert_same_rows(table(tmp_path / f"d{name}" / f"{out}.parquet", keys),
                                     table(tmp_path / f"l{name}" / f"{out}.parquet", keys))
                # the counts and first occurrences, from the records themselves
                seen: set[tuple[str, ...]] = set()
                first: dict[tuple[str, ...], tuple[str, int]] = {}
                exact_n, repeated = 0, {}
                for path, body in zip(paths, bodies, strict=True):
                    if scope == "file":
                        seen, first = set(), {}
                    for ln, record in enumerate(map(tuple, body), start=2):
                        if record in seen:
                            exact_n += 1
                        elif record[1:] in first:
                            repeated[(str(path), ln)] = first[record[1:]]
                        seen.add(record)
                        first.setdefault(record[1:], (str(path), ln))
                total = local["total"]
                assert total["rules"]["exact_duplicate"] == exact_n > 0, name
                assert total["rules"]["repeated_except_id"] == len(repeated) > 0, name
                assert total["rows_duplicate"] == (exact_n if exact == "drop" else 0), name
                q = pq.read_table(tmp_path / f"l{name}" / "quarantine.parquet").to_pylist()
                if policy == "quarantine":
                    assert total["rows_quarantined"] == len(repeated), name
                    assert {(r["source_file"], r["source_row"]): r["reason"] for r in q} == {
                        k: f"identical to source_row {ln} of {f} in every column but its "
                           "id columns (fid)" for k, (f, ln) in repeated.items()}, name
                else:
                    assert q == [] and total["rows_quarantined"] == 0, name
                assert total["rows_read"] == total["rows_out"] + total["rows_quarantined"] \
                    + total["rows_duplicate"] == sum(map(len, bodies)), name


@pytest.mark.dask
def test_decimal_mark_and_column_kinds_are_decided_once_per_file(
        tmp_path: Path, dask_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The file's first chunk holds no valid row (lines of the wrong width); its first
    # valid rows write 2,5 (a decimal comma), later ones 1.500. Read as one file, the
    # decimal mark is ',' and 1.500 is 1500 (a dot between thousands); a byte range of
    # 1.500s alone would say '.' and 1.5. Every partition must decide as the file does.
    bad = ["only_one_field"] * 200
    first = [f"{i % 9},5;{i};normal" for i in range(20)]
    later = [f"{i % 9 + 1}.500;{i};{['normal', 'dos'][i % 2]}" for i in range(3000)]
    f = tmp_path / "f.csv"
    f.write_text("\n".join(["level;seq;label", *bad, *first, *later]) + "\n")
    assert len("\n".join(bad)) > 2 << 10  # more than the first chunk
    monkeypatch.setattr(_text, "CHUNK_BYTES", 2 << 10)
    kw: dict[str, Any] = dict(format="mapping", mapping={"format": "csv", "label": ["label"]})
    local = curate([f], tmp_path / "local", **kw)
    dask = curate([f], tmp_path / "dask", engine=dask_client, partition_bytes=8 << 10, **kw)
    assert dask.pop("engine")["partitions"] >= 4
    assert dask == local
    keys = ["source_file", "source_row"]
    got = table(tmp_path / "dask" / "curated.parquet", keys)
    assert_same_rows(got, table(tmp_path / "local" / "curated.parquet", keys))
    # the values, from the text: decimal commas, dots between thousands
    want = [float(v.split(";")[0].replace(".", "").replace(",", ".")) for v in first + later]
    assert got.column("level").to_pylist() == want
    assert local["total"]["rules"]["decimal_comma"] == len(want)
    assert local["total"]["rows_quarantined"] == len(bad)


@pytest.mark.dask
def test_large_inputs_give_dataset_directories(tmp_path: Path, dask_client: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from iotforge.curation.engines import dask_curate

    src = tmp_path / "flows.csv"
    big_csv(src, rows=3000)
    monkeypatch.setattr(_text, "CHUNK_BYTES", 16 << 10)
    monkeypatch.setattr(dask_curate, "DATASET_OVER_BYTES", 1 << 10)
    local = curate([src], tmp_path / "local")
    dask = curate([src], tmp_path / "dask", engine=dask_client, partition_bytes=32 << 10)
    assert dask.pop("engine")["outputs"] == "dataset directories"
    assert dask == local
    parts = sorted((tmp_path / "dask" / "curated.parquet").iterdir())
    assert len(parts) >= 2 and all(p.suffix == ".parquet" for p in parts)
    keys = ["source_file", "source_row"]
    assert_same_rows(table(tmp_path / "dask" / "curated.parquet", keys),
                     table(tmp_path / "local" / "curated.parquet", keys))
    # a second run replaces the directories as a set
    curate([src], tmp_path / "dask", engine=dask_client, partition_bytes=32 << 10)
    assert len(list((tmp_path / "dask" / "curated.parquet").iterdir())) == len(parts)


# --------------------------------------------------------------------------- errors


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(IotforgeError) as info:
        call()
    return info.value.one_line(), info.value.exit_code


@pytest.mark.dask
def test_bad_input_fails_alike(tmp_path: Path, dask_client: Any) -> None:
    import gzip

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    cut = tmp_path / "cut.csv.gz"  # damaged past the first 16 MiB: found by a worker
    body = "".join(f"{i},1,2.0,80,BENIGN\n" for i in range(1_400_000))
    data = gzip.compress((",".join(HEADER) + "\n" + body).encode(), compresslevel=1)
    cut.write_bytes(data[: len(data) * 9 // 10])
    cases = [[tmp_path / "missing.csv"], [empty], [binary], [cut], [empty, binary]]
    for inputs in cases:
        local = _error(lambda i=inputs: curate(i, tmp_path / "l"))
        dask = _error(lambda i=inputs: curate(i, tmp_path / "d", engine=dask_client))
        assert dask == local, inputs
        assert local[1] == 2
    assert not (tmp_path / "d" / "report.json").exists()


def test_unreachable_scheduler_is_exit_2_naming_address_and_timeout(tmp_path: Path) -> None:
    src = tmp_path / "flows.csv"
    big_csv(src, rows=50)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "iotforge", "curate", str(src), "--out",
                           str(tmp_path / "o"), "--engine", "dask", "--scheduler",
                           "tcp://127.0.0.1:9", "--scheduler-timeout", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "tcp://127.0.0.1:9" in lines[0] and "within 1 s" in lines[0]
    assert time.monotonic() - start < 60


def _environ(name: str) -> str | None:
    import os

    return os.environ.get(name)


@pytest.mark.dask
def test_local_cluster_workers_one_thread_glibc_trimming_left_alone() -> None:
    from distributed import Client
    from iotforge.curation.engines import local_cluster

    with local_cluster(1) as cluster, Client(cluster) as client:
        assert list(client.nthreads().values()) == [1]
        # Dask's nanny would set it: every freed array over 128 KiB a page fault again
        assert set(client.run(_environ, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
        assert set(client.run(_environ, "OMP_NUM_THREADS").values()) == {"1"}


def test_scheduler_needs_the_dask_engine() -> None:
    from iotforge.curation.errors import UsageError

    with pytest.raises(UsageError, match="needs the Dask engine"):
        curate(["x.csv"], "out", scheduler="tcp://127.0.0.1:8786")


@pytest.mark.dask
def test_worker_out_of_memory_names_file_and_byte_range(tmp_path: Path) -> None:
    import dask
    from distributed import Client, LocalCluster
    from iotforge.curation.engines.dask_curate import WorkerLostError

    src = tmp_path / "big.csv"
    row = "1,2,3.5,80,BENIGN\n"
    src.write_text(",".join(HEADER) + "\n" + row * 900_000)  # 16 MB: one chunk, ~600 MB
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                         memory_limit="400MiB", dashboard_address=":0",
                         silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        with pytest.raises(WorkerLostError) as info:
            curate([src], tmp_path / "out", engine=client)
    line = info.value.one_line()
    assert str(src) in line and "bytes 0 to the end (from line 1)" in line
    assert "memory" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.dask
def test_cli_bad_input_same_line_and_exit_code(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    runs = {engine: subprocess.run(
        [sys.executable, "-m", "iotforge", "validate", str(empty), "--suite", "cicflowmeter",
         "--engine", engine], capture_output=True, text=True, timeout=300)
        for engine in ("local", "dask")}
    assert runs["local"].returncode == 2 and "empty" in runs["local"].stderr
    assert (runs["dask"].returncode, runs["dask"].stderr) == (2, runs["local"].stderr)
    assert len(runs["dask"].stderr.strip().splitlines()) == 1
