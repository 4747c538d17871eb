"""Augmentation utility: does each augmenter, and ``auto``, help a classifier on real data?

Every shared dataset is curated by iotforge and split once; a random forest (the
evaluation's ``random_forest``: 100 trees) is trained without augmentation and with each
augmenter's synthetic rows, and scored on the same real test rows.
:func:`iotforge.evaluation.evaluate` runs every arm (the augmenter's seed derived from the
replicate seed, as ``iotforge evaluate --augment`` does) and compares it with no
augmentation by the paired bootstrap over test rows and seeds
(:mod:`iotforge.evaluation.comparisons`): macro-F1 and the recall of each rare class
(:func:`iotforge.evaluation.diagnostics.rare_classes`), with 95 % intervals and verdicts.

Datasets (``$IOTFORGE_DATASETS`` or ``../shared/datasets``): each TON_IoT device file,
the CIC-IDS2017 sample (its 16 files), the IoT-23 logs (the three ``conn.log.labeled``
together: alone, the honeypot capture has one class and 42-1 six attack flows), and
MQTTset (its pcaps). Target: the canonical ``label`` (TON_IoT ``type``, CIC ``Label``,
IoT-23 detailed label, MQTTset's folder).

Split: MQTTset has official train and test captures: its predefined split
(:data:`OFFICIAL_TEST`), the held-out check. The others have none. A time
split (:func:`iotforge.curation.leakage.split`, ``mode="time"``) is used where the split module
accepts it *and* every class with at least 20 rows has training rows and at least
:data:`iotforge.curation.bootstrap.MIN_CLASS_ROWS` test rows; otherwise a stratified split (20 %
test, seed 0), and the table says why. A dataset whose training side has fewer distinct
feature rows than classes cannot show any effect of augmentation: only ``none`` runs.

Arms: ``none``; the twelve registry augmenters at ``--strategy`` (default ``power:0.5``,
the pipeline's one default; ``''``: each class's own default, every class raised to the
largest, as the first round ran); CTGAN and CopulaGAN also with ``per_class=True``
(TVAE and the Gaussian copula are always one model per class); ``auto``
(:class:`iotforge.augment.AutoAugmenter` with its default candidates, the split's groups,
``--auto-time-limit`` seconds per fit, fitted on the training split only). Generators
train on at most ``--gen-cap`` rows (a class-stratified sample
that keeps small classes whole) and draw as many rows as their default strategy asks
for on the whole training split; the classifier always trains on every training row.
Seeds: ``--seeds`` for none and auto, ``--resampler-seeds`` for the SMOTE family, hybrids
and random over-sampler, ``--gen-seeds`` for the generators, ``--svm-seeds`` for
SVM-SMOTE (minutes per fit). Arms run by tier over all datasets (none and auto first,
SVM-SMOTE last), so a stopped run holds the core comparison.

The report ends with issue 18's acceptance (:func:`acceptance`): wherever a fixed
augmenter helped macro-F1 beyond its interval, did ``auto`` help with at least half the
best fixed gain (target: two thirds of those datasets), and did it never hurt?

Results go to ``benchmarks/_work/utility/<dataset>/<arm>/`` as each arm finishes
(:func:`iotforge.evaluation.store.write_results`, plus ``run.json``); a second run skips what is
done, and two runs on one directory share the arms (a lock file per arm). Prints a
Markdown report; ``--report`` prints it from the saved results only.

Run: ``python benchmarks/bench_utility.py [--datasets ton_thermostat,cic_ids2017] [--arms
auto,smote] [--seeds 5] [--resampler-seeds 3] [--gen-seeds 2] [--strategy power:0.5]
[--auto-time-limit 600] [--work DIR] [--quick] [--report]``; one dataset at a time with
``--datasets NAME`` (results accumulate in the work directory; ``--report`` with every
name prints the whole protocol's tables).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CLASSIFIER = "random_forest"
GENERATIVE = ("ctgan", "tvae", "gaussian_copula", "copulagan")
PER_CLASS = ("ctgan", "copulagan")  # the two with a conditional model and per_class
EPOCHS = {"ctgan": 20, "copulagan": 20, "tvae": 20}
TEST_SIZE = 0.2


# -- datasets ----------------------------------------------------------------------------
def datasets_dir() -> Path:
    return Path(os.environ.get("IOTFORGE_DATASETS", ROOT.parent / "shared" / "datasets"))


def dataset_files() -> dict[str, list[Path]]:
    """Dataset name -> its capture files, for every shared dataset present."""
    root = datasets_dir()
    out: dict[str, list[Path]] = {}
    for f in sorted((root / "ton_iot_telemetry").glob("*.csv")):
        out["ton_" + f.stem.removeprefix("Train_Test_IoT_").lower()] = [f]
    cic = sorted((root / "cicids2017_improved_sample").glob("*.csv"))
    if cic:
        out["cic_ids2017"] = cic
    iot23 = sorted((root / "iot23").glob("*/conn.log.labeled"))
    if iot23:
        out["iot23"] = iot23
    mqtt = sorted((root / "mqttset_pcap").glob("*/*.pcap*"))
    if mqtt:
        out["mqttset"] = mqtt  # official train and test captures: a predefined split
    return out


OFFICIAL_TEST = {"mqttset": "*-test.pcap*"}
"""Datasets with official test files: their predefined split, the held-out check."""


@dataclass
class Prepared:
    """One dataset's split and how it was chosen."""

    train: pd.DataFrame
    test: pd.DataFrame
    numeric: list[str]
    categorical: list[str]
    split: str  # "predefined", "time" or "stratified"
    why: str
    groups: Any = None  # auto's inner-CV groups, the split's own (split_groups)

    def facts(self) -> dict[str, Any]:
        """What the report says about the split: sizes, distinct feature rows, and why
        augmentation cannot be measured when there are fewer of them than classes."""
        cols = [*self.numeric, *self.categorical]
        distinct = [len(f[cols].drop_duplicates()) for f in (self.train, self.test)]
        classes = int(self.train["label"].nunique())
        blocked = (f"{distinct[0]} distinct feature row(s) in train for {classes} classes"
                   if distinct[0] < classes else "")
        return {"split": self.split, "why": self.why, "n_train": len(self.train),
                "n_test": len(self.test), "distinct_train": distinct[0],
                "distinct_test": distinct[1], "classes": classes, "not_measurable": blocked}


