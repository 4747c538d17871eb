"""Label audit against planted label noise, on every shared dataset.

Each dataset is curated and split as in ``bench_utility.py`` (time split where usable,
else stratified, 20 % test; the test labels are left clean). The training side is
capped at ``--max-train`` rows (a class-stratified sample that keeps small classes
whole; the table says when), then noise is planted in its labels:

``uniform5`` / ``uniform10``
    5 % / 10 % of the rows (exactly), each given another class drawn uniformly.
``rare_to_majority``
    20 % of the rarest attack class with at least 20 training rows given the majority
    class (attacks that look benign, labelled benign).
``majority_to_attack``
    5 % of the majority class given the largest other class (benign flows inside an
    attack's time window labelled as the attack: the error Engelen et al. found in
    CIC-IDS2017).

:class:`iotforge.curation.labels.LabelAudit` (random forest of the evaluation registry, 5
folds: stratified, or time blocks after a time split; no groups) audits the noisy labels. Reported
against the planted flips: precision and recall of the flagged rows; of plain confident
learning (``max_given_prob=1``); of the plain baseline, every row whose out-of-fold
prediction differs from its label; and the baseline's precision *at the audit's recall*
(the baseline's disagreements ranked by the out-of-fold probability of the predicted
class, most confident first, cut where they hold as many planted flips as the audit
found). The audit "beats" the baseline when its precision is higher at equal recall,
else "does not beat"; or it "abstains".

Downstream: a random forest trained on the clean labels, the noisy labels, the noisy
table without the flagged rows (``quarantine``) and with them relabelled (``relabel``),
scored on the clean test rows: macro-F1 and the recall of the scenario's class, with
95 % paired-bootstrap intervals against the noisy arm (:func:`iotforge.evaluation.bootstrap.
paired_bootstrap`, 1000 resamples of the test rows, one seed). ``recovered`` is
(policy - noisy) / (clean - noisy) of macro-F1, its interval from the same resamples.

Results go to ``benchmarks/_work/labels/<dataset>/<scenario>.json``; a second run skips
what is done. Prints Markdown. Run: ``python benchmarks/bench_labels.py [--datasets
cic_ids2017] [--scenarios uniform5] [--max-train 25000] [--report]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
SCENARIOS = ("uniform5", "uniform10", "rare_to_majority", "majority_to_attack")
CLASSIFIER = "random_forest"
N_BOOT = 1000


def _utility() -> Any:
    spec = importlib.util.spec_from_file_location("bench_utility",
                                                  ROOT / "benchmarks" / "bench_utility.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_utility"] = module
    spec.loader.exec_module(module)
    return module


def dataset_files(utility: Any) -> dict[str, list[Path]]:
    """bench_utility's datasets and the MQTTset captures (its folders name the classes)."""
    files = utility.dataset_files()
    mqtt = sorted(utility.datasets_dir().glob("mqttset_pcap/*/*.pcap*"))
    if mqtt:
        files["mqttset"] = mqtt
    return files


def majority_of(y: np.ndarray) -> str:
    values, counts = np.unique(y, return_counts=True)
    best = values[counts == counts.max()]
    return "normal" if "normal" in best else str(best[0])


def plant(y: np.ndarray, scenario: str, rng: np.random.Generator) -> tuple[np.ndarray,
                                                                           np.ndarray, str]:
    """Noisy labels, the mask of planted flips and what was done (``focus``: a class)."""
    noisy = y.copy()
    classes = np.unique(y)
    counts = pd.Series(y).value_counts()
    major = majority_of(y)
    if scenario.startswith("uniform"):
        share = int(scenario.removeprefix("uniform")) / 100
        rows = rng.choice(len(y), int(round(share * len(y))), replace=False)
        for i in rows:
            noisy[i] = rng.choice(classes[classes != y[i]])
        what, focus = f"{share:.0%} of rows to a uniform other class", ""
    elif scenario == "rare_to_majority":
        rare = [c for c in counts.index[::-1] if c != major and counts[c] >= 20]
        if not rare:
            raise ValueError("no attack class with 20 training rows")
        focus = str(rare[0])
        pool = np.flatnonzero(y == focus)
        rows = rng.choice(pool, int(round(0.2 * len(pool))), replace=False)
        noisy[rows] = major
        what = f"20% of {focus} ({len(pool)} rows) to {major}"
    else:
        others = [c for c in counts.index if c != major]
        focus = str(others[0])
        pool = np.flatnonzero(y == major)
        rows = rng.choice(pool, int(round(0.05 * len(pool))), replace=False)
        noisy[rows] = focus
        what = f"5% of {major} ({len(pool)} rows) to {focus}"
    mask = noisy != y
    return noisy, mask, what + (f" [focus {focus}]" if focus else "")


