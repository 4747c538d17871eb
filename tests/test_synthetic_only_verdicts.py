"""The synthetic-only arm: only its macro-F1 is compared (its per-class recall would
inflate: no normal rows), the sentence says what it measures, and a run skipped for a
one-class training side is noted once per arm."""

from __future__ import annotations

import numpy as np
import pandas as pd
from iotforge.evaluation.comparisons import SYNTHETIC_ONLY_MEASURES, compare, sentence
from iotforge.evaluation.predictions import Predictions
from iotforge.evaluation.summary import COLUMNS


def test_synthetic_only_compares_macro_f1_only_and_says_what_it_measures():
    y = np.array(["normal"] * 80 + ["r2l"] * 20)
    p = Predictions(["normal", "r2l"])
    p.set_truth(y)
    rng = np.random.default_rng(0)
    for seed in range(3):
        base = np.where(rng.random(len(y)) < 0.9, y, "normal")
        p.add(("none", "none", "rf", seed), base)
        p.add(("smote", "real+synthetic", "rf", seed), base)
        p.add(("smote", "synthetic-only", "rf", seed), np.full(len(y), "r2l"))  # no normal
    table = compare(pd.DataFrame(columns=COLUMNS), p, n_boot=200)
    only = table[table["arm"] == "synthetic-only"]
    both = table[table["arm"] == "real+synthetic"]
    assert set(only["metric"]) == {"macro_f1"}  # the r2l recall (0.9 -> 1.0) is left out
    assert set(both["metric"]) == {"macro_f1", "recall"}
    row = only[only["classifier"] == "rf"].iloc[0].to_dict()
    assert SYNTHETIC_ONLY_MEASURES in sentence(row)


def test_one_class_training_side_noted_once_per_arm():
    from iotforge.evaluation._runs import RunLog

    X_test = pd.DataFrame({"v": [0.0, 1.0]})
    log = RunLog(factories={}, X_test=X_test, y_test=np.array(["a", "b"]),
                 labels=["a", "b"], notes=[])
    for clf in ("rf", "knn"):
        for seed in range(3):
            log.fit_score("auto", "synthetic-only", clf, seed, X_test.iloc[:0],
                          np.array([], dtype=object))
    assert log.notes == ["auto / synthetic-only: skipped for every classifier and seed "
                         "whose training rows hold no rows (the augmenter added none)"]