def prepare(name: str, files: Sequence[Path], work: Path) -> Prepared:
    """Curate ``files`` (cached in ``work``) and split: time where usable, else stratified."""
    from iotforge.augment import split_groups
    from iotforge.curation.curate import curate
    from iotforge.curation.errors import IotforgeError
    from iotforge.curation.leakage.split import split
    from iotforge.curation.schema import read_meta
    from iotforge.evaluation.evaluate import feature_columns

    out = work / "curated" / name
    if not (out / "curated.parquet").is_file():
        curate([str(f) for f in files], out)
    df = pd.read_parquet(out / "curated.parquet")
    meta = read_meta(out / "curated.parquet")
    if name in OFFICIAL_TEST:
        chosen = split(df, meta, mode="predefined", test_files=OFFICIAL_TEST[name])
        numeric, categorical = feature_columns(meta.roles, list(chosen.train.columns))
        removed = chosen.report["train_rows_removed_as_test_duplicates"]["rows"]
        return Prepared(chosen.train, chosen.test, numeric, categorical, "predefined",
                        f"official test files {OFFICIAL_TEST[name]}; {removed} training "
                        "rows identical to a test row removed",
                        split_groups(chosen.train, chosen.meta_for("train", meta)))
    why = "no official test files"
    try:
        timed = split(df, meta, mode="time", test_size=TEST_SIZE)
        problem = time_split_problem(timed.report)
    except IotforgeError as exc:
        timed, problem = None, f"time split refused: {exc.message}"
    if timed is not None and not problem:
        chosen, mode = timed, "time"
    else:
        chosen, mode = split(df, meta, mode="stratified", test_size=TEST_SIZE), "stratified"
        why += f"; {problem}"
    numeric, categorical = feature_columns(meta.roles, list(chosen.train.columns))
    return Prepared(chosen.train, chosen.test, numeric, categorical, mode, why,
                    split_groups(chosen.train, chosen.meta_for("train", meta)))


