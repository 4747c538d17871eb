"""Rare-class generation: iotforge's CTGANAugmenter versus SDV's CTGANSynthesizer.

Same data, same machine, same run: time to fit and produce ``--n`` rows of one rare class,
fidelity (per-column Kolmogorov-Smirnov statistic against the real rows of that class),
novelty (distance to closest record) and downstream utility (a RandomForest's recall on
that class on real held-out rows, trained with ``--n-add`` synthetic rows added).

SDV is used at its defaults (300 epochs, batch 500, 256-wide networks) with
``sample_from_conditions``; iotforge's augmenter at its 2-core defaults. Sizes are flags.

    .venv/bin/python benchmarks/bench_ctgan.py --rows 5000 --out bench_ctgan.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLUMNS = [
    "Dst Port",
    "Protocol",
    "Flow Duration",
    "Total Fwd Packet",
    "Total Bwd packets",
    "Total Length of Fwd Packet",
    "Total Length of Bwd Packet",
    "Fwd Packet Length Max",
    "Flow IAT Mean",
    "FWD Init Win Bytes",
]


def load(rows: int, seed: int) -> pd.DataFrame:
    """The CIC-IDS2017 sample, ``COLUMNS`` + ``Label``, big classes subsampled to ``rows``."""
    root = Path(os.environ.get("IOTFORGE_DATASETS", ROOT.parent / "shared" / "datasets"))
    files = sorted((root / "cicids2017_improved_sample").glob("*.csv"))
    if not files:
        raise SystemExit(f"no CIC-IDS2017 sample under {root}; set IOTFORGE_DATASETS")
    frame = pd.concat(
        [pd.read_csv(f, usecols=[*COLUMNS, "Label"]) for f in files], ignore_index=True
    )
    counts = frame["Label"].value_counts()
    small = counts[counts < 100].sum()
    per_class = max(1, (rows - small) // int((counts >= 100).sum()))
    parts = [
        g if len(g) < 100 else g.sample(min(len(g), per_class), random_state=seed)
        for _, g in frame.groupby("Label")
    ]
    return pd.concat(parts, ignore_index=True)


def ks_mean(synthetic: pd.DataFrame, real: pd.DataFrame) -> float:
    """Mean over columns of the two-sample KS statistic (0 = same distribution)."""
    from scipy.stats import ks_2samp

    return float(np.mean([ks_2samp(synthetic[c], real[c]).statistic for c in real.columns]))


def utility(train: pd.DataFrame, test: pd.DataFrame, extra: pd.DataFrame | None, rare: str,
            seed: int) -> tuple[float, float]:
    """Recall on ``rare`` and macro F1 of a RandomForest on real held-out rows."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score, recall_score

    data = train if extra is None else pd.concat([train, extra], ignore_index=True)
    model = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
    model.fit(data[COLUMNS], data["Label"])
    pred = model.predict(test[COLUMNS])
    recall = recall_score(test["Label"] == rare, pred == rare)
    return float(recall), float(f1_score(test["Label"], pred, average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="training+test rows")
    parser.add_argument("--rare", default="Infiltration", help="the class to generate")
    parser.add_argument("--n", type=int, default=10_000, help="rows of the rare class to make")
    parser.add_argument("--n-add", type=int, default=1000, help="synthetic rows for utility")
    parser.add_argument("--sdv-epochs", type=int, default=300, help="SDV default: 300")
    parser.add_argument("--epochs", type=int, nargs="+", default=[50],
                        help="CTGANAugmenter epochs (several: one row each)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads for both (1 avoids oversubscription "
                        "on shared cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-sdv", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="JSON results")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    from iotforge.augment import CTGANAugmenter, distance_to_closest_record
    from sklearn.model_selection import train_test_split

    data = load(args.rows, args.seed)
    train, test = train_test_split(
        data, test_size=1 / 3, stratify=data["Label"], random_state=args.seed
    )
    rare_train = train.loc[train["Label"] == args.rare, COLUMNS]
    rare_test = test.loc[test["Label"] == args.rare, COLUMNS]
    results: dict[str, dict] = {}
    base_recall, base_f1 = utility(train, test, None, args.rare, args.seed)
    results["real only"] = {"recall": base_recall, "macro_f1": base_f1}

    import torch

    torch.set_num_threads(args.threads)
    # -- iotforge ----------------------------------------------------------------------
    for epochs in args.epochs:
        aug = CTGANAugmenter(sampling_strategy={args.rare: 2 * len(rare_train)}, epochs=epochs,
                             random_state=args.seed)
        t0 = time.perf_counter()
        aug.fit_resample(train[COLUMNS], train["Label"].to_numpy())
        fit_hit = aug.hit_rate_[args.rare]
        t1 = time.perf_counter()
        rows, _ = aug.sample({args.rare: args.n}, random_state=args.seed)
        t2 = time.perf_counter()
        results[f"iotforge CTGANAugmenter ({epochs} epochs)"] = {
            "fit_s": t1 - t0, "sample_s": t2 - t1, "total_s": t2 - t0, "rows": len(rows),
            "hit_rate": aug.hit_rate_[args.rare], "fit_hit_rate": fit_hit,
            "reject_rate": aug.reject_rate_, "epochs": epochs, "rows_out": len(rows),
            "synthetic": rows,
        }

    # -- SDV ---------------------------------------------------------------------------
    if not args.skip_sdv:
        from sdv.metadata import Metadata
        from sdv.sampling import Condition
        from sdv.single_table import CTGANSynthesizer

        table = train[[*COLUMNS, "Label"]].reset_index(drop=True)
        cols = {c: {"sdtype": "numerical"} for c in COLUMNS}
        cols["Label"] = {"sdtype": "categorical"}
        metadata = Metadata.load_from_dict({"tables": {"flows": {"columns": cols}}})
        synth = CTGANSynthesizer(metadata, epochs=args.sdv_epochs)
        t0 = time.perf_counter()
        synth.fit({"flows": table})
        t1 = time.perf_counter()
        entry: dict = {"epochs": args.sdv_epochs, "fit_s": t1 - t0}
        try:
            out = synth.sample_from_conditions([Condition({"Label": args.rare}, args.n)])
            out = out["flows"] if isinstance(out, dict) else out
            entry["synthetic"] = out[COLUMNS]
            entry["rows_out"] = len(out)
        except Exception as exc:  # noqa: BLE001 - the failure is the measurement
            entry["error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
            entry["rows_out"] = 0
        t2 = time.perf_counter()
        entry.update(sample_s=t2 - t1, total_s=t2 - t0)
        plain = synth.sample(5000)
        plain = plain["flows"] if isinstance(plain, dict) else plain
        entry["unconditioned_share"] = float((plain["Label"] == args.rare).mean())
        results["SDV CTGANSynthesizer"] = entry

    for entry in results.values():
        syn = entry.pop("synthetic", None)
        if syn is None or not len(syn):
            continue
        entry["ks_mean"] = ks_mean(syn, rare_train)
        dcr = distance_to_closest_record(syn.head(2000), rare_train, rare_test)
        entry["dcr_share_closer_to_train"] = dcr.share_closer_to_train
        entry["dcr_exact_copies"] = dcr.exact_copies
        extra = syn.sample(min(args.n_add, len(syn)), random_state=args.seed).assign(
            Label=args.rare
        )
        entry["recall"], entry["macro_f1"] = utility(train, test, extra, args.rare, args.seed)

    meta = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores",
        "python": platform.python_version(),
        "rows_train": len(train), "rows_test": len(test), "rare": args.rare,
        "rare_train": len(rare_train), "rare_test": len(rare_test),
        "rare_share": len(rare_train) / len(train), "n": args.n, "threads": args.threads,
    }
    print(markdown(results, meta))
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))


