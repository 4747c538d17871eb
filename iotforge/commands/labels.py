"""Label audit: rows whose label is probably wrong (confident learning), or an abstention.

Out-of-fold class probabilities from K folds (whole groups per fold when the table is
a group split's side, contiguous time blocks when it is a time split's, stratified
folds with identical feature rows kept together otherwise; --fold-mode overrides),
then confident learning: per-class thresholds, the confident joint, the noise matrix,
and the rows pruned by noise rate, ranked by self-confidence or normalised margin.
Flags to a class the model cannot learn (no more of its rows confirmed than chance
explains; such a class keeps --min-class-rows of its own), between two classes it
confuses both ways beyond the background (an overlap, not wrong labels), or where the
suggested class does not lead the given one 2 to 1 are withheld and reported; when the
model is no better than the majority rule (--min-lift), nothing is flagged and the
report says why.

--policy keep (default) only reports; quarantine moves the flagged rows to
DIR/quarantine.parquet (rule label_issue); relabel sets their label to the suggested
one (label_raw keeps the capture's). Writes DIR/<TABLE's name>.parquet (the table after
the policy), DIR/quarantine.parquet, DIR/review.csv (flagged rows, most suspicious
first) and DIR/report.json (noise matrix, issues per class pair, out-of-fold quality,
accounting: rows_read = rows_out + rows_quarantined + rows_duplicate; with
--curate-report the curate accounting carried through).

The audit belongs on the training side: docs/labels.md says why.

examples:
  iotforge labels data/split/train.parquet --out data/labels
  iotforge labels data/split/train.parquet --out data/labels --policy quarantine
  iotforge labels data/curated/curated.parquet --out data/labels --policy relabel \\
      --curate-report data/curated/report.json --classifier gradient_boosting
  iotforge labels train.parquet --out data/labels --engine dask
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from iotforge.commands._common import add_engine_arguments, engine_from
from iotforge.commands.validate import add_input_arguments, load_input

if TYPE_CHECKING:
    from iotforge.curation.targets import Target  # noqa: F401  (named in a cast)

NAME = "labels"
HELP = "label audit: likely wrong labels by confident learning; keep, quarantine or relabel"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from iotforge.curation.labels import MAX_GIVEN_PROB, MIN_CLASS_ROWS, MIN_LIFT

    add_input_arguments(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--policy", choices=("keep", "quarantine", "relabel"), default="keep",
                   help="what happens to flagged rows (default keep: report only)")
    p.add_argument("--classifier", default="random_forest", metavar="NAME",
                   help="classifier of the evaluation registry (default random_forest)")
    p.add_argument("--folds", type=int, default=5, metavar="K", help="folds (default 5)")
    p.add_argument("--fold-mode", choices=("auto", "stratified", "group", "time"),
                   default="auto", help="auto: as the table's split (default)")
    p.add_argument("--by", metavar="COLUMN", help="group or time column for --fold-mode "
                   "group/time (default: the split's)")
    p.add_argument("--rank-by", choices=("self_confidence", "normalized_margin"),
                   default="self_confidence", help="order of the flagged rows")
    p.add_argument("--min-lift", type=float, default=MIN_LIFT, metavar="X",
                   help="abstain when out-of-fold accuracy lifts X or less of the way "
                        f"from the majority rate to 1 (default {MIN_LIFT:g})")
    p.add_argument("--max-given-prob", type=float, default=MAX_GIVEN_PROB, metavar="P",
                   help="flag a row only when its label's out-of-fold probability is below "
                        f"P (default {MAX_GIVEN_PROB:g}: no ceiling)")
    p.add_argument("--min-class-rows", type=int, default=MIN_CLASS_ROWS, metavar="N",
                   help="rows a class the model cannot learn keeps unflagged, its most "
                        f"self-confident (default {MIN_CLASS_ROWS})")
    p.add_argument("--target", choices=("label", "attack_family", "is_attack"),
                   default=None, help="classes to audit (default: the split's, else label)")
    p.add_argument("--curate-report", metavar="REPORT.json",
                   help="curate's report.json for a curated table: its accounting and "
                        "quarantine.parquet (next to it) carried through")
    p.add_argument("--seed", type=int, default=0, dest="random_state", metavar="N",
                   help="seed of the folds and the classifier (default 0)")
    add_engine_arguments(p)


def _folds(args: argparse.Namespace, frame: Any, meta: Any) -> tuple[Any, Any, dict]:
    """``groups``, ``time`` and what was chosen, from --fold-mode or the split metadata."""
    import numpy as np
    import pandas as pd

    from iotforge.curation.errors import UsageError
    from iotforge.curation.leakage.audit import feature_keys

    split = (meta.extra or {}).get("split") or {}
    mode = args.fold_mode
    by = args.by
    if mode == "auto":
        mode = split.get("mode") if split.get("mode") in ("group", "time") else "stratified"
        by = by or split.get("by")
    chosen: dict[str, Any] = {"requested": args.fold_mode, "split_mode": split.get("mode"),
                              "by": by if mode in ("group", "time") else None}
    if mode in ("group", "time"):
        if not by or by not in frame.columns:
            raise UsageError(f"expected --by to name a column for --fold-mode {mode}, "
                             f"found {by!r}")
        values = frame[by]
        if mode == "time":
            if pd.api.types.is_numeric_dtype(values):
                return None, values.to_numpy(dtype=float, na_value=np.nan), chosen
            t = pd.to_datetime(values, utc=True, errors="coerce")
            seconds = (t - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
            return None, seconds.to_numpy(dtype=float, na_value=np.nan), chosen
        chosen["groups"] = by
        return pd.factorize(values.astype(str))[0], None, chosen
    keys = feature_keys(frame, meta.feature_columns(frame.columns))
    codes = pd.factorize(keys)[0]
    repeated = len(np.unique(codes)) < len(codes)
    chosen["groups"] = "identical feature rows" if repeated else None
    return (codes if repeated else None), None, chosen


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from iotforge.curation.errors import UsageError
    from iotforge.curation.labels import LabelAudit, account, apply_policy
    from iotforge.curation.schema import (
        SOURCE_FILE,
        SOURCE_ROW,
        atomic_text,
        write_table_atomic,
    )
    from iotforge.curation.targets import target_values
    from iotforge.evaluation.classifiers import make_classifier
    from iotforge.evaluation.evaluate import feature_columns, prepare_features

    estimator = make_classifier(args.classifier, args.random_state)
    curate_report = _curate_report(args.curate_report)
    data = load_input(args)
    frame, meta = data.frame.reset_index(drop=True), data.meta
    target = args.target or (meta.extra or {}).get("target") or "label"
    if args.policy == "relabel" and target != "label":
        raise UsageError(f"expected --target label with --policy relabel, found {target!r}")
    if curate_report is not None and (meta.stage != "curate" or
                                      int(curate_report["total"]["rows_out"]) != len(frame)):
        raise UsageError(f"expected a curated table of the curate report's "
                         f"{curate_report['total']['rows_out']} rows, found a {meta.stage} "
                         f"table of {len(frame)}",
                         path=args.curate_report, hint="give the report of this table")
    if target not in ("label", "attack_family", "is_attack"):
        raise UsageError(f"expected a target in ('label', 'attack_family', 'is_attack'), "
                         f"found {target!r} in the table's metadata", hint="give --target")
    y = np.asarray(target_values(frame, cast("Target", target))).astype(str)
    numeric, categorical = feature_columns(meta.roles, list(frame.columns))
    X = prepare_features(frame, numeric, categorical)
    groups, time, chosen = _folds(args, frame, meta)
    with engine_from(args) as engine:
        client = None if engine == "local" else engine
        audit = LabelAudit(estimator, n_folds=args.folds, rank_by=args.rank_by,
                           min_lift=args.min_lift, max_given_prob=args.max_given_prob,
                           min_class_rows=args.min_class_rows, random_state=args.random_state,
                           client=client).fit(X, y, groups=groups, time=time)
    issues = audit.issues_
    reasons = [f"given label {g!r} has out-of-fold probability {p:.3f}; likely {s!r} "
               f"(rank {r} of {int(issues.is_issue.sum())})"
               for g, p, s, r in zip(issues.given, issues.given_prob, issues.suggested,
                                     issues.rank, strict=True)]
    result = apply_policy(frame, issues.is_issue, issues.suggested, args.policy,
                          reasons=reasons, target=target)
    out = Path(args.out)
    review = issues.table()
    for col in (SOURCE_FILE, SOURCE_ROW):
        if col in frame.columns:
            review.insert(0 if col == SOURCE_FILE else 1, col,
                          frame[col].to_numpy()[review["row"].to_numpy()])
    review = review.rename(columns={"given": "given_label", "suggested": "suggested_label",
                                    "p_given": "p_given_label"})
    name = Path(args.data[0]).name if len(args.data) == 1 and \
        args.data[0].endswith(".parquet") else "curated.parquet"
    from dataclasses import replace

    out_meta = replace(meta, extra={**(meta.extra or {}), "labels": {
        "policy": args.policy, "flagged": int(issues.is_issue.sum()),
        "abstained": issues.abstained, "seed": args.random_state}})
    schema = data.schema.remove_metadata()
    write_table_atomic(pa.Table.from_pandas(result.frame, schema=schema, preserve_index=False),
                       out / name, out_meta)
    quarantine = result.quarantine
    if curate_report is not None:
        earlier = Path(args.curate_report).with_name("quarantine.parquet")
        if earlier.is_file():
            import pyarrow.parquet as pq

            quarantine = pa.concat_tables([pq.read_table(earlier).cast(quarantine.schema),
                                           quarantine])
    _write_quarantine(quarantine, out / "quarantine.parquet")
    atomic_text(out / "review.csv", review.to_csv(index=False))
    report = {**issues.report, "target": target, "classifier": args.classifier,
              "folds": {**issues.report["folds"], **chosen}, "policy": args.policy,
              "accounting": account(result.counts, curate_report, len(frame)),
              "flagged_rows_by_rank": review.head(20).to_dict(orient="records")}
    atomic_text(out / "report.json", json.dumps(report, indent=2, default=_json) + "\n")
    _print(report, out, pd)
    return 0


def _json(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _curate_report(path: str | None) -> dict | None:
    from iotforge.curation.errors import UsageError

    if not path:
        return None
    try:
        report = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise UsageError("file not found", path=path) from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"expected curate's report.json, found invalid JSON ({exc.msg})",
                         path=path, line=exc.lineno) from None
    if not isinstance(report, dict) or "files" not in report or "total" not in report:
        raise UsageError("expected curate's report.json (with files and total), found "
                         "another JSON document", path=path)
    return report


def _write_quarantine(table: Any, path: Path) -> None:
    import os
    import tempfile

    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _print(report: dict, out: Path, pd: Any) -> None:
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 160)
    q = report["out_of_fold"]
    console.print(f"out-of-fold accuracy {q['accuracy']:.3f} (majority {q['majority_accuracy']:.3f}"
                  f", macro-F1 {q['macro_f1']:.3f}) with {report['classifier']}, "
                  f"{report['folds']['n_folds']} {report['folds']['mode']} folds")
    if report["abstain"]["abstained"]:
        console.print(f"[yellow]ABSTAIN[/] {report['abstain']['reason']}")
    else:
        console.print(f"{report['issues']} likely wrong labels "
                      f"(confident learning estimates {report['estimated_wrong_labels']:.0f}; "
                      f"{report['baseline_disagreements']} out-of-fold disagreements)")
        for pair in report["issues_per_pair"][:10]:
            console.print(f"  {pair['given']} -> {pair['suggested']}: {pair['rows']}")
        for pair in report["pairs"]:
            a, b = pair["classes"]
            held = [c - f for c, f in zip(pair["candidates"], pair["flagged"], strict=True)]
            if pair["verdict"] == "cannot tell":
                console.print(f"  cannot tell {a} from {b} (confused both ways: "
                              f"{pair['confident'][0]} and {pair['confident'][1]} rows): "
                              f"{sum(held)} flags withheld")
            elif pair["verdict"] == "one way":
                g, s = (a, b) if not pair["judged"][0] else (b, a)
                console.print(f"  {g} -> {s} not judged (the classes overlap; the other "
                              f"way is judged): {held[0] if g == a else held[1]} flags "
                              "withheld")
        for cls, why in report["not_judged"].items():
            console.print(f"  {cls} not judged: {why}")
    t = report["accounting"]["total"]
    console.print(f"policy {report['policy']}: {t['rows_read']} read, {t['rows_out']} out, "
                  f"{t['rows_quarantined']} quarantined, {t['rows_duplicate']} duplicates, "
                  f"{t['rows_relabelled']} relabelled -> {out}")
