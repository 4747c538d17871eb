"""curate's outputs as a unit: lock, staging, crash recovery, and directories with bad files.

The promises checked here, as a user or a pipeline meets them:

- ``--out`` that is a file: exit 2, one line naming it.
- ``kill -9`` at any moment leaves either the previous complete set of outputs or no
  complete set (no report.json), never report.json next to Parquet files of another
  run; the next run removes what the dead one left.
- Two runs into one ``--out``: the second is refused (exit 2, the holder's pid).
- A directory with several unusable files names all of them in one run;
  ``--on-bad-file skip`` curates the rest and lists them under ``skipped``.

Row counts are checked against the number of records each test wrote, never against
curate's own accounting alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from iotforge.curation._output import OutputSet, recover
from iotforge.curation.curate import curate
from iotforge.curation.errors import UsageError

OUTPUTS = ("curated.parquet", "quarantine.parquet", "report.json")
HEADER = ("Destination Port,Flow Duration,Total Fwd Packets,Total Backward Packets,"
          "Flow Bytes/s,Flow Packets/s,Protocol,Label\n")
BIG = 150_000  # rows: a run long enough (seconds) to be caught in the middle


def write_flows(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` distinct, valid CICFlowMeter records (the flow duration numbers them)."""
    rng = np.random.default_rng(seed)
    port = rng.integers(1, 65535, n).astype(str)
    duration = (np.arange(n) + 1000 * seed + 1).astype(str)
    fwd = rng.integers(1, 50, n).astype(str)
    bwd = rng.integers(0, 50, n).astype(str)
    label = np.array(["BENIGN", "PortScan", "DDoS"])[np.arange(n) % 3]
    rows = (",".join(r) + ",1.5,2.5,6," + lab
            for *r, lab in zip(port, duration, fwd, bwd, label, strict=True))
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_flows(tmp_path_factory.mktemp("big") / "big.csv", BIG, seed=7)


def curate_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "iotforge", "curate", *map(str, args)]


