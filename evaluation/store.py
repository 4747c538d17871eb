"""Write an evaluation to a directory and read one (or several) back.

Layout of ``DIR`` (every file written atomically)::

    results.parquet          the tidy results (augmenter, arm, classifier, seed, metric,
                             class, value); schema metadata: stage "evaluate", the config
    predictions.parquet      every run's prediction of every test row, as label codes
                             (:class:`~iotforge.evaluation.predictions.Predictions`)
    metrics.json             {classifier: {macro_f1, recall_<rare class>, ...}} (for
                             ``dvc metrics``; see :func:`~iotforge.evaluation.summary.metrics_json`)
    comparison.csv           every augmenter arm against no augmentation: differences,
                             95 % intervals, what they cover, verdicts
    plots/per_class_recall.csv   class, run, classifier, recall (for ``dvc plots``)
    plots/macro_f1.csv       run, classifier, seed, macro_f1 (for ``dvc plots``)
    details.json             config, notes, class counts, fidelity, rare-class
                             diagnostics, confusion matrices
    projection.csv           2-D PCA of real and synthetic rows of the rarest classes

>>> import tempfile, pandas as pd
>>> from iotforge.evaluation.evaluate import EvaluationResult
>>> r = EvaluationResult(results=pd.DataFrame(
...     [("none", "none", "rf", 0, "macro_f1", "", 0.5)], columns=COLUMNS))
>>> with tempfile.TemporaryDirectory() as d:
...     paths = write_results(r, d)
...     read_results([d]).results["value"].tolist()
[0.5]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from iotforge.curation.errors import InputError, UsageError
from iotforge.curation.schema import (
    TableMeta,
    atomic_text,
    read_meta,
    write_frame_atomic,
    write_table_atomic,
)

from .comparisons import COMPARISON_COLUMNS, compare
from .evaluate import EvaluationResult
from .predictions import Predictions
from .summary import COLUMNS, metrics_json, per_class_recall, run_label

__all__ = ["PathLike", "read_results", "write_results"]

PathLike = str | os.PathLike[str]


def _json(data: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return None if not np.isfinite(o) else float(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    return json.dumps(data, indent=2, default=default, allow_nan=False) + "\n"


def _clean(data: Any) -> Any:
    """NaN -> None everywhere (JSON has no NaN; DVC and browsers choke on it)."""
    if isinstance(data, dict):
        return {k: _clean(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_clean(v) for v in data]
    if isinstance(data, float | np.floating) and not np.isfinite(data):
        return None
    return data


def _csv(frame: pd.DataFrame, path: Path) -> None:
    atomic_text(path, frame.to_csv(index=False, float_format="%.6g"))


def write_results(result: EvaluationResult, out: PathLike) -> dict[str, Path]:
    """Write ``result`` into ``out`` (see the module docstring); return the paths."""
    out = Path(out)
    paths = {name: out / name for name in ("results.parquet", "predictions.parquet",
                                           "metrics.json", "comparison.csv", "details.json",
                                           "projection.csv")}
    paths["per_class_recall"] = out / "plots" / "per_class_recall.csv"
    paths["macro_f1"] = out / "plots" / "macro_f1.csv"
    meta = TableMeta(stage="evaluate", seed=(result.config.get("seeds") or [None])[0],
                     extra={"config": _clean(result.config)})
    write_frame_atomic(result.results[COLUMNS], paths["results.parquet"], meta)
    pred = result.predictions
    write_table_atomic(pred.to_arrow(), paths["predictions.parquet"],
                       TableMeta(stage="evaluate-predictions", extra={"labels": pred.labels}))
    atomic_text(paths["metrics.json"], _json(_clean(metrics_json(result.results))))
    comparisons = result.comparisons
    if comparisons.empty:
        comparisons = compare(result.results, pred,
                              exclude=result.config.get("detectors") or [],
                              seeds_vary=result.config.get("seeds_vary") or {},
                              n_boot=int(result.config.get("n_boot") or 1000))
    _csv(comparisons[COMPARISON_COLUMNS], paths["comparison.csv"])
    _csv(per_class_recall(result.results), paths["per_class_recall"])
    f1 = result.results[(result.results["metric"] == "macro_f1")
                        & (result.results["class"] == "")]
    plot = pd.DataFrame({"run": [run_label(a, b) for a, b in zip(f1["augmenter"], f1["arm"],
                                                                   strict=True)],
                         "classifier": f1["classifier"], "seed": f1["seed"],
                         "macro_f1": f1["value"]})
    _csv(plot, paths["macro_f1"])
    details = {"config": result.config, "notes": result.notes,
               "class_counts": result.class_counts, "fidelity": result.fidelity,
               "diagnostics": result.diagnostics, "confusion": result.confusion}
    atomic_text(paths["details.json"], _json(_clean(details)))
    _csv(result.projection, paths["projection.csv"])
    return paths


def read_results(dirs: Sequence[PathLike]) -> EvaluationResult:
    """Read and merge evaluations written by :func:`write_results`.

    Several directories (e.g. one per augmenter stage) merge into one result; their
    baselines must agree, so a run present in two directories is kept once, and they
    must have evaluated the same test rows.
    """
    if not dirs:
        raise UsageError("expected at least one results directory, found none")
    parts, merged = [], EvaluationResult(results=pd.DataFrame(columns=COLUMNS))
    projections, comparisons = [], []
    expanded: list[Path] = []
    for d in map(Path, dirs):
        # a parent of several evaluation directories (one per augmenter stage)
        subs = sorted(p.parent for p in d.glob("*/results.parquet"))
        expanded += subs if subs and not (d / "results.parquet").is_file() else [d]
    for d in expanded:
        path = d / "results.parquet"
        if not path.is_file():
            raise InputError("expected an evaluation directory with results.parquet, "
                             "found none", path=str(d), hint="run 'iotforge evaluate' first")
        if read_meta(path).stage != "evaluate":
            raise InputError("expected results written by 'iotforge evaluate'", path=str(path))
        parts.append(pd.read_parquet(path))
        details_path = d / "details.json"
        details = json.loads(details_path.read_text("utf-8")) if details_path.is_file() else {}
        _merge_details(merged, details)
        proj = d / "projection.csv"
        if proj.is_file() and proj.stat().st_size > 1:
            projections.append(pd.read_csv(proj, dtype={"class": str}))
        comp = d / "comparison.csv"
        if comp.is_file() and comp.stat().st_size > 1:
            comparisons.append(pd.read_csv(comp, dtype={"class": str, "augmenter": str,
                                                        "classifier": str}))
        pred = d / "predictions.parquet"
        if pred.is_file():
            labels = read_meta(pred).extra.get("labels") or []
            merged.predictions.merge(Predictions.from_arrow(pq.read_table(pred), labels),
                                     where=str(pred))
    results = pd.concat(parts, ignore_index=True)
    results["class"] = results["class"].fillna("").astype(str)
    merged.results = results.drop_duplicates(
        subset=["augmenter", "arm", "classifier", "seed", "metric", "class"]).reset_index(
        drop=True)
    if projections:
        merged.projection = pd.concat(projections, ignore_index=True).drop_duplicates()
    if comparisons:
        comp_all = pd.concat(comparisons, ignore_index=True)
        comp_all["class"] = comp_all["class"].fillna("").astype(str)
        merged.comparisons = comp_all.drop_duplicates(
            subset=["augmenter", "arm", "classifier", "metric", "class"]).reset_index(drop=True)
    return merged


def _merge_details(merged: EvaluationResult, details: dict[str, Any]) -> None:
    config = details.get("config") or {}
    for key, value in config.items():
        if isinstance(value, list) and isinstance(merged.config.get(key), list):
            merged.config[key] += [v for v in value if v not in merged.config[key]]
        elif isinstance(value, dict) and isinstance(merged.config.get(key), dict):
            merged.config[key] = {**value, **merged.config[key]}
        else:
            merged.config.setdefault(key, value)
    for name, diag in (details.get("diagnostics") or {}).items():
        merged.diagnostics.setdefault(name, diag)
    merged.notes += [n for n in details.get("notes") or [] if n not in merged.notes]
    for name, counts in (details.get("class_counts") or {}).items():
        merged.class_counts.setdefault(name, counts)
    for name, fid in (details.get("fidelity") or {}).items():
        merged.fidelity.setdefault(name, fid)
    seen = {(c["augmenter"], c["arm"], c["classifier"], c["seed"]) for c in merged.confusion}
    for c in details.get("confusion") or []:
        if (c["augmenter"], c["arm"], c["classifier"], c["seed"]) not in seen:
            merged.confusion.append(c)
