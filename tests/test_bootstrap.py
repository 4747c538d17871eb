"""The paired bootstrap: exact observed values, coverage of a known difference, a planted
effect found, no effect not called significant, and seeds that vary widen the interval."""

from __future__ import annotations

import numpy as np
import pytest
from iotforge.curation.bootstrap import MIN_CLASS_ROWS, paired_bootstrap
from iotforge.evaluation.comparisons import compare
from iotforge.evaluation.metrics import classification_metrics
from iotforge.evaluation.predictions import Predictions
from iotforge.evaluation.summary import COLUMNS


def _flip(y: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """``y`` with the rows ``wrong`` predicted as the next class."""
    out = y.copy()
    out[wrong] = (y[wrong] + 1) % 3
    return out


def test_observed_values_match_an_independent_implementation() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [200, 60, 15])
    base = np.stack([_flip(y, rng.random(len(y)) < 0.3) for _ in range(3)])
    treated = np.stack([_flip(y, rng.random(len(y)) < 0.2) for _ in range(3)])
    r = paired_bootstrap(y, base[None], treated[None], n_labels=3, n_boot=50)
    for s in range(3):
        for arm, codes in ((r.base, base), (r.treated, treated)):
            m = classification_metrics(y, codes[s], [0, 1, 2])
            assert arm[0, s, 0] == pytest.approx(m["macro_f1"])
            for k in range(3):
                assert arm[0, s, 1 + k] == pytest.approx(m["per_class"][k]["recall"])


def test_interval_covers_a_known_difference_and_excludes_zero() -> None:
    # class 1: 100 test rows; without augmentation 60 are right, with it the same 60
    # and 20 more: the recall difference is exactly +0.20 on every seed
    y = np.repeat([0, 1], [300, 100])
    base, treated = y.copy(), y.copy()
    base[300 + 60:] = 0
    treated[300 + 80:] = 0
    r = paired_bootstrap(y, np.tile(base, (1, 3, 1)), np.tile(treated, (1, 3, 1)),
                         n_labels=2, n_boot=1000, random_state=1)
    s = r.summary("recall:1")
    assert s.diff == pytest.approx(0.20) and s.baseline == pytest.approx(0.60)
    assert s.ci_low < 0.20 < s.ci_high
    assert s.ci_low > 0 and s.verdict == "helped"
    # the 20 rows that changed are a binomial share of 100 resamples: sd = sqrt(.2 .8 / 100)
    assert s.ci_high - s.ci_low == pytest.approx(2 * 1.96 * 0.04, rel=0.25)
    # the same numbers the other way round: hurt
    assert paired_bootstrap(y, np.tile(treated, (1, 3, 1)), np.tile(base, (1, 3, 1)),
                            n_labels=2, n_boot=300).summary("recall:1").verdict == "hurt"


def test_coverage_of_the_true_difference_on_simulated_test_sets() -> None:
    """Many test sets drawn from a population where augmentation raises the rare class's
    recall from 0.6 to 0.7: the 95 % interval should cover +0.1 about 95 % of the time."""
    rng = np.random.default_rng(7)
    y = np.repeat([0, 1], [200, 150])
    covered = 0
    sims = 120
    for _ in range(sims):
        u = rng.random(len(y))  # one latent difficulty per row: paired arms
        base = np.where(y == 1, np.where(u < 0.6, 1, 0), np.where(u < 0.95, 0, 1))
        treated = np.where(y == 1, np.where(u < 0.7, 1, 0), base)
        s = paired_bootstrap(y, base[None, None], treated[None, None], n_labels=2,
                             n_boot=300, random_state=int(rng.integers(1 << 30))
                             ).summary("recall:1")
        covered += s.ci_low <= 0.1 <= s.ci_high
    assert covered / sims >= 0.88


def test_no_effect_is_not_called_significant() -> None:
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], [150, 60, 30])
    calls = 0
    sims = 60
    for _ in range(sims):
        # two arms with the same error rate, errors drawn independently per seed
        base = np.stack([_flip(y, rng.random(len(y)) < 0.2) for _ in range(3)])
        treated = np.stack([_flip(y, rng.random(len(y)) < 0.2) for _ in range(3)])
        s = paired_bootstrap(y, base[None], treated[None], n_labels=3, n_boot=300,
                             random_state=int(rng.integers(1 << 30))).summary("macro_f1")
        calls += s.verdict != "no detectable difference"
    assert calls / sims <= 0.12
    same = np.stack([_flip(y, rng.random(len(y)) < 0.2) for _ in range(3)])[None]
    s = paired_bootstrap(y, same, same.copy(), n_labels=3, n_boot=100).summary("macro_f1")
    assert (s.diff, s.ci_low, s.ci_high, s.verdict) == (0.0, 0.0, 0.0,
                                                        "no detectable difference")