def time_split_problem(report: dict[str, Any]) -> str:
    """Why a time split cannot answer the question (empty when it can)."""
    from iotforge.curation.bootstrap import MIN_CLASS_ROWS

    classes = {c: n for c, n in report["classes"].items()
               if n["train"] + n["test"] >= 2 * MIN_CLASS_ROWS}  # too small to test anyway
    test_only = sorted(c for c, n in classes.items() if not n["train"])
    untested = sorted(c for c, n in classes.items() if n["train"] and n["test"] < MIN_CLASS_ROWS)
    parts = []
    if test_only:
        parts.append(f"only in test: {', '.join(test_only)}")
    if untested:
        parts.append(f"fewer than {MIN_CLASS_ROWS} test rows: {', '.join(untested)}")
    return ("time split unusable, " + "; ".join(parts)) if parts else ""


# -- arms --------------------------------------------------------------------------------
class CappedGenerator:
    """Fit a generative augmenter on a class-stratified sample of at most ``cap`` rows;
    draw the rows its strategy asks for on the whole training table and append them.

    Classes are kept whole from the smallest up while they fit their share of the cap.
    ``synthetic_mask_`` marks the appended rows, as every iotforge augmenter does.
    """

    def __init__(self, sampler: Any, cap: int, seed: int) -> None:
        self.sampler, self.cap, self.seed = sampler, cap, seed

    def fit_resample(self, X: pd.DataFrame, y: Any) -> tuple[pd.DataFrame, np.ndarray]:
        from iotforge.augment import resolve_sampling_strategy
        from sklearn.base import clone

        y = np.asarray(y)
        add = resolve_sampling_strategy(self.sampler.sampling_strategy, y)
        rows = capped_rows(y, self.cap, self.seed)
        values, counts = np.unique(y[rows], return_counts=True)
        target = {c: int(n) + int(add.get(c, 0)) for c, n in zip(values, counts, strict=True)}
        self.fitted_ = clone(self.sampler).set_params(sampling_strategy=target)
        X_res, y_res = self.fitted_.fit_resample(X.iloc[rows], y[rows])
        mask = np.asarray(self.fitted_.synthetic_mask_, dtype=bool)
        X_syn = pd.DataFrame(X_res)[mask].reset_index(drop=True)
        self.synthetic_mask_ = np.r_[np.zeros(len(X), bool), np.ones(len(X_syn), bool)]
        return (pd.concat([X.reset_index(drop=True), X_syn], ignore_index=True),
                np.concatenate([y, np.asarray(y_res)[mask]]))


