"""The tasks of curate on Dask: what runs on a worker, one partition at a time.

:func:`clean_part` reads and cleans one partition with the local engine's code
(:func:`curation.clean.clean_batch`, called as :func:`curation.curate._one_file` calls
it) and stages its clean rows; :func:`finish_part` keeps the rows the global dedupe
let through and writes them; :func:`reduce_file` merges a file's partitions into what
its report entry needs. Every file a task writes is written under a temporary name
and renamed, so a task Dask runs again (its worker died) leaves one copy.
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
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from curation.clean import clean_batch
from curation.curate import QUARANTINE_SCHEMA, _conflicts, _track_constant
from curation.engines.dedupe import duplicates_of, split_buckets
from curation.engines.ranges import ByteRange
from curation.errors import IotforgeError
from curation.schema import LABEL, conform
from curation.sources import SourceOptions, get_adapter
from curation.sources._text import READ_RANGE

IPC = pa.ipc.IpcWriteOptions(compression="lz4")


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
    """A cleaned partition (kept on its worker until the dedupe decided)."""

    index: int
    file: int
    rows_read: int = 0
    rows_quarantined: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    batch_rows: list[int] = field(default_factory=list)
    row_hash: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    buckets: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    fhash: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    flabel: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    labels: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    spec_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str = ""
    staged: str = ""
    quarantine: str = ""
    open_tail: bool = False

    @property
    def n_clean(self) -> int:
        return len(self.row_hash)

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
    """Read and clean one partition; stage its clean rows (Arrow IPC) and quarantine."""
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


def _clean(part: Part, job: Job, rng: ByteRange | None) -> PartOut:
    adapter = get_adapter(part.adapter)
    source = adapter.open(part.local_path(), job.options)
    out = PartOut(index=part.index, file=part.file, source=source.name,
                  spec_names=list(source.specs))
    out.features = [n for n, s in source.specs.items() if s.role in ("numeric", "categorical")]
    work = Path(job.work)
    staged = work / f"staged-{part.index:05d}-{part.token}.arrow"
    quarantine = work / f"quarantine-{part.index:05d}-{part.token}.arrow"
    hashes: list[np.ndarray] = []
    fhash: list[np.ndarray] = []
    flabel: list[np.ndarray] = []
    codes: dict[str, int] = {}
    with pa.OSFile(str(_atomic(staged)), "wb") as sink, \
            pa.ipc.new_file(sink, job.schema, options=IPC) as writer, \
            pa.OSFile(str(_atomic(quarantine)), "wb") as qsink, \
            pa.ipc.new_file(qsink, QUARANTINE_SCHEMA, options=IPC) as qwriter:
        for i, batch in enumerate(source.batches):
            if i == 0 and rng is not None and rng.lead_yielded:
                continue  # the file's first chunk, read for its column kinds only
            res = clean_batch(
                batch.table, batch.source_row, source.specs,
                label_columns=source.label_columns, binary_label=source.binary_label,
                fixed_label=source.fixed_label, label_map=source.label_map,
                taxonomy=job.taxonomy, policies=job.policies,
                source=source.name, source_file=part.path, invalid=batch.invalid)
            out.counts.update(res.counts)
            out.counts["encoding"] += batch.encoding_fixed
            out.rows_read += batch.table.num_rows + len(batch.invalid)
            bad, frame = res.quarantine, res.frame  # (properties in newer versions: read once)
            out.rows_quarantined += len(bad)
            if len(bad):
                qwriter.write_table(pa.Table.from_pandas(bad, schema=QUARANTINE_SCHEMA,
                                                         preserve_index=False))
            out.batch_rows.append(len(frame))
            if len(frame):
                writer.write_table(conform(frame, job.schema).combine_chunks())
                hashes.append(res.row_hash)
                if out.features:
                    fhash.append(pd.util.hash_pandas_object(
                        frame[sorted(out.features)], index=False).to_numpy(dtype=np.uint64))
                    for value in frame[LABEL].unique():
                        codes.setdefault(value, len(codes))
                    flabel.append(frame[LABEL].map(codes).to_numpy(dtype=np.int32))
    if rng is not None and not rng.claimed:
        raise RuntimeError(f"{part.path}: the {part.adapter} adapter did not read by byte "
                           "range")
    out.notes = list(source.notes)  # adapters add some while reading
    out.open_tail = bool(rng is not None and rng.open_tail)
    os.replace(_atomic(staged), staged)
    os.replace(_atomic(quarantine), quarantine)
    out.staged, out.quarantine = str(staged), str(quarantine)
    out.row_hash = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
    out.buckets = split_buckets(out.row_hash, job.n_buckets)
    out.fhash = np.concatenate(fhash) if fhash else np.zeros(0, np.uint64)
    out.flabel = np.concatenate(flabel) if flabel else np.zeros(0, np.int32)
    out.labels = list(codes)
    return out


def bucket_piece(out: PartOut, b: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Bucket ``b`` of a partition's hashes, for the bucket task."""
    pos, h = out.buckets[b]
    return out.index, out.file, pos, h