def test_seeds_that_disagree_widen_the_interval() -> None:
    """Two seeds gain, two lose: row resampling alone would call the mean gain; with the
    seeds resampled the interval says what varied and includes zero."""
    y = np.repeat([0, 1], [500, 500])
    base = np.tile(y, (4, 1))
    base[:, 500:700] = 0  # recall 0.6 on every seed
    treated = base.copy()
    treated[0, 500:700] = 1  # +0.4
    treated[1, 500:700] = 1
    treated[2, 700:740] = 0  # -0.08
    treated[3, 700:740] = 0
    rows_only = paired_bootstrap(y, base[None], treated[None], n_labels=2, n_boot=400,
                                 resample_seeds=False).summary("recall:1")
    both = paired_bootstrap(y, base[None], treated[None], n_labels=2,
                            n_boot=400).summary("recall:1")
    assert rows_only.verdict == "helped"
    assert both.ci_high - both.ci_low > 3 * (rows_only.ci_high - rows_only.ci_low)
    assert both.ci_low < 0 < both.ci_high and both.verdict == "no detectable difference"


def test_a_class_with_few_test_rows_is_untested() -> None:
    y = np.repeat([0, 1], [100, MIN_CLASS_ROWS - 1])
    base = np.zeros((1, 2, len(y)), dtype=int)  # never finds class 1
    treated = np.tile(y, (1, 2, 1))  # always does
    r = paired_bootstrap(y, base, treated, n_labels=2, n_boot=100)
    assert r.summary("recall:1").verdict == "untested"
    assert r.summary("macro_f1").verdict == "helped"


def test_compare_pools_classifiers_and_names_classes() -> None:
    import pandas as pd

    rng = np.random.default_rng(5)
    y = np.repeat(["normal", "dos", "u2r"], [300, 100, 40])
    p = Predictions(["dos", "normal", "u2r"])
    p.set_truth(y)
    for clf in ("tree", "nb"):
        for seed in (0, 1, 2):
            p.add(("none", "none", clf, seed), np.where(rng.random(len(y)) < 0.7, y, "normal"))
            p.add(("smote", "real+synthetic", clf, seed),
                  np.where(rng.random(len(y)) < 0.95, y, "normal"))
    table = compare(pd.DataFrame(columns=COLUMNS), p, n_boot=200,
                    seeds_vary={"smote": "classifier and augmenter seeds"})
    pooled = table[table["classifier"] == "all classifiers"].set_index(["metric", "class"])
    assert pooled.loc[("recall", "u2r"), "verdict"] == "helped"
    assert pooled.loc[("recall", "u2r"), "n_test"] == 40
    # the pooled difference is the mean of the classifiers' differences
    per = table[(table["classifier"] != "all classifiers") & (table["metric"] == "macro_f1")]
    assert pooled.loc[("macro_f1", ""), "diff"] == pytest.approx(per["diff"].mean())
    assert "3 seeds (classifier and augmenter seeds)" in pooled.loc[("macro_f1", ""), "covers"]


def test_units_of_copies_give_the_interval_of_the_rows_for_classifiers_and_seeds():
    """Every row copied m times, each copy in its row's unit: the unit bootstrap of the
    copies and the row bootstrap of the rows are one distribution, for every classifier
    (2) and over resampled seeds (3); the row bootstrap of the copies is narrower."""
    rng = np.random.default_rng(3)
    n, m = 300, 8
    y = rng.integers(0, 3, n)
    base = np.where(rng.random((2, 3, n)) < 0.7, y, rng.integers(0, 3, (2, 3, n)))
    treated = np.where(rng.random((2, 3, n)) < 0.78, y, rng.integers(0, 3, (2, 3, n)))
    rows = paired_bootstrap(y, base, treated, n_labels=3, n_boot=3000, random_state=0)
    copy = np.repeat(np.arange(n), m)
    units = paired_bootstrap(y[copy], base[:, :, copy], treated[:, :, copy], n_labels=3,
                             n_boot=3000, random_state=1, units=copy)
    plain = paired_bootstrap(y[copy], base[:, :, copy], treated[:, :, copy], n_labels=3,
                             n_boot=3000, random_state=1)
    for metric in rows.metrics:
        for clf in (0, 1, None):
            want, got = rows.summary(metric, clf), units.summary(metric, clf)
            assert got.diff == pytest.approx(want.diff)
            assert got.ci_low == pytest.approx(want.ci_low, abs=0.015)
            assert got.ci_high == pytest.approx(want.ci_high, abs=0.015)
            narrow = plain.summary(metric, clf)
            assert narrow.ci_high - narrow.ci_low < 0.8 * (want.ci_high - want.ci_low)


def test_units_with_a_unit_per_row_are_the_row_bootstrap():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 200)
    base = np.where(rng.random((1, 2, 200)) < 0.7, y, 1 - y)
    treated = np.where(rng.random((1, 2, 200)) < 0.8, y, 1 - y)
    a = paired_bootstrap(y, base, treated, n_labels=2, n_boot=200, random_state=5)
    b = paired_bootstrap(y, base, treated, n_labels=2, n_boot=200, random_state=5,
                         units=np.arange(200) * 7)
    np.testing.assert_array_equal(a.draws, b.draws)
