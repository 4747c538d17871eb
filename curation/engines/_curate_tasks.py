"""The tasks of curate on Dask: what runs on a worker, one partition at a time.

:func:`clean_part` reads and cleans one partition with the local engine's code
(:func:`iotforge.curation.clean.clean_batch` and
:func:`iotforge.curation.engines.local.conform_table`,
on Arrow tables), drops the rows that repeat an earlier row of the same partition and
stages the others as uncompressed Arrow IPC; the raw-record hashes of the rows that
are first in their partition go to the global dedupe, split into buckets.
:func:`finish_part` keeps the rows the global dedupe let through, moves those
``repeated_except_id`` quarantines to the partition's quarantine, writes the rest (a
Parquet part) and computes what the file's report entry needs from the rows written,
as the local engine's file rules do; :func:`reduce_file` merges a file's partitions.
Every file a task writes is written under a temporary name and renamed, so a task
Dask runs again (its worker died) leaves one copy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._streaming import read_ahead
from ..clean import QUARANTINE_SCHEMA, clean_batch
from ..errors import IotforgeError
from ..rules import row_hash
from ..rules.duplicates import (
    FILE_SHIFT,
    DuplicateIndex,
    RepeatedExceptId,
    conflicts,
    id_columns,
    label_codes,
    repeat_reason,
)
from ..rules.shape import track_constant
from ..schema import LABEL, SOURCE_ROW
from ..sources import SourceOptions, get_adapter
from ..sources._text import READ_RANGE
from .dedupe import duplicates_of, split_buckets
from .local import conform_table, repeat_quarantine
from .ranges import ByteRange

STAGE = pa.ipc.IpcWriteOptions(compression=None)
"""Staged rows are written once and read once, on the same file system: uncompressed
(lz4 cost a third of the cleaning time; the stage is about 1.2 times the text's size)."""


@dataclass
class Job:
    """What every partition of one curate run shares."""

    options: SourceOptions
    taxonomy: Any
    policies: dict[str, Any]
    schema: pa.Schema
    work: str  # staging directory, on a file system every worker sees
    dataset: bool  # outputs as Parquet dataset directories
    n_buckets: int
    scope: str
    multi_file: bool
    drop: bool = True  # the exact_duplicate policy drops repeats (else it reports them)
    repeat_quarantine: bool = True  # repeated_except_id quarantines (else reports)
    paths: list[str] = field(default_factory=list)  # every input as given, in order
    read_ahead: bool = True  # parse the next chunk on a thread while one is cleaned


@dataclass
class Part:
    """One partition: a whole file or one byte range of it."""

    index: int  # position in the local engine's order
    file: int
    path: str  # as given: the rows' source_file
    abspath: str
    adapter: str
    range: ByteRange | None = None
    token: str = ""
    cwd: str = ""  # the driver's working directory

    def local_path(self) -> Path:
        """The path as given where this process shares the driver's working directory
        (adapters name companion files by it), else the absolute one."""
        return Path(self.path if os.getcwd() == self.cwd else self.abspath)

    def where(self) -> str:
        return self.path + (f", {self.range.describe()}" if self.range is not None else "")


@dataclass
class PartOut:
    """A cleaned partition (kept on its worker until the dedupe decided).

    ``n_staged`` rows are staged, in order; ``repeats`` are the staged rows that repeat
    an earlier row of the partition (kept only when the policy reports duplicates;
    dropped ones are counted in ``n_dropped``). ``buckets`` hold, per bucket, the staged
    positions, raw and id-free hashes and source rows of the rows first in their
    partition.
    """

    index: int
    file: int
    rows_read: int = 0
    rows_quarantined: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    n_staged: int = 0
    n_dropped: int = 0
    repeats: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    buckets: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    spec_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""
    staged: str = ""
    quarantine: str = ""
    open_tail: bool = False

    def summary(self) -> dict[str, Any]:
        return {"index": self.index, "rows_read": self.rows_read, "open_tail": self.open_tail,
                "source": self.source, "notes": self.notes}


def _atomic(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def _may_fork() -> Iterator[None]:
    """Let this task start processes: the pcap adapter's flow meter (nfstream) does,
    and a Dask nanny starts its worker as a daemon, which Python forbids children."""
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    daemon = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


def clean_part(part: Part, job: Job) -> PartOut:
    """Read and clean one partition; stage its rows (Arrow IPC) and its quarantine."""
    rng = dataclasses.replace(part.range, open_tail=[]) if part.range is not None else None
    token = READ_RANGE.set(rng) if rng is not None else None
    try:
        with _may_fork():
            return _clean(part, job, rng)
    except IotforgeError as exc:
        if exc.path in (part.abspath, str(part.local_path())):  # as the user named it
            exc.path = part.path
            exc.args = (exc.one_line(),)
        raise
    finally:
        if token is not None:
            READ_RANGE.reset(token)


class _QuarantineWriter:
    """The partition's quarantine: its Parquet part (dataset outputs: final as written)
    or Arrow IPC for the driver to copy into the one file; under a temporary name."""

    def __init__(self, dest: Path, parquet: bool) -> None:
        self.dest, self.tmp = dest, _atomic(dest)
        self.sink = None if parquet else pa.OSFile(str(self.tmp), "wb")
        self.w: Any = pq.ParquetWriter(str(self.tmp), QUARANTINE_SCHEMA) if parquet else \
            pa.ipc.new_file(self.sink, QUARANTINE_SCHEMA, options=STAGE)

    def close(self) -> None:
        self.w.close()
        if self.sink is not None:
            self.sink.close()
        os.replace(self.tmp, self.dest)


def _clean(part: Part, job: Job, rng: ByteRange | None) -> PartOut:
    adapter = get_adapter(part.adapter)
    source = adapter.open(part.local_path(), job.options)
    out = PartOut(index=part.index, file=part.file, source=source.name,
                  spec_names=list(source.specs))
    out.features = sorted(n for n, s in source.specs.items()
                          if s.role in ("numeric", "categorical"))
    out.ids = id_columns(list(source.specs), source.specs)
    work = Path(job.work)
    staged = work / f"staged-{part.index:05d}-{part.token}.arrow"
    quarantine = work / (f"quarantine-{part.index:05d}-{part.token}.parquet" if job.dataset
                         else f"quarantine-{part.index:05d}-{part.token}.arrow")
    seen = DuplicateIndex()  # this partition's records: a repeat of one is a duplicate
    firsts: list[tuple[np.ndarray, ...]] = []
    repeats: list[np.ndarray] = []
    ahead = read_ahead(source.batches) if job.read_ahead and source.read_ahead else None
    batches = ahead if ahead is not None else source.batches
    qwriter = _QuarantineWriter(quarantine, job.dataset)
    with contextlib.closing(ahead) if ahead is not None else contextlib.nullcontext(), \
            pa.OSFile(str(_atomic(staged)), "wb") as sink, \
            pa.ipc.new_file(sink, job.schema, options=STAGE) as writer:
        for i, batch in enumerate(batches):
            if rng is not None and i < rng.lead_yielded:
                continue  # the file's first chunks, read for its decimal mark and kinds
            res = clean_batch(
                batch.table, batch.source_row, source.specs,
                label_columns=source.label_columns, binary_label=source.binary_label,
                fixed_label=source.fixed_label, label_map=source.label_map,
                taxonomy=job.taxonomy, policies=job.policies, source=source.name,
                source_file=part.path, invalid=batch.invalid,
                encoding_fixed=batch.encoding_fixed)
            out.counts.update(res.counts)
            out.rows_read += batch.table.num_rows + len(batch.invalid)
            out.rows_quarantined += res.quarantined.num_rows
            if res.quarantined.num_rows:
                qwriter.w.write_table(res.quarantined)
            if not res.table.num_rows:
                continue
            first = seen.new_rows(res.row_hash)
            kept = res.table
            if job.drop and not first.all():
                kept = kept.filter(pa.array(first))
                out.n_dropped += int(len(first) - first.sum())
                positions = np.arange(out.n_staged, out.n_staged + kept.num_rows)
            else:
                positions = out.n_staged + np.flatnonzero(first)
                repeats.append(out.n_staged + np.flatnonzero(~first))
            free = res.id_free_hash if res.id_free_hash is not None else res.row_hash
            rows = np.asarray(res.table.column(SOURCE_ROW), dtype=np.int64)
            firsts.append((positions, res.row_hash[first], free[first], rows[first]))
            writer.write_table(conform_table(kept, job.schema))
            out.n_staged += kept.num_rows
    qwriter.close()
    if rng is not None and not rng.claimed:
        raise RuntimeError(f"{part.path}: the {part.adapter} adapter did not read by byte "
                           "range")
    out.notes = list(source.notes)  # adapters add some while reading
    out.open_tail = bool(rng is not None and rng.open_tail)
    os.replace(_atomic(staged), staged)
    out.staged, out.quarantine = str(staged), str(quarantine)
    pos, h, free, rows = (np.concatenate([f[k] for f in firsts]) if firsts
                          else np.zeros(0, t)
                          for k, t in enumerate((np.int64, np.uint64, np.uint64, np.int64)))
    out.buckets = [(pos[i], h[i], free[i], rows[i])
                   for i, _ in split_buckets(free, job.n_buckets)]
    out.repeats = np.concatenate(repeats) if repeats else np.zeros(0, np.int64)
    return out


def bucket_piece(out: PartOut, b: int) -> tuple[Any, ...]:
    """Bucket ``b`` of a partition's hashes, for the bucket task."""
    return (out.index, out.file, *out.buckets[b])


@dataclass
class FinishOut:
    """A partition after the dedupe: what its file's report entry needs.

    ``written`` is the partition's Parquet part (dataset outputs), or its staged rows,
    of which the rows at ``drop`` are not written (one-file outputs: the driver copies
    the others).
    """

    index: int
    rows_out: int
    rows_duplicate: int
    exact_duplicate: int
    repeating: int
    repeated_except_id: int
    rows_quarantined: int  # by repeated_except_id, here
    classes: Counter[str]
    constant: set[str]
    seen: dict[str, Any]
    fhash: np.ndarray
    flabel: np.ndarray
    labels: list[str]
    written: str
    quarantine: str
    staged: str = ""
    drop: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def finish_part(out: PartOut, bucket_results: list[dict[int, Any]], job: Job) -> FinishOut:
    """Keep the first occurrences, write the partition's output part, count.

    The staged rows stay until the driver removes them: a task Dask runs again reads
    them again.
    """
    anywhere, in_file, first_any, first_file = duplicates_of(bucket_results, out.index,
                                                             out.n_staged)
    anywhere[out.repeats] = True
    in_file[out.repeats] = True
    new_overall = ~anywhere
    new_here = ~in_file if job.multi_file else new_overall
    repeating = int((new_here & ~new_overall).sum()) if job.multi_file else 0
    new = new_here if job.multi_file and job.scope == "file" else new_overall
    keep = new if job.drop else np.ones(out.n_staged, dtype=bool)
    first = first_file if job.multi_file and job.scope == "file" else first_any
    repeated = new & (first >= 0)  # no exact duplicate, but repeated except its ids
    quarantine = out.quarantine
    if repeated.any() and job.repeat_quarantine:
        keep = keep & ~repeated
        quarantine = _add_repeats(out, job, np.flatnonzero(repeated),
                                  first[repeated])
    rows = _Written(out)
    dest = Path(job.work) / f"curated-{out.index:05d}.parquet"
    strings = [f.name for f in job.schema if pa.types.is_string(f.type)]
    writer = pq.ParquetWriter(str(_atomic(dest)), job.schema, use_dictionary=strings,
                              compression="zstd") if job.dataset else None
    start = 0
    with pa.OSFile(out.staged) as source:
        reader = pa.ipc.open_file(source)
        for i in range(reader.num_record_batches):
            batch = reader.get_batch(i)
            mask = keep[start:start + batch.num_rows]
            start += batch.num_rows
            table = pa.Table.from_batches([batch])
            kept = table if mask.all() else table.filter(pa.array(mask))
            if kept.num_rows:
                if writer is not None:
                    writer.write_table(kept)
                rows.update(kept)
    written = out.staged
    if writer is not None:
        writer.close()
        os.replace(_atomic(dest), dest)
        written = str(dest)
    n_out = int(keep.sum())
    n_bad = int(repeated.sum()) if job.repeat_quarantine else 0
    return FinishOut(index=out.index, rows_out=n_out,
                     rows_duplicate=out.n_dropped + out.n_staged - n_out - n_bad,
                     exact_duplicate=out.n_dropped + int((~new).sum()), repeating=repeating,
                     repeated_except_id=int(repeated.sum()), rows_quarantined=n_bad,
                     classes=rows.classes, constant=rows.constant, seen=rows.seen,
                     fhash=_cat(rows.hashes, np.uint64), flabel=_cat(rows.labels, np.int32),
                     labels=list(rows.codes), written=written, quarantine=quarantine,
                     staged=out.staged,
                     drop=np.zeros(0, np.int64) if job.dataset else np.flatnonzero(~keep))


def _add_repeats(out: PartOut, job: Job, at: np.ndarray, first: np.ndarray) -> str:
    """The partition's quarantine with its ``repeated_except_id`` rows (staged positions
    ``at``, first occurrences ``first``) added, under a new name: the one the cleaning
    wrote stays for a rerun of this task (the driver removes it)."""
    reasons = [repeat_reason(job.paths[int(f) >> FILE_SHIFT], int(f) & ((1 << FILE_SHIFT) - 1),
                             out.ids) for f in first]
    with pa.OSFile(out.staged) as source:
        staged = pa.ipc.open_file(source).read_all()
    bad = repeat_quarantine(staged.take(pa.array(at, pa.int64())), np.arange(len(at)),
                            reasons, out.ids)
    parquet = out.quarantine.endswith(".parquet")
    before = pq.read_table(out.quarantine) if parquet else _read_ipc(out.quarantine)
    name = out.quarantine.replace(f"quarantine-{out.index:05d}-",
                                  f"quarantine-{out.index:05d}-{RepeatedExceptId.name}-")
    dest = Path(name)
    writer = _QuarantineWriter(dest, parquet)
    writer.w.write_table(pa.concat_tables([before, bad]).cast(QUARANTINE_SCHEMA))
    writer.close()
    return name


def _read_ipc(name: str) -> pa.Table:
    with pa.OSFile(name) as source:
        return pa.ipc.open_file(source).read_all()


def _cat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype)


class _Written:
    """What the local engine's file rules see of the rows written: classes, constant
    columns, and feature-row hashes with label codes (conflicts, the fingerprint)."""

    def __init__(self, out: PartOut) -> None:
        self.features = out.features
        self.classes: Counter[str] = Counter()
        self.constant = set(out.spec_names)
        self.seen: dict[str, Any] = {}
        self.hashes: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.codes: dict[str, int] = {}

    def update(self, table: pa.Table) -> None:
        for item in pc.value_counts(table.column(LABEL)).to_pylist():
            self.classes[item["values"]] += item["counts"]
        track_constant(table, self.constant, self.seen)
        if not self.features:
            return
        self.hashes.append(row_hash(table, self.features))
        self.labels.append(label_codes(table.column(LABEL), self.codes))


def reduce_file(parts: list[FinishOut], fingerprint: bool = True) -> dict[str, Any]:
    """Merge a file's partitions: classes, constant columns, conflicting duplicates and
    (``fingerprint``: several input files) the distinct feature-row hashes."""
    classes: Counter[str] = Counter()
    constant: set[str] | None = None
    first_seen: dict[str, Any] = {}
    codes: dict[str, int] = {}
    fhash, flabel = [], []
    for p in parts:
        classes.update(p.classes)
        constant = set(p.constant) if constant is None else constant & p.constant
        for col, value in p.seen.items():
            first_seen.setdefault(col, value)
            if first_seen[col] != value and constant is not None:
                constant.discard(col)
        if len(p.fhash):
            remap = np.array([codes.setdefault(lab, len(codes)) for lab in p.labels] + [-1],
                             dtype=np.int32)
            fhash.append(p.fhash)
            flabel.append(remap[p.flabel])
    groups, conflict_rows, rows_seen = conflicts(fhash, flabel, distinct=fingerprint)
    return {"classes": classes, "constant": constant or set(), "groups": groups,
            "conflict_rows": conflict_rows, "rows_seen": rows_seen,
            "rows_out": sum(p.rows_out for p in parts),
            "rows_duplicate": sum(p.rows_duplicate for p in parts),
            "exact_duplicate": sum(p.exact_duplicate for p in parts),
            "repeated_except_id": sum(p.repeated_except_id for p in parts),
            "rows_quarantined": sum(p.rows_quarantined for p in parts),
            "repeating": sum(p.repeating for p in parts)}