@dataclass
class FinishOut:
    """A partition after the dedupe: what its file's report entry needs."""

    index: int
    rows_out: int
    rows_duplicate: int
    exact_duplicate: int
    repeating: int
    classes: Counter[str]
    constant: set[str]
    seen: dict[str, Any]
    fhash: np.ndarray
    flabel: np.ndarray
    labels: list[str]
    written: str
    quarantine: str


def finish_part(out: PartOut, bucket_results: list[dict[int, Any]], job: Job,
                drop: bool) -> FinishOut:
    """Keep the first occurrences, write the partition's output part, count."""
    anywhere, in_file = duplicates_of(bucket_results, out.index, out.n_clean)
    new_overall = ~anywhere
    new_here = ~in_file if job.multi_file else new_overall
    repeating = int((new_here & ~new_overall).sum()) if job.multi_file else 0
    new = new_here if job.multi_file and job.scope == "file" else new_overall
    keep = new if drop else np.ones(out.n_clean, dtype=bool)
    work = Path(job.work)
    dest = work / (f"curated-{out.index:05d}.parquet" if job.dataset
                   else f"curated-{out.index:05d}.arrow")
    classes: Counter[str] = Counter()
    constant = set(out.spec_names)
    seen: dict[str, Any] = {}
    strings = [f.name for f in job.schema if pa.types.is_string(f.type)]
    source = pa.memory_map(out.staged)
    reader = pa.ipc.open_file(source)
    batches = iter(reader.get_batch(i) for i in range(reader.num_record_batches))
    start = 0
    with _writer(dest, job.schema, job.dataset, strings) as writer:
        for n in out.batch_rows:
            if not n:
                continue
            table = pa.Table.from_batches([next(batches)])
            mask = keep[start:start + n]
            start += n
            kept = table.filter(pa.array(mask)) if not mask.all() else table
            if kept.num_rows:
                writer.write_table(kept)
                classes.update(kept.column(LABEL).to_pandas().value_counts().to_dict())
                _track_constant(kept, constant, seen)
    source.close()
    os.replace(_atomic(dest), dest)
    os.unlink(out.staged)
    quarantine = out.quarantine
    if job.dataset:  # the quarantine part as Parquet, beside the curated ones
        quarantine = str(work / f"quarantine-{out.index:05d}.parquet")
        with pa.memory_map(out.quarantine) as qsource:
            table = pa.ipc.open_file(qsource).read_all()
        pq.write_table(table, _atomic(Path(quarantine)))
        os.replace(_atomic(Path(quarantine)), quarantine)
        os.unlink(out.quarantine)
    return FinishOut(index=out.index, rows_out=int(keep.sum()),
                     rows_duplicate=int(out.n_clean - keep.sum()),
                     exact_duplicate=int((~new).sum()), repeating=repeating,
                     classes=classes, constant=constant, seen=seen,
                     fhash=out.fhash[keep] if len(out.fhash) else out.fhash,
                     flabel=out.flabel[keep] if len(out.flabel) else out.flabel,
                     labels=out.labels, written=str(dest), quarantine=quarantine)


class _writer:
    """A Parquet writer (a dataset part) or an Arrow IPC writer (for the one-file output),
    writing under a temporary name."""

    def __init__(self, dest: Path, schema: pa.Schema, parquet: bool, strings: list[str]):
        tmp = str(_atomic(dest))
        if parquet:
            self.w: Any = pq.ParquetWriter(tmp, schema, use_dictionary=strings,
                                           compression="zstd")
            self.sink = None
        else:
            self.sink = pa.OSFile(tmp, "wb")
            self.w = pa.ipc.new_file(self.sink, schema, options=IPC)

    def __enter__(self) -> Any:
        return self.w

    def __exit__(self, *exc: object) -> None:
        self.w.close()
        if self.sink is not None:
            self.sink.close()


def reduce_file(parts: list[FinishOut]) -> dict[str, Any]:
    """Merge a file's partitions: classes, constant columns, conflicting duplicates and
    the distinct feature-row hashes (the cross-file fingerprint)."""
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
            remap = np.array([codes.setdefault(lab, len(codes)) for lab in p.labels],
                             dtype=np.int32)
            fhash.append(p.fhash)
            flabel.append(remap[p.flabel])
    groups, conflict_rows = _conflicts(fhash, flabel)
    rows_seen = np.unique(np.concatenate(fhash)) if fhash else np.zeros(0, dtype=np.uint64)
    return {"classes": classes, "constant": constant or set(), "groups": groups,
            "conflict_rows": conflict_rows, "rows_seen": rows_seen,
            "rows_out": sum(p.rows_out for p in parts),
            "rows_duplicate": sum(p.rows_duplicate for p in parts),
            "exact_duplicate": sum(p.exact_duplicate for p in parts),
            "repeating": sum(p.repeating for p in parts)}