def capped_rows(y: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """Row positions of a class-stratified sample of at most ``cap`` rows (sorted).

    >>> y = np.array(["a"] * 90 + ["b"] * 8 + ["c"] * 2)
    >>> pd.Series(y[capped_rows(y, 30, 0)]).value_counts().to_dict()
    {'a': 20, 'b': 8, 'c': 2}
    """
    rng = np.random.default_rng(seed)
    values, counts = np.unique(y, return_counts=True)
    left, keep = cap, []
    for i, k in enumerate(np.argsort(counts, kind="stable")):
        share = left // (len(values) - i)
        where = np.flatnonzero(y == values[k])
        take = where if len(where) <= share else rng.choice(where, share, replace=False)
        keep.append(take)
        left -= len(take)
    return np.sort(np.concatenate(keep))


@dataclass(frozen=True)
class Arm:
    name: str
    tier: int  # run order: every dataset's tier 1 first, so a stopped run has the core
    seeds: str  # the settings key of its number of seeds
    make: Callable[[int, dict[str, Any]], Any]  # (seed, settings) -> sampler


def _registry_arm(method: str, **params: Any) -> Callable[[int, dict[str, Any]], Any]:
    def make(seed: int, settings: dict[str, Any]) -> Any:
        from iotforge.augment import get_augmenter

        kwargs = dict(params)
        if settings.get("strategy"):
            kwargs["sampling_strategy"] = settings["strategy"]
        if method in EPOCHS:
            kwargs["epochs"] = settings["epochs"]
        sampler = get_augmenter(method)(random_state=seed, **kwargs)
        if method in GENERATIVE:
            return CappedGenerator(sampler, settings["gen_cap"], seed)
        return sampler
    return make


def _auto(seed: int, settings: dict[str, Any]) -> Any:
    from iotforge.augment import AutoAugmenter

    return AutoAugmenter(random_state=seed, groups=settings.get("_groups"),
                         time_limit=settings["auto_time_limit"])


def arms() -> list[Arm]:
    from iotforge.augment import method_names

    out = [Arm("none", 1, "seeds", lambda s, k: None), Arm("auto", 1, "seeds", _auto)]
    for method in method_names():
        if method == "svm_smote":  # its SVC costs minutes per fit on 20k+ rows: last
            out.append(Arm(method, 4, "svm_seeds", _registry_arm(method)))
        elif method in GENERATIVE:
            out.append(Arm(method, 3, "gen_seeds", _registry_arm(method)))
        else:
            out.append(Arm(method, 2, "resampler_seeds", _registry_arm(method)))
        if method in PER_CLASS:
            out.append(Arm(f"{method}+per_class", 3, "gen_seeds",
                           _registry_arm(method, per_class=True)))
    return out


# -- running -----------------------------------------------------------------------------
def log(message: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {message}", flush=True)


def run_arm(arm: Arm, data: Prepared, out: Path, seeds: list[int],
            settings: dict[str, Any]) -> None:
    """Evaluate one arm on one dataset and write it to ``out`` (``run.json`` last)."""
    from iotforge.evaluation.evaluate import evaluate
    from iotforge.evaluation.store import read_results, write_results
    from threadpoolctl import threadpool_limits

    made: list[Any] = []

    def factory(seed: int) -> Any:
        made.append(arm.make(seed, settings))
        return made[-1]

    settings = {**settings, "_groups": data.groups}
    common = {"numeric": data.numeric, "categorical": data.categorical,
              "classifiers": [CLASSIFIER], "seeds": seeds, "rules": False,
              "n_boot": settings["n_boot"]}
    start = time.perf_counter()
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if arm.name == "none":
            result = evaluate(data.train, data.test, arms=["none"], **common)
        else:
            baseline = read_results([out.parent / "none"])
            result = evaluate(data.train, data.test, augmenters={arm.name: factory},
                              arms=["none", "real+synthetic"], baseline=baseline, **common)
    seconds = time.perf_counter() - start
    write_results(result, out)
    chosen = [str(s.choice_) for s in made if hasattr(s, "choice_")]
    reasons = [str(s.reason_) for s in made if hasattr(s, "reason_")]
    selection = [{k: s.selection_.get(k) for k in ("fold_scheme", "fold_scheme_reason",
                                                   "repeats", "stop", "not_validated")}
                 for s in made if hasattr(s, "selection_")]
    run = {"dataset": out.parent.name, "arm": arm.name, "seeds": seeds,
           "seconds": round(seconds, 1), "split": data.split, "split_why": data.why,
           "n_train": len(data.train), "n_test": len(data.test), "auto_chose": chosen,
           "auto_reasons": reasons, "auto_selection": selection,
           "settings": {k: v for k, v in settings.items() if not k.startswith("_")},
           "date": dt.date.today().isoformat()}
    (out / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    log(f"{out.parent.name} {arm.name}: {seconds:.0f} s" + (f", auto chose {chosen}"
                                                            if chosen else ""))


def run_all(names: list[str], wanted: list[Arm], work: Path, settings: dict[str, Any],
            files: dict[str, list[Path]]) -> None:
    prepared: dict[str, Prepared] = {}
    facts: dict[str, dict[str, Any]] = {}
    todo = [(arm, name) for arm in sorted(wanted, key=lambda a: a.tier) for name in names]
    for arm, name in todo:
        out = work / name / arm.name
        if (out / "run.json").is_file():
            continue
        if arm.name != "none" and not (work / name / "none" / "run.json").is_file():
            log(f"{name} {arm.name}: skipped, run the none arm first")
            continue
        if name not in prepared:
            prepared[name] = prepare(name, files[name], work)
            facts[name] = prepared[name].facts()
            (work / name).mkdir(parents=True, exist_ok=True)
            (work / name / "dataset.json").write_text(json.dumps(facts[name], indent=2) + "\n")
            log(f"{name}: {json.dumps(facts[name])}")
        if arm.name != "none" and facts[name]["not_measurable"]:
            log(f"{name} {arm.name}: skipped, {facts[name]['not_measurable']}")
            continue
        if not claim(out):
            log(f"{name} {arm.name}: skipped, another process is running it")
            continue
        try:
            n = settings[arm.seeds]
            log(f"{name} {arm.name}: {n} seeds ...")
            run_arm(arm, prepared[name], out, list(range(n)), settings)
        finally:
            (out / ".lock").unlink(missing_ok=True)


def claim(out: Path) -> bool:
    """Take ``out/.lock`` for this process, so that two runs on one work directory
    split the arms instead of repeating them; a lock of a dead process is taken over."""
    out.mkdir(parents=True, exist_ok=True)
    lock = out / ".lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                os.kill(int(lock.read_text() or 0), 0)
                return False  # alive (or not ours to signal): leave it
            except ProcessLookupError:
                lock.unlink(missing_ok=True)
            except (ValueError, PermissionError, FileNotFoundError):
                return False
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return True
    return False


# -- report ------------------------------------------------------------------------------
def _signed(x: float, digits: int = 3) -> str:
    return "n/a" if x != x else f"{x:+.{digits}f}".replace("-", "−")


def _delta(row: Any) -> str:
    """Difference and interval, with decimals enough that an interval clear of zero
    (a verdict) does not print as ``[+0.000, +0.000]``.

    >>> _delta({"diff": 0.0001, "ci_low": 0.00004, "ci_high": 0.0002})
    '+0.00010 [+0.00004, +0.00020]'
    """
    lo, hi = row["ci_low"], row["ci_high"]
    near = min(abs(lo), abs(hi)) if lo > 0 or hi < 0 else 1.0
    digits = 3
    while digits < 6 and round(near, digits) == 0:
        digits += 1
    return (f"{_signed(row['diff'], digits)} [{_signed(lo, digits)}, "
            f"{_signed(hi, digits)}]")


def load(work: Path, name: str, arm: str) -> dict[str, Any] | None:
    """One finished arm: run.json, details.json and the random forest's comparisons."""
    d = work / name / arm
    if not (d / "run.json").is_file():
        return None
    out = {"run": json.loads((d / "run.json").read_text()),
           "details": json.loads((d / "details.json").read_text())}
    comp = pd.read_csv(d / "comparison.csv", dtype={"class": str}, keep_default_na=False,
                       na_values=[""])
    comp["class"] = comp["class"].fillna("")
    out["comp"] = comp[(comp["classifier"] == CLASSIFIER) & (comp["arm"] == "real+synthetic")]
    return out


def _none_f1(done: dict[str, Any]) -> float:
    res = pd.read_parquet(Path(done["path"]) / "results.parquet")
    f1 = res[(res["arm"] == "none") & (res["metric"] == "macro_f1")]["value"]
    return float(f1.mean())


def dataset_facts(work: Path, name: str) -> dict[str, Any]:
    """``dataset.json`` of ``name``, written on first need (the split is cheap)."""
    path = work / name / "dataset.json"
    if not path.is_file():
        facts = prepare(name, dataset_files()[name], work).facts()
        path.write_text(json.dumps(facts, indent=2) + "\n")
    return dict(json.loads(path.read_text()))


def report(work: Path, names: Sequence[str], arm_names: Sequence[str]) -> str:
    """The Markdown tables of every finished (dataset, arm) under ``work``."""
    from iotforge.curation.bootstrap import MIN_CLASS_ROWS

    lines = ["| dataset | split | train / test rows | distinct feature rows train / test | "
             "rare classes (train / test rows) | macro-F1 none |", "|---|---|---:|---:|---|---:|"]
    main = ["| dataset | arm | seeds | macro-F1 none | Δ macro-F1 [95% CI] | verdict | "
            "rarest tested class | Δ its recall [95% CI] | verdict | s |",
            "|---|---|---:|---:|---|---|---|---|---|---:|"]
    detail: list[str] = []
    tally: dict[str, dict[str, int]] = {}
    blocked: dict[str, str] = {}
    for name in names:
        base = load(work, name, "none")
        if base is None:
            continue
        facts = dataset_facts(work, name)
        cfg = base["details"]["config"]
        base["path"] = str(work / name / "none")
        f1_none = _none_f1(base)
        train_n = base["details"]["class_counts"]["train"]
        test_n = cfg["test_counts"]
        rare = list(cfg["rare_classes"])
        lines.append(f"| {name} | {facts['split']} ({facts['why']}) | {facts['n_train']:,} / "
                     f"{facts['n_test']:,} | {facts['distinct_train']:,} / "
                     f"{facts['distinct_test']:,} | " + ", ".join(
                         f"{c} ({train_n.get(c, 0)} / {test_n.get(c, 0)})" for c in rare)
                     + f" | {f1_none:.3f} |")
        if facts["not_measurable"]:
            blocked[name] = facts["not_measurable"]
            main.append(f"| {name} | every arm | – | {f1_none:.3f} | not measurable: "
                        f"{blocked[name]} | | | | | |")
            continue
        tested = [c for c in rare if test_n.get(c, 0) >= MIN_CLASS_ROWS]
        rarest = tested[0] if tested else None
        detail += [f"**{name}** (recall Δ [95% CI], verdict; rare classes with fewer than "
                   f"{MIN_CLASS_ROWS} test rows are untested)", "",
                   "| arm | " + " | ".join(f"{c} ({test_n.get(c, 0)})" for c in rare) + " |",
                   "|---|" + "---|" * len(rare)]
        for arm in arm_names:
            if arm == "none":
                continue
            done = load(work, name, arm)
            if done is None:
                main.append(f"| {name} | {arm} | – | {f1_none:.3f} | not run | | | | | |")
                continue
            comp = done["comp"]
            f1 = comp[comp["metric"] == "macro_f1"].iloc[0]
            recall = comp[comp["metric"] == "recall"].set_index("class")
            t = tally.setdefault(arm, {})
            t[f1["verdict"]] = t.get(f1["verdict"], 0) + 1
            r_cells = ["–", "", ""]
            if rarest is not None and rarest in recall.index:
                r = recall.loc[rarest]
                r_cells = [f"{rarest} ({train_n.get(rarest, 0)} train)", _delta(r),
                           str(r["verdict"])]
            chose = done["run"]["auto_chose"]
            label = arm + (f" (chose: {', '.join(chose)})" if chose else "")
            main.append(f"| {name} | {label} | {len(done['run']['seeds'])} | "
                        f"{f1['baseline']:.3f} | "
                        f"{_delta(f1)} | {f1['verdict']} | " + " | ".join(r_cells)
                        + f" | {done['run']['seconds']:.0f} |")
            cells = []
            for c in rare:
                if c in recall.index:
                    r = recall.loc[c]
                    cells.append(f"{_delta(r)} {r['verdict']}" if r["verdict"] != "untested"
                                 else "untested")
                else:
                    cells.append("–")
            detail.append(f"| {arm} | " + " | ".join(cells) + " |")
        detail.append("")
    summary = ["| arm | helped | hurt | no detectable difference |", "|---|---:|---:|---:|"]
    auto = ["| dataset | auto chose (per seed) | Δ macro-F1 [95% CI] | verdict | rare-class "
            "recall verdicts |", "|---|---|---|---|---|"]
    pairs = ["| dataset | generator | Δ macro-F1 conditional | Δ macro-F1 per class | "
             "Δ rarest recall conditional | Δ rarest recall per class |",
             "|---|---|---|---|---|---|"]
    for name in names:
        if name in blocked:
            continue
        done = load(work, name, "auto") if "auto" in arm_names else None
        if done is not None:
            comp = done["comp"]
            f1 = comp[comp["metric"] == "macro_f1"].iloc[0]
            rec = comp[(comp["metric"] == "recall")
                       & comp["class"].isin(done["details"]["config"]["rare_classes"])]
            auto.append(f"| {name} | {', '.join(done['run']['auto_chose'])} | {_delta(f1)} | "
                        f"{f1['verdict']} | " + "; ".join(
                            f"{r['class']} {r['verdict']}" for _, r in rec.iterrows()) + " |")
        for method in PER_CLASS:
            loaded = [load(work, name, a) for a in (method, f"{method}+per_class")]
            both = [d for d in loaded if d is not None]
            if len(both) < 2 or method not in arm_names:
                continue
            cells = []
            for metric in ("macro_f1", "recall"):
                for d in both:
                    comp = d["comp"][d["comp"]["metric"] == metric]
                    if metric == "recall":
                        rare = [c for c in d["details"]["config"]["rare_classes"]
                                if c in set(comp[comp["verdict"] != "untested"]["class"])]
                        comp = comp[comp["class"] == (rare[0] if rare else None)]
                    cells.append(f"{_delta(comp.iloc[0])} {comp.iloc[0]['verdict']}"
                                 if len(comp) else "–")
            pairs.append(f"| {name} | {method} | " + " | ".join(cells) + " |")
    accept = acceptance(work, [n for n in names if n not in blocked], arm_names)
    for arm, t in tally.items():
        summary.append(f"| {arm} | {t.get('helped', 0)} | {t.get('hurt', 0)} | "
                       f"{t.get('no detectable difference', 0)} |")
    return "\n".join(["### Datasets and splits", "", *lines, "",
                      "### Every arm against no augmentation (random forest)", "", *main, "",
                      "### Macro-F1 verdicts per arm, over the datasets", "", *summary, "",
                      "### auto against no augmentation", "", *auto, "",
                      "### Acceptance: auto against the best fixed augmenter", "", *accept, "",
                      "### One conditional generator against one per class", "", *pairs, "",
                      "<details><summary>Recall of every rare class, per dataset and "
                      "arm</summary>", "", *detail, "</details>", ""])


def acceptance(work: Path, names: Sequence[str], arm_names: Sequence[str]) -> list[str]:
    """Issue 18's acceptance, per dataset and over them: wherever a fixed augmenter
    helped macro-F1 beyond its interval, does ``auto`` help with at least half the best
    fixed gain (on at least two thirds of those datasets), and does it never hurt?"""
    rows = ["| dataset | best fixed arm (helped) | its Δ macro-F1 | auto Δ macro-F1 [95% CI] | "
            "auto verdict | auto ≥ half of best |", "|---|---|---|---|---|---|"]
    wins = needed = hurts = 0
    for name in names:
        auto = load(work, name, "auto") if "auto" in arm_names else None
        best = None
        for arm in arm_names:
            if arm in ("none", "auto"):
                continue
            done = load(work, name, arm)
            if done is None:
                continue
            f1 = done["comp"][done["comp"]["metric"] == "macro_f1"].iloc[0]
            if f1["verdict"] == "helped" and (best is None or f1["diff"] > best[1]["diff"]):
                best = (arm, f1)
        if auto is None:
            rows.append(f"| {name} | {best[0] if best else '–'} | "
                        f"{_signed(best[1]['diff']) if best else '–'} | auto not run | | |")
            continue
        a = auto["comp"][auto["comp"]["metric"] == "macro_f1"].iloc[0]
        hurts += a["verdict"] == "hurt"
        ok = ""
        if best is not None:
            needed += 1
            good = a["verdict"] == "helped" and a["diff"] >= 0.5 * best[1]["diff"]
            wins += good
            ok = "yes" if good else "no"
        rows.append(f"| {name} | {best[0] if best else 'none helped'} | "
                    f"{_signed(best[1]['diff']) if best else '–'} | {_delta(a)} | "
                    f"{a['verdict']} | {ok} |")
    rows += ["", f"auto helped with at least half of the best fixed gain on {wins} of the "
                 f"{needed} datasets where a fixed augmenter helped (target: at least two "
                 f"thirds); auto hurt macro-F1 beyond its interval on {hurts} dataset(s) "
                 "(target: none)."]
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", help="comma-separated dataset names (default: all)")
    p.add_argument("--arms", help="comma-separated arm names (default: all; none is "
                                  "always run first)")
    p.add_argument("--seeds", type=int, default=5, help="seeds of none and auto")
    p.add_argument("--resampler-seeds", type=int, default=3,
                   help="seeds of the SMOTE family, hybrids and random over-sampler")
    p.add_argument("--gen-seeds", type=int, default=2, help="seeds of the generative arms")
    p.add_argument("--svm-seeds", type=int, default=1, help="seeds of svm_smote")
    p.add_argument("--epochs", type=int, default=20, help="CTGAN/CopulaGAN/TVAE epochs")
    p.add_argument("--gen-cap", type=int, default=2000,
                   help="most training rows a generator is fitted on")
    p.add_argument("--bootstrap", type=int, default=1000, help="paired bootstrap resamples")
    p.add_argument("--strategy", default="power:0.5",
                   help="sampling strategy of every fixed augmenter (default power:0.5, "
                        "the pipeline's; '' for each class's own default)")
    p.add_argument("--auto-time-limit", type=float, default=600.0,
                   help="auto's time budget in seconds per fit (default 600)")
    p.add_argument("--quick", action="store_true",
                   help="2 seeds, 2 epochs, 1,000-row generator cap, 200 resamples, "
                        "into utility_quick/: an end-to-end check, not a result")
    p.add_argument("--report", action="store_true", help="print the saved results only")
    p.add_argument("--work", type=Path, help="results directory (default: "
                                             "benchmarks/_work/utility[_quick])")
    args = p.parse_args(argv)
    settings = {"seeds": args.seeds, "resampler_seeds": args.resampler_seeds,
                "gen_seeds": args.gen_seeds, "svm_seeds": args.svm_seeds,
                "epochs": args.epochs,
                "gen_cap": args.gen_cap, "n_boot": args.bootstrap,
                "strategy": args.strategy, "auto_time_limit": args.auto_time_limit,
                "classifier": CLASSIFIER, "test_size": TEST_SIZE}
    if args.quick:
        settings.update(seeds=2, resampler_seeds=2, gen_seeds=2, svm_seeds=1, epochs=2,
                        gen_cap=1000, n_boot=200, auto_time_limit=min(args.auto_time_limit, 120))
    work = args.work or ROOT / "benchmarks" / "_work" / (
        "utility_quick" if args.quick else "utility")
    files = dataset_files()
    names = args.datasets.split(",") if args.datasets else list(files)
    every = {a.name: a for a in arms()}
    picked = args.arms.split(",") if args.arms else list(every)
    bad = [n for n in names if n not in files] + [a for a in picked if a not in every]
    if bad:
        print(f"unknown datasets or arms {bad}; datasets: {sorted(files)} (under "
              f"{datasets_dir()}), arms: {sorted(every)}", file=sys.stderr)
        return 2
    if not args.report:
        import torch

        torch.set_num_threads(1)
        wanted = [every[a] for a in dict.fromkeys(["none", *picked])]
        run_all(names, wanted, work, settings, files)
    print(report(work, names, [a for a in every if a in picked]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