def pr(flagged: np.ndarray, planted: np.ndarray) -> dict[str, Any]:
    tp = int((flagged & planted).sum())
    return {"flagged": int(flagged.sum()), "found": tp,
            "precision": tp / flagged.sum() if flagged.any() else float("nan"),
            "recall": tp / planted.sum() if planted.any() else float("nan")}


def baseline_at(found: int, audit: Any, planted: np.ndarray) -> float:
    """Precision of the baseline's most confident disagreements holding ``found`` flips."""
    issues = audit.issues_
    idx = np.flatnonzero(issues.disagrees)
    conf = audit.probs_[idx].max(axis=1)
    idx = idx[np.lexsort((idx, -conf))]
    hits = np.cumsum(planted[idx])
    if found == 0 or hits.size == 0 or hits[-1] < found:
        return float("nan")
    cut = int(np.searchsorted(hits, found)) + 1
    return found / cut


TIE = 0.01
"""Precisions closer than this are a tie (both at 1.00 on separable data, say)."""


def verdict_of(abstained: bool, found: dict[str, Any], at: float, withheld: int = 0) -> str:
    """abstains, beats, ties or does not beat the baseline's precision at equal recall.

    An audit that flags nothing because every row it would flag lies in a class or a
    pair it cannot judge abstains too ("abstains (cannot tell)")."""
    if abstained:
        return "abstains"
    if not found["flagged"] and withheld:
        return "abstains (cannot tell)"
    if not found["found"]:
        return "does not beat (finds none)"
    if abs(found["precision"] - at) < TIE:
        return "ties"
    return "beats" if found["precision"] > at else "does not beat"


def downstream(data: Any, X: pd.DataFrame, y: np.ndarray, noisy: np.ndarray,
               issues: Any, focus: str, seed: int) -> dict[str, Any]:
    from iotforge.curation.bootstrap import paired_bootstrap
    from iotforge.evaluation.classifiers import make_classifier
    from iotforge.evaluation.diagnostics import rare_classes
    from iotforge.evaluation.evaluate import prepare_features

    X_test = prepare_features(data.test, data.numeric, data.categorical)
    y_test = data.test["label"].astype(str).to_numpy()
    keep = ~issues.is_issue
    arms = {"clean": (X, y), "noisy": (X, noisy),
            "quarantine": (X[keep].reset_index(drop=True), noisy[keep]),
            "relabel": (X, np.where(issues.is_issue, issues.suggested, noisy))}
    labels = sorted(set(y) | set(y_test) | set(noisy))
    code = {c: i for i, c in enumerate(labels)}
    preds: dict[str, np.ndarray] = {}
    for name, (Xa, ya) in arms.items():
        if name != "noisy" and name != "clean" and not issues.is_issue.any():
            preds[name] = preds["noisy"]
            continue
        model = make_classifier(CLASSIFIER, seed).fit(Xa, ya)
        preds[name] = np.array([code[c] for c in model.predict(X_test)])
    y_codes = np.array([code[c] for c in y_test])
    rare = rare_classes(pd.Series(y).value_counts().to_dict(), set(y_test))
    tested = [c for c in rare if (y_test == c).sum() >= 10]  # MIN_CLASS_ROWS: an interval
    watch = [focus] if focus and focus in set(y_test) else (tested or rare)[:1]
    treated = ["clean", "quarantine", "relabel"]
    result = paired_bootstrap(y_codes, np.stack([preds["noisy"][None]] * 3),
                              np.stack([preds[a][None] for a in treated]),
                              n_labels=len(labels), classes=[code[c] for c in watch],
                              n_boot=N_BOOT, random_state=seed)
    out: dict[str, Any] = {"watch": watch, "arms": {}}
    f1 = result.metrics.index("macro_f1")
    loss = result.draws[:, 0, f1]
    for i, arm in enumerate(treated):
        s = result.summary("macro_f1", i)
        entry = {"macro_f1": s.treated, "noisy_macro_f1": s.baseline, "diff": s.diff,
                 "ci": [s.ci_low, s.ci_high], "verdict": s.verdict}
        for c in watch:
            r = result.summary(f"recall:{code[c]}", i)
            entry[f"recall:{c}"] = {"value": r.treated, "noisy": r.baseline, "diff": r.diff,
                                    "ci": [r.ci_low, r.ci_high], "verdict": r.verdict}
        if arm != "clean":
            lost = result.summary("macro_f1", 0).diff
            gain = result.draws[:, i, f1]
            ok = np.abs(loss) > 1e-12
            ratio = gain[ok] / loss[ok]
            entry["recovered"] = s.diff / lost if abs(lost) > 1e-12 else float("nan")
            entry["recovered_ci"] = ([float(v) for v in np.quantile(ratio, [0.025, 0.975])]
                                     if ok.sum() > 10 else None)
        out["arms"][arm] = entry
    return out


