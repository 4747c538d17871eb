"""Label audit on a seeded synthetic dataset with one pair no model can tell apart.

``make_classification`` (3,000 rows, 8 features): a majority class of 55 %, two classes
of 20 % each drawn from *one* cloud and named at random (no model can tell them apart),
and a rare class of 5 %. Three kinds of planted noise (10 % uniform; 20 % of the rare
class to the majority; 5 % of the majority to the rare class), three seeds. Precision /
recall of the flags against the planted flips for: the audit with its defaults; plain
confident learning (``prune_by_noise_rate`` alone); plain confident learning with a
ceiling of 0.05 on the given label's out-of-fold probability; the baseline (every
out-of-fold disagreement). Also the pair verdicts. Seconds, not a timing benchmark.

Run: ``python benchmarks/bench_labels_synthetic.py`` (prints Markdown).
"""

from __future__ import annotations

import sys

import numpy as np

NOISES = ("uniform10", "rare_to_majority", "majority_to_rare")
NAMES = np.array(["normal", "scan_a", "scan_b", "rare"])


def overlapping(seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=3000, n_features=8, n_informative=5,
                               n_redundant=0, n_classes=4, n_clusters_per_class=1,
                               weights=[0.55, 0.2, 0.2, 0.05], class_sep=2.0,
                               random_state=seed)
    rng = np.random.default_rng(seed)
    cloud = (y == 1) | (y == 2)
    y[cloud] = rng.choice([1, 2], int(cloud.sum()))
    return X, NAMES[y]


def plant(y: np.ndarray, noise: str, rng: np.random.Generator) -> np.ndarray:
    noisy = y.copy()
    if noise == "uniform10":
        for i in rng.choice(len(y), len(y) // 10, replace=False):
            noisy[i] = rng.choice(NAMES[NAMES != y[i]])
    elif noise == "rare_to_majority":
        pool = np.flatnonzero(y == "rare")
        noisy[rng.choice(pool, len(pool) // 5, replace=False)] = "normal"
    else:
        pool = np.flatnonzero(y == "normal")
        noisy[rng.choice(pool, len(pool) // 20, replace=False)] = "rare"
    return noisy


def pr(mask: np.ndarray, planted: np.ndarray) -> str:
    tp = int((mask & planted).sum())
    p = f"{tp / mask.sum():.2f}" if mask.any() else "–"
    return f"{p} / {tp / planted.sum():.2f}"


def main() -> int:
    from iotforge.curation.labels import LabelAudit

    lines = ["| noise | seed | this audit | plain confident learning | the 0.05 ceiling | "
             "baseline (every disagreement) | pairs not judged |",
             "|---|---|---|---|---|---|---|"]
    for noise in NOISES:
        for seed in range(3):
            X, y = overlapping(seed)
            noisy = plant(y, noise, np.random.default_rng(seed))
            planted = noisy != y
            audit = LabelAudit(random_state=seed).fit(X, noisy)
            issues = audit.issues_
            ceiling = audit.pruned_ & (issues.given_prob < 0.05)
            pairs = ", ".join(f"{'/'.join(p['classes'])} ({p['verdict']})"
                              for p in issues.report["pairs"] if p["verdict"] != "judged")
            lines.append(f"| {noise} | {seed} | {pr(issues.is_issue, planted)} | "
                         f"{pr(audit.pruned_, planted)} | {pr(ceiling, planted)} | "
                         f"{pr(issues.disagrees, planted)} | {pairs or '–'} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