def run_curate(*args: str | Path, preexec: Callable[[], None] | None = None,
               cwd: Path | None = None, env: dict[str, str] | None = None,
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(curate_cmd(*args), capture_output=True, text=True, timeout=300,
                          preexec_fn=preexec, cwd=cwd, env=env)


def error_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


def leftovers(out: Path) -> list[str]:
    """Anything a run keeps for itself in OUT (staging, journal, lock)."""
    return sorted(p for p in os.listdir(out) if p.startswith(".curate"))


def assert_complete(out: Path, records: int) -> dict:
    """OUT holds one complete set whose report agrees with both Parquet files."""
    report = json.loads((out / "report.json").read_text())
    total = report["total"]
    assert total["rows_read"] == records
    assert pq.read_metadata(out / "curated.parquet").num_rows == total["rows_out"]
    assert pq.read_metadata(out / "quarantine.parquet").num_rows == total["rows_quarantined"]
    assert total["rows_out"] + total["rows_quarantined"] + total["rows_duplicate"] == records
    return report


def snapshot(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in OUTPUTS if (out / n).exists()}


def wait_for(check: Callable[[], object], proc: subprocess.Popen[str], what: str) -> object:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {proc.communicate()}")
        time.sleep(0.005)
    proc.kill()
    raise AssertionError(f"timed out waiting for {what}")


def staging_with_data(out: Path) -> Path | None:
    """A private staging directory of a running curate that already holds data."""
    if not out.is_dir():
        return None
    for name in os.listdir(out):
        p = out / name
        if name.startswith(".curate") and (p / "curated.parquet").exists():
            return p
    return None


# --- 3b: --out names a file ---------------------------------------------------------


def test_out_that_is_a_file_is_one_line_exit_2(tmp_path: Path) -> None:
    src = write_flows(tmp_path / "f.csv", 20)
    target = tmp_path / "taken"
    target.write_text("keep me")
    line = error_line(run_curate(src, "--out", target))
    assert str(target) in line and "directory" in line
    assert target.read_text() == "keep me"
    # a file further up the path is the same mistake
    line = error_line(run_curate(src, "--out", target / "sub"))
    assert str(target) in line
    with pytest.raises(UsageError, match="found a file"):
        curate([src], target)


# --- 5: interrupted and concurrent runs ------------------------------------------------


def test_sigkill_mid_run_keeps_previous_set_and_next_run_cleans_up(
        tmp_path: Path, big_csv: Path) -> None:
    out = tmp_path / "out"
    assert run_curate(write_flows(tmp_path / "a.csv", 50, seed=1), "--out", out).returncode == 0
    before = snapshot(out)
    proc = subprocess.Popen(curate_cmd(big_csv, "--out", out), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    staging = wait_for(lambda: staging_with_data(out), proc, "the staging directory")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert isinstance(staging, Path) and staging.exists()  # the kill did land mid-run
    assert snapshot(out) == before  # the previous complete set, byte for byte
    assert_complete(out, 50)

    r = run_curate(write_flows(tmp_path / "b.csv", 80, seed=2), "--out", out)
    assert r.returncode == 0, r.stderr
    assert leftovers(out) == []  # the dead run's staging and lock are gone
    assert sorted(os.listdir(out)) == sorted(OUTPUTS)
    assert_complete(out, 80)


KILL_DURING_INSTALL = """
import os, signal, sys
from pathlib import Path
out = Path(sys.argv[1])
def after(fn):
    def wrapped(src, dst, *a, **k):
        fn(src, dst, *a, **k)
        if Path(dst) == out / "curated.parquet":  # the first new file is in place
            os.kill(os.getpid(), signal.SIGKILL)
    return wrapped
os.rename, os.replace = after(os.rename), after(os.replace)
from iotforge.cli import main
sys.exit(main(["curate", sys.argv[2], "--out", str(out)]))
"""


def test_sigkill_while_outputs_are_switched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_curate(write_flows(tmp_path / "a.csv", 50, seed=1), "--out", out).returncode == 0
    new = write_flows(tmp_path / "b.csv", 120, seed=2)
    r = subprocess.run([sys.executable, "-c", KILL_DURING_INSTALL, str(out), str(new)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == -signal.SIGKILL, r.stderr
    # no complete set may pair a report with Parquet files of another run
    if (out / "report.json").exists():
        assert_complete(out, 50)
    # the killed run had committed: the next writer finishes its switch
    recover(out, OUTPUTS, stage="curate")
    assert leftovers(out) == []
    assert_complete(out, 120)


def test_concurrent_run_is_refused_with_the_holders_pid(tmp_path: Path, big_csv: Path) -> None:
    out = tmp_path / "out"
    first = subprocess.Popen(curate_cmd(big_csv, "--out", out), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    lock = out / ".curate.lock"
    wait_for(lambda: lock.exists() and lock.read_text().strip(), first, "the lock")
    os.kill(first.pid, signal.SIGSTOP)  # hold the first run inside its locked section
    try:
        second = run_curate(write_flows(tmp_path / "b.csv", 30), "--out", out)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    line = error_line(second)
    assert f"another curate is writing {out} (pid {first.pid})" in line
    assert_complete(out, BIG)
    assert leftovers(out) == []


def test_stale_staging_of_dead_runs_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in (".curate.k2j3h4g5", ".curate.staging-999999@elsewhere-abc123"):
        (out / name).mkdir()
        (out / name / "curated.parquet").write_bytes(b"\0" * 4096)  # a half-written file
    (out / ".curate.lock").write_text("999999 elsewhere\n")  # its lock file, not held
    curate([write_flows(tmp_path / "a.csv", 40)], out)
    assert leftovers(out) == []
    assert_complete(out, 40)


class Crash(BaseException):
    """Stands for the process dying at one file-system step."""


def test_every_crash_point_leaves_one_run_and_recovers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("a.bin", "b.bin", "manifest.json")

    def write(out: Path, tag: str) -> None:
        with OutputSet(out, names, stage="t") as output:
            for n in names:
                (output.staging / n).write_text(tag)
            output.commit()

    def tags(out: Path) -> dict[str, str]:
        return {n: (out / n).read_text() for n in names if (out / n).exists()}

    real = {f: getattr(os, f) for f in ("rename", "replace", "unlink")}
    armed, seen = False, 0

    def counted(fn: Callable[..., None]) -> Callable[..., None]:
        def wrapped(*a: object, **k: object) -> None:
            nonlocal seen
            seen += armed
            if armed and seen == crash_at:
                raise Crash
            fn(*a, **k)
        return wrapped

    for f, fn in real.items():
        monkeypatch.setattr(os, f, counted(fn))
    outcomes = set()
    for crash_at in range(1, 50):  # the n-th rename/replace/unlink of the second run fails
        out = tmp_path / f"o{crash_at}"
        write(out, "old")
        armed, seen = True, 0
        try:
            write(out, "new")
        except Crash:
            pass
        else:
            break
        finally:
            armed = False
        found = tags(out)
        assert len(set(found.values())) <= 1, found  # never files of two runs together
        if "manifest.json" in found:
            assert set(found) == set(names)
        recover(out, names, stage="t")
        after = tags(out)
        assert set(after) == set(names) and len(set(after.values())) == 1
        assert [p for p in os.listdir(out) if p.startswith(".t")] == []
        outcomes.add(after["a.bin"])
    else:
        raise AssertionError("the write never completed")
    assert outcomes == {"old", "new"}  # crashes before and after the commit point
    assert tags(out) == dict.fromkeys(names, "new")


# --- 10: directories with several unusable files ------------------------------------------


def bad_directory(root: Path) -> tuple[Path, dict[str, str], int]:
    d = root / "captures"
    d.mkdir()
    write_flows(d / "a_good.csv", 60, seed=1)
    write_flows(d / "e_good.csv", 40, seed=2)
    bad = {"b_empty.csv": "empty", "c_binary.csv": "binary", "d_unknown.csv": "no adapter"}
    (d / "b_empty.csv").write_bytes(b"")
    (d / "c_binary.csv").write_bytes(b"\x00\x01\x02" * 300)
    (d / "d_unknown.csv").write_text("what,is,this\n1,2,3\n")
    return d, bad, 100


def test_directory_names_every_unusable_file_then_skip_curates_the_rest(
        tmp_path: Path) -> None:
    d, bad, good_rows = bad_directory(tmp_path)
    out = tmp_path / "out"
    line = error_line(run_curate(d, "--out", out))
    for name, reason in bad.items():
        assert name in line
        assert reason in line.split(name, 1)[1].split(";")[0]  # each file with its reason
    assert "--on-bad-file skip" in line
    assert not out.exists()

    r = run_curate(d, "--out", out, "--on-bad-file", "skip")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "skipped 3 unusable" in r.stderr
    for name in bad:
        assert name in r.stderr
    report = assert_complete(out, good_rows)
    skipped = {Path(s["path"]).name: s for s in report["skipped"]}
    assert set(skipped) == set(bad)
    for name, reason in bad.items():
        assert reason in skipped[name]["reason"] and skipped[name]["unusable"] is True
    assert [Path(f["path"]).name for f in report["files"]] == ["a_good.csv", "e_good.csv"]
    assert leftovers(out) == []


def test_skip_with_nothing_usable_is_still_an_error(tmp_path: Path) -> None:
    d, bad, _ = bad_directory(tmp_path)
    for good in ("a_good.csv", "e_good.csv"):
        (d / good).unlink()
    out = tmp_path / "out"
    line = error_line(run_curate(d, "--out", out, "--on-bad-file", "skip"))
    assert all(name in line for name in bad)
    assert not out.exists()
    with pytest.raises(UsageError, match="on_bad_file"):
        curate([d], out, on_bad_file="ignore")  # type: ignore[arg-type]


def without_root_override() -> Callable[[], None] | None:
    """Make chmod 000 bind a root-run child too: drop the two capabilities that let
    root read anything (CAP_DAC_OVERRIDE 1, CAP_DAC_READ_SEARCH 2) from the bounding
    set before exec. Switching to 'nobody' instead would also lock the child out of an
    interpreter installed under a private home directory."""
    if os.geteuid() != 0:
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        for cap in (1, 2):
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")

    return drop


def test_unreadable_directory_and_file_say_permission_denied(tmp_path: Path) -> None:
    locked_dir = tmp_path / "locked_dir"
    locked_dir.mkdir()
    write_flows(locked_dir / "x.csv", 10)
    caps = tmp_path / "caps"
    caps.mkdir()
    write_flows(caps / "good.csv", 30)
    locked = write_flows(caps / "locked.csv", 10, seed=3)
    out = tmp_path / "out"
    preexec = without_root_override()
    locked_dir.chmod(0o000)
    locked.chmod(0o000)
    try:
        probe = subprocess.run([sys.executable, "-c", f"open({str(locked)!r})"],
                               preexec_fn=preexec, capture_output=True, text=True)
        if probe.returncode == 0:
            pytest.skip("this user reads files whatever their mode")

        def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
            return run_curate(*args, preexec=preexec)

        line = error_line(run(locked_dir, "--out", out))
        assert "permission denied" in line.lower() and str(locked_dir) in line
        assert "found none" not in line
        line = error_line(run(caps, "--out", out))
        assert "permission denied" in line.lower() and "locked.csv" in line
        assert not out.exists()
        r = run(caps, locked_dir, "--out", out, "--on-bad-file", "skip")
    finally:
        locked_dir.chmod(0o755)
        locked.chmod(0o644)
    assert r.returncode == 0, r.stderr
    report = assert_complete(out, 30)
    reasons = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {"locked.csv", "locked_dir"}
    assert all("permission denied" in v for v in reasons.values())