def run_one(name: str, data: Any, scenario: str, max_train: int, seed: int) -> dict[str, Any]:
    from iotforge.curation.labels import LabelAudit
    from iotforge.evaluation.classifiers import make_classifier
    from iotforge.evaluation.evaluate import prepare_features

    utility = sys.modules["bench_utility"]
    train = data.train
    sampled = len(train) > max_train
    if sampled:
        rows = utility.capped_rows(train["label"].astype(str).to_numpy(), max_train, seed)
        train = train.iloc[rows].reset_index(drop=True)
    y = train["label"].astype(str).to_numpy()
    rng = np.random.default_rng(seed)
    noisy, planted, what = plant(y, scenario, rng)
    focus = what.partition("[focus ")[2].rstrip("]")
    X = prepare_features(train, data.numeric, data.categorical)
    time_arg = None
    if data.split == "time":
        t = [c for c in train.columns if pd.api.types.is_datetime64_any_dtype(train[c])]
        if t:
            time_arg = (train[t[0]] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    started = time.process_time()
    audit = LabelAudit(make_classifier(CLASSIFIER, seed), random_state=seed).fit(
        X, noisy, time=time_arg)
    audit_s = time.process_time() - started
    issues = audit.issues_
    found = pr(issues.is_issue, planted)
    plain = pr(audit.pruned_ if not audit.abstained_ else issues.is_issue, planted)
    base = pr(issues.disagrees, planted)
    at = baseline_at(found["found"], audit, planted)
    withheld = int(issues.withheld.sum())
    verdict = verdict_of(audit.abstained_, found, at, withheld)
    out = {"dataset": name, "scenario": scenario, "what": what, "rows": len(train),
           "sampled_from": len(data.train) if sampled else None, "split": data.split,
           "folds": audit.fold_mode_, "planted": int(planted.sum()), "audit": found,
           "plain_cl": plain, "baseline": base, "baseline_precision_at_recall": at,
           "verdict": verdict, "quality": audit.quality_,
           "abstain": issues.report["abstain"], "audit_cpu_s": audit_s,
           "withheld": withheld, "withheld_planted": int((issues.withheld & planted).sum()),
           "pairs": issues.report["pairs"], "not_judged": issues.report["not_judged"]}
    started = time.process_time()
    out["downstream"] = downstream(data, X, y, noisy, issues, focus, seed)
    out["downstream_cpu_s"] = time.process_time() - started
    return out


def fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    return f"{x:.{digits}f}"


def report(work: Path, names: Sequence[str]) -> str:
    lines = ["| dataset | scenario | rows (of) | planted | audit P / R | plain CL P / R | "
             "baseline P / R | verdict vs baseline | baseline ranked: P at audit's R | "
             "verdict vs ranked | OOF acc (lift) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    down = ["| dataset | scenario | clean | noisy | quarantine (95 % CI vs noisy) | "
            "relabel (95 % CI vs noisy) | recovered: quarantine / relabel | class: noisy → "
            "quarantine / relabel (clean) |", "|---|---|---|---|---|---|---|---|"]
    for name in names:
        for sc in SCENARIOS:
            path = work / name / f"{sc}.json"
            if not path.is_file():
                continue
            r = json.loads(path.read_text())
            if "error" in r:
                lines.append(f"| {name} | {sc} | – | – | not run: {r['error']} |||||| ")
                continue
            a, p, b, q = r["audit"], r["plain_cl"], r["baseline"], r["quality"]
            r["verdict"] = verdict_of(r["abstain"]["abstained"], a,
                                      r["baseline_precision_at_recall"], r.get("withheld", 0))
            plain_v = verdict_of(r["abstain"]["abstained"], a, b["precision"],
                                 r.get("withheld", 0))
            of = f" ({r['sampled_from']})" if r["sampled_from"] else ""
            lines.append(
                f"| {name} | {sc} | {r['rows']}{of} | {r['planted']} | "
                f"{fmt(a['precision'])} / {fmt(a['recall'])} | {fmt(p['precision'])} / "
                f"{fmt(p['recall'])} | {fmt(b['precision'])} / {fmt(b['recall'])} | "
                f"{plain_v} | {fmt(r['baseline_precision_at_recall'])} | {r['verdict']} | "
                f"{fmt(q['accuracy'])} ({fmt(q['lift_over_majority'])}) |")
            d = r["downstream"]["arms"]
            watch = r["downstream"]["watch"]

            def arm(a: dict) -> str:
                return f"{fmt(a['macro_f1'], 3)} [{fmt(a['ci'][0], 3)}, {fmt(a['ci'][1], 3)}]"

            def rec(a: dict) -> str:
                ci = a.get("recovered_ci")
                return fmt(a.get("recovered")) + (f" [{fmt(ci[0])}, {fmt(ci[1])}]" if ci
                                                  else "")

            cls = ""
            if watch:
                c = watch[0]
                cls = (f"{c}: {fmt(d['quarantine'][f'recall:{c}']['noisy'])} → "
                       f"{fmt(d['quarantine'][f'recall:{c}']['value'])} / "
                       f"{fmt(d['relabel'][f'recall:{c}']['value'])} "
                       f"({fmt(d['clean'][f'recall:{c}']['value'])})")
            down.append(f"| {name} | {sc} | {fmt(d['clean']['macro_f1'], 3)} | "
                        f"{fmt(d['clean']['noisy_macro_f1'], 3)} | {arm(d['quarantine'])} | "
                        f"{arm(d['relabel'])} | {rec(d['quarantine'])} / {rec(d['relabel'])} "
                        f"| {cls} |")
    return "\n".join(["### Flags against the planted flips", "", *lines, "",
                      "### Downstream: macro-F1 on the clean test labels", "", *down, ""])


def verdicts(root: Path, names: Sequence[str], seeds: Sequence[int]) -> str:
    """One row per dataset and scenario: the verdict of each seed's run against the plain
    baseline and the ranked one (one word when they agree), the audit's precision /
    recall and the two baselines' precision at that recall."""
    head = " | ".join(f"seed {s}" for s in seeds)
    lines = [f"| dataset | scenario | {head} |", "|---|---|" + "---|" * len(seeds)]
    for name in names:
        for sc in SCENARIOS:
            cells = []
            for s in seeds:
                path = root / f"seed{s}" / name / f"{sc}.json"
                if not path.is_file():
                    cells.append("–")
                    continue
                r = json.loads(path.read_text())
                if "error" in r:
                    cells.append("not run")
                    continue
                a = r["audit"]
                v = verdict_of(r["abstain"]["abstained"], a, r["baseline_precision_at_recall"],
                               r.get("withheld", 0))
                pv = verdict_of(r["abstain"]["abstained"], a, r["baseline"]["precision"],
                                r.get("withheld", 0))
                pr_ = (f" ({fmt(a['precision'])} / {fmt(a['recall'])} vs "
                       f"{fmt(r['baseline']['precision'])} / "
                       f"{fmt(r['baseline_precision_at_recall'])})" if a["flagged"] else "")
                cells.append(v if v == pv else f"{pv} / {v}")
                cells[-1] += pr_
            lines.append(f"| {name} | {sc} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", help="comma-separated names (default: all present)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--max-train", type=int, default=25000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", help="with --report: comma-separated seeds for the table of "
                   "verdicts per seed")
    p.add_argument("--report", action="store_true", help="print the saved results only")
    p.add_argument("--work", default=str(WORK))
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    utility = _utility()
    work = Path(args.work) / "labels" / f"seed{args.seed}"
    files = dataset_files(utility)
    names = args.datasets.split(",") if args.datasets else list(files)
    if not args.report:
        for name in names:
            data = None
            for sc in args.scenarios.split(","):
                out = work / name / f"{sc}.json"
                if out.is_file():
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                try:
                    if data is None:
                        data = utility.prepare(name, files[name], Path(args.work) / "utility")
                    result = run_one(name, data, sc, args.max_train, args.seed)
                except Exception as exc:  # one dataset's failure is a row of the table
                    result = {"error": f"{type(exc).__name__}: {exc}"}
                out.write_text(json.dumps(result, indent=1, default=str) + "\n")
                print(f"{name} {sc}: {result.get('verdict', result.get('error'))}",
                      file=sys.stderr, flush=True)
    if args.report and args.seeds:
        print(verdicts(work.parent, names, [int(x) for x in args.seeds.split(",")]))
        return 0
    print(report(work, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