def markdown(results: dict[str, dict], meta: dict) -> str:
    """The results as a Markdown table, with machine, date and the time ratio."""
    def f(v: object, fmt: str = "{:.3f}") -> str:
        return "—" if v is None else fmt.format(v) if isinstance(v, float) else str(v)

    lines = [
        f"CIC-IDS2017 sample, {meta['rows_train']} training rows x {len(COLUMNS)} columns; "
        f"rare class {meta['rare']!r}: {meta['rare_train']} training rows "
        f"({100 * meta['rare_share']:.2f} %), {meta['rare_test']} held out; "
        f"{meta['n']} rows requested. {meta['machine']} (shared with other jobs), "
        f"torch threads {meta['threads']}, {meta['date']}.",
        "",
        "| method | epochs | fit s | sample s | total s | rows | hit rate | KS mean (lower better) "
        "| DCR closer-to-train | RF recall | RF macro F1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in results.items():
        lines.append(
            f"| {name} | {e.get('epochs', '—')} | {f(e.get('fit_s'), '{:.1f}')} | "
            f"{f(e.get('sample_s'), '{:.1f}')} | {f(e.get('total_s'), '{:.1f}')} | "
            f"{e.get('rows_out', '—')} | {f(e.get('hit_rate'))} | {f(e.get('ks_mean'))} | "
            f"{f(e.get('dcr_share_closer_to_train'))} | {f(e.get('recall'))} | "
            f"{f(e.get('macro_f1'))} |"
        )
    sdv = results.get("SDV CTGANSynthesizer")
    ours = {k: e for k, e in results.items() if k.startswith("iotforge")}
    if ours and sdv:
        lines.append("")
        for name, e in ours.items():
            lines.append(f"Time ratio SDV / {name}: {sdv['total_s'] / e['total_s']:.1f}x.")
        if "error" in sdv:
            lines.append(f"SDV conditional sampling failed: {sdv['error']}")
        lines.append(
            f"SDV unconditioned share of the rare class: {sdv['unconditioned_share']:.3f} "
            f"(real: {meta['rare_share']:.3f})."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
