"""curate on a Dask cluster: the local engine's rules, partition by partition.

The driver (this module) plans partitions, submits tasks and writes the report; the
tasks (:mod:`iotforge.curation.engines._curate_tasks`) do the reading, cleaning and writing:

1. **partitions**: one per input file; an uncompressed UTF-8 text file larger than
   ``partition_bytes`` is split into byte ranges cut where the local reader cuts its
   chunks (:mod:`iotforge.curation.engines.ranges`), so every record keeps its exact line;
2. **clean**: each partition is parsed and cleaned by
   :func:`iotforge.curation.clean.clean_batch` on Arrow tables; the rows that repeat an earlier
   row of the same partition are dropped there, the others staged on disk (Arrow
   IPC), its quarantined rows too, and the raw-record hashes of its first occurrences
   split into buckets;
3. **dedupe**: one task per bucket finds the rows an earlier partition repeats, over
   all partitions (:mod:`iotforge.curation.engines.dedupe`); first occurrence in (file, line)
   order wins, as locally; ``dedupe_scope="file"`` is honoured;
4. **finish**: each partition keeps its first occurrences and writes its output part;
   one task per file merges what its report entry needs (classes, constant columns,
   conflicting duplicates);
5. **outputs**: ``curated.parquet`` and ``quarantine.parquet`` as one file each, or,
   when the inputs total more than :data:`DATASET_OVER_BYTES`, as Parquet dataset
   directories of the same names (``part-00000.parquet``, ... in row order), which
   every command reads as it reads one file.

A task whose worker dies is run again by Dask (its outputs are written under a
temporary name and renamed, so a second run leaves one copy); a partition that fails
for good is reported with its file and byte range.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from .._typing import DedupeScope
from ..errors import IotforgeError
from ..rules.duplicates import RepeatedExceptId
from ..sources import SourceOptions, _text
from ..sources._stream import compression_of
from ..sources._text import READ_RANGE, looks_binary, read_head, text_info
from ._curate_outputs import place_outputs
from ._curate_tasks import (
    Job,
    Part,
    PartOut,
    bucket_piece,
    clean_part,
    finish_part,
    reduce_file,
)
from .dedupe import bucket_duplicates
from .planning import plan, run_report
from .ranges import (
    ByteRange,
    Claimed,
    forget_leads,
    plan_ranges,
    scan_blocks,
)

__all__ = ["DATASET_OVER_BYTES", "MAX_BUCKETS", "PARTITION_BYTES", "WorkerLostError", "run_dask"]

log = logging.getLogger(__name__)

PARTITION_BYTES = 256 << 20
"""Bytes of a text file per partition (a multiple of the reader's 16 MiB chunk)."""

DATASET_OVER_BYTES = 1 << 30
"""Inputs larger than this in total (1 GiB) give Parquet dataset directories."""

MAX_BUCKETS = 64


class WorkerLostError(IotforgeError, RuntimeError):
    """A partition could not be processed: its worker died or ran out of memory (exit 2)."""


def run_dask(client: Any, paths: list[Path], adapters: list[Any], work: Path,
             options: SourceOptions, taxonomy: Any, policies: Mapping[str, Any] | None,
             progress: Any, dedupe_scope: DedupeScope, *, partition_bytes: int = PARTITION_BYTES,
             block: int | None = None, dataset: bool | None = None) -> dict[str, Any]:
    """Curate ``paths`` on ``client``'s cluster into ``work``; the report (as ``_run``)."""
    block = block or _text.CHUNK_BYTES
    scans = _scan(client, paths, partition_bytes, block)  # runs while the driver plans
    meta, schema = plan(paths, adapters, options)
    if dataset is None:
        dataset = sum(_size(p) for p in paths) > DATASET_OVER_BYTES
    workers = max(1, sum(client.nthreads().values()))
    job = Job(options=options, taxonomy=taxonomy, policies=dict(policies or {}), schema=schema,
              work=str(work.resolve()), dataset=dataset, n_buckets=min(MAX_BUCKETS, workers),
              scope=dedupe_scope, multi_file=len(paths) > 1,
              drop=(policies or {}).get("exact_duplicate", "drop") == "drop",
              repeat_quarantine=(policies or {}).get(
                  RepeatedExceptId.name, RepeatedExceptId.policy) == "quarantine",
              paths=[str(p) for p in paths])
    parts = _partitions(client, paths, adapters, options, partition_bytes, block, scans,
                        workers)
    log.info("curating %d files as %d partitions on %d workers", len(paths), len(parts),
             workers)
    try:
        cleaned = _clean_all(client, parts, job, progress)
    finally:
        if any(p.range is not None and p.range.lead_key for p in parts):
            client.run(forget_leads, on_error="ignore")
    finished = _dedupe_and_finish(client, parts, cleaned, job)
    written = place_outputs(client, work, [finished[p.index] for p in parts], schema,
                            dataset)
    files, fingerprints = _file_entries(client, paths, adapters, parts, cleaned, finished,
                                        job)
    first_quarantine = client.gather([client.submit(_paths_of, cleaned[p.index], pure=False)
                                      for p in parts])
    for name in [*written, *(q for _, q in first_quarantine)]:
        # staged rows and the quarantine a finish task added to: read again when Dask
        # reruns a finish task
        Path(name).unlink(missing_ok=True)
    report = run_report(files, fingerprints, meta, policies, taxonomy, dedupe_scope)
    report["engine"] = {"name": "dask", "partitions": len(parts), "workers": workers,
                        "outputs": "dataset directories" if dataset else "files"}
    if _rows(work / "curated.parquet") != report["total"]["rows_out"]:
        raise AssertionError("curated rows differ from the accounting")
    return report


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _rows(path: Path) -> int:
    if path.is_dir():
        return sum(pq.read_metadata(p).num_rows for p in sorted(path.glob("*.parquet")))
    return pq.read_metadata(path).num_rows


# --------------------------------------------------------------------------- partitions


def _text_bom(path: Path) -> int | None:
    """The BOM length of an uncompressed UTF-8 text file (None: not one)."""
    if compression_of(path) is not None:
        return None
    head = read_head(path, 4096)
    info = text_info(head)
    if looks_binary(head) or info.encoding != "utf-8":
        return None
    return len(info.bom)


def _scan(client: Any, paths: list[Path], partition_bytes: int, block: int
          ) -> dict[int, list[Any]]:
    """Submit the line-end scan of every text file larger than one partition: one future
    per ``partition_bytes`` of blocks, by file number."""
    scans: dict[int, list[Any]] = {}
    per = max(1, partition_bytes // block)
    for f, path in enumerate(paths):
        bom = _text_bom(path)
        if bom is None or _size(path) - bom <= partition_bytes:
            continue
        n_blocks = -(-(_size(path) - bom) // block)
        scans[f] = [client.submit(scan_blocks, os.path.abspath(path), bom, k,
                                  min(per, n_blocks - k), block, pure=False)
                    for k in range(0, n_blocks, per)]
    return scans


def _splittable(path: Path, adapter: Any, options: SourceOptions, block: int) -> int | None:
    """The BOM length of a file read by byte ranges; None: read it whole, without ranges
    (compressed, not UTF-8, not read by ``iter_text_chunks``)."""
    bom = _text_bom(path)
    if bom is None:
        return None
    probe = ByteRange(path=os.path.abspath(path), start=bom, first_block=0, stop_block=1,
                      line=1, block=block, bom=bom, probe=True)
    token = READ_RANGE.set(probe)
    try:  # does the adapter read through iter_text_chunks? (pcap, Parquet do not)
        source = adapter.open(path, options)
        batches = iter(source.batches)
        next(batches, None)
        close = getattr(batches, "close", None)
        if close is not None:
            close()
    except Claimed:  # it asked for chunks: nothing was parsed
        pass
    finally:
        READ_RANGE.reset(token)
    return bom if probe.claimed else None


def _partitions(client: Any, paths: list[Path], adapters: list[Any], options: SourceOptions,
                partition_bytes: int, block: int, scans: dict[int, list[Any]],
                workers: int) -> list[Part]:
    run = secrets.token_hex(8)  # names each file's first chunk, kept on the workers
    parts: list[Part] = []
    for f, (path, adapter) in enumerate(zip(paths, adapters, strict=True)):
        bom = _splittable(path, adapter, options, block)
        ranges: list[ByteRange | None] = [None]
        if bom is not None:  # one range: the block size travels with it
            ranges = [ByteRange(path=os.path.abspath(path), start=bom, first_block=0,
                                stop_block=None, line=1, block=block, bom=bom)]
            if f in scans:
                blocks = [s for group in client.gather(scans[f]) for s in group]
                ranges = [dataclasses.replace(r, lead_key=f"{run}:{f}") for r in plan_ranges(
                    str(path), blocks, bom=bom, block=block, partition_bytes=partition_bytes,
                    multiple_of=workers)]
        elif f in scans:
            client.cancel(scans[f])
        for rng in ranges:
            parts.append(Part(index=len(parts), file=f, path=str(path),
                              abspath=os.path.abspath(path), adapter=adapter.name, range=rng,
                              token=secrets.token_hex(4), cwd=os.getcwd()))
    return parts


# --------------------------------------------------------------------------- tasks


def _wait(client: Any, futures: dict[int, Any], parts: dict[int, Part]) -> None:
    """Wait for every future; the first failure as one clear error naming its partition."""
    from distributed import as_completed

    by_future = {fut: i for i, fut in futures.items()}
    for fut in as_completed(list(futures.values())):
        if fut.status != "error":
            continue
        exc = fut.exception()
        client.cancel(list(futures.values()))
        part = parts[by_future[fut]]
        if isinstance(exc, IotforgeError):
            raise exc
        if type(exc).__name__ == "KilledWorker":
            raise WorkerLostError(
                f"Dask workers died on this partition again and again (out of memory?): "
                f"{part.where()}", path=None,
                hint="give the workers more memory (dask worker --memory-limit) or use "
                     "smaller partitions (--partition-size)") from None
        if isinstance(exc, MemoryError):
            raise WorkerLostError(
                f"a Dask worker ran out of memory on {part.where()}",
                hint="give the workers more memory (dask worker --memory-limit) or use "
                     "smaller partitions (--partition-size)") from None
        raise exc


def _clean_all(client: Any, parts: list[Part], job: Job, progress: Any) -> dict[int, Any]:
    """Run :func:`clean_part` everywhere; a file whose ranges did not meet on record
    boundaries (stray quotes) is read again as one partition."""
    by_index = {p.index: p for p in parts}
    futures = {p.index: client.submit(clean_part, p, job, pure=False) for p in parts}
    _wait(client, futures, by_index)
    summaries = client.gather([client.submit(PartOut.summary, futures[p.index], pure=False)
                               for p in parts])
    redo: set[int] = set()
    for part, summary in zip(parts, summaries, strict=True):
        if progress:
            progress(part.path, summary["rows_read"])
        last = part.range is None or part.range.stop_block is None
        if summary["open_tail"] and not last:
            redo.add(part.file)
    for f in sorted(redo):
        mine = [p for p in parts if p.file == f]
        log.warning("%s: a byte range ended inside a quoted value (a stray quote?); reading "
                    "the file as one partition", mine[0].path)
        whole = Part(index=mine[0].index, file=f, path=mine[0].path, abspath=mine[0].abspath,
                     adapter=mine[0].adapter, token=secrets.token_hex(4), cwd=mine[0].cwd)
        stale = client.gather([client.submit(_paths_of, futures.pop(p.index), pure=False)
                               for p in mine])
        for name in (n for pair in stale for n in pair):
            Path(name).unlink(missing_ok=True)
        parts[:] = [p for p in parts if p.file != f] + [whole]
        parts.sort(key=lambda p: p.index)
        by_index = {p.index: p for p in parts}
        futures[whole.index] = client.submit(clean_part, whole, job, pure=False)
        _wait(client, {whole.index: futures[whole.index]}, by_index)
    return futures


def _paths_of(out: PartOut) -> tuple[str, str]:
    return out.staged, out.quarantine


def _dedupe_and_finish(client: Any, parts: list[Part], cleaned: dict[int, Any], job: Job
                       ) -> dict[int, Any]:
    pieces = {b: [client.submit(bucket_piece, cleaned[p.index], b, pure=False) for p in parts]
              for b in range(job.n_buckets)}
    buckets = [client.submit(bucket_duplicates, pieces[b], pure=False)
               for b in range(job.n_buckets)]
    futures = {p.index: client.submit(finish_part, cleaned[p.index], buckets, job,
                                      pure=False) for p in parts}
    _wait(client, futures, {p.index: p for p in parts})
    return futures


# --------------------------------------------------------------------------- report


def _file_entries(client: Any, paths: list[Path], adapters: list[Any], parts: list[Part],
                  cleaned: dict[int, Any], finished: dict[int, Any], job: Job,
                  ) -> tuple[list[dict[str, Any]], list[tuple[frozenset[str], np.ndarray]]]:
    outs: list[PartOut] = client.gather([client.submit(_light, cleaned[p.index], pure=False)
                                         for p in parts])
    reduced = client.gather([
        client.submit(reduce_file, [finished[p.index] for p in parts if p.file == f],
                      job.multi_file, pure=False) for f in range(len(paths))])
    files: list[dict[str, Any]] = []
    fingerprints: list[tuple[frozenset[str], np.ndarray]] = []
    for f, (path, adapter) in enumerate(zip(paths, adapters, strict=True)):
        mine = [o for o in outs if o.file == f]
        red = reduced[f]
        counts: Counter[str] = Counter()
        for o in mine:
            counts.update(o.counts)
        counts["exact_duplicate"] += red["exact_duplicate"]
        counts[RepeatedExceptId.name] += red["repeated_except_id"]
        if red["rows_quarantined"]:
            counts[f"quarantine:{RepeatedExceptId.name}"] += red["rows_quarantined"]
        first = mine[0]
        counts["duplicate_column"] += sum("duplicated column" in n for n in first.notes)
        head = read_head(path, 65536)
        if not looks_binary(head) and text_info(head).line_endings != "lf":
            counts["line_endings"] += 1
        counts["conflicting_duplicate"] += red["conflict_rows"]
        rows = {"rows_read": sum(o.rows_read for o in mine), "rows_out": red["rows_out"],
                "rows_quarantined": sum(o.rows_quarantined for o in mine)
                + red["rows_quarantined"],
                "rows_duplicate": red["rows_duplicate"]}
        if rows["rows_read"] != rows["rows_out"] + rows["rows_quarantined"] \
                + rows["rows_duplicate"]:
            raise AssertionError(f"{path}: row accounting does not add up: {rows}")
        constant = red["constant"]
        if constant:
            counts["constant_column"] += len(constant)
        files.append({
            "path": str(path), "format": adapter.name, "source": first.source, **rows,
            "rules": {k: v for k, v in sorted(counts.items()) if v and ":" not in k},
            "quarantine_rules": {k.split(":", 1)[1]: v for k, v in sorted(counts.items())
                                 if k.startswith("quarantine:")},
            "constant_columns": sorted(constant),
            "conflicting_duplicate_groups": red["groups"],
            "rows_repeating_earlier_files": red["repeating"],
            "classes": dict(red["classes"].most_common()),
            "notes": list(first.notes),
        })
        fingerprints.append((frozenset(first.features), red["rows_seen"]))
    return files, fingerprints


def _light(out: PartOut) -> PartOut:
    """A partition's result without its arrays, for the driver."""
    return PartOut(index=out.index, file=out.file, rows_read=out.rows_read,
                   rows_quarantined=out.rows_quarantined, counts=out.counts,
                   features=out.features, notes=out.notes, source=out.source)
