"""Regeneration stops for a class after a round that added none of its rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from iotforge.augment import SMOTEAugmenter


def _count_rounds(monkeypatch, augmenter) -> list[dict]:
    calls: list[dict] = []
    original = type(augmenter)._generate

    def spy(self, X, y, pending, seed):
        calls.append(dict(pending))
        return original(self, X, y, pending, seed)

    monkeypatch.setattr(type(augmenter), "_generate", spy)
    return calls


def test_all_categorical_class_with_no_new_row_stops_after_one_round(monkeypatch) -> None:
    # every combination of the two columns is a training row: no round can add a new one
    X = pd.DataFrame({"a": list("xxyy") * 30, "b": list("pqpq") * 30})
    y = np.array(["n"] * 100 + ["r"] * 20)
    aug = SMOTEAugmenter(sampling_strategy={"r": 80}, random_state=0, max_retries=10)
    calls = _count_rounds(monkeypatch, aug)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X_res, y_res = aug.fit_resample(X, y)
    assert len(calls) == 1  # was max_retries + 1 = 11
    assert aug.stalled_classes_ == ["r"]
    assert int((y_res == "r").sum()) == 80  # counts stay exact: copies kept, with a warning
    assert aug.n_duplicates_kept_ == 60
    assert any("added no new row" in str(w.message) for w in caught)


def test_class_that_gains_rows_is_not_stalled(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"v": rng.normal(size=120)})
    y = np.array(["n"] * 100 + ["r"] * 20)
    aug = SMOTEAugmenter(sampling_strategy={"r": 80}, random_state=0)
    calls = _count_rounds(monkeypatch, aug)
    X_res, y_res = aug.fit_resample(X, y)
    assert aug.stalled_classes_ == []
    assert len(calls) >= 1 and int((y_res == "r").sum()) == 80
    assert aug.n_duplicates_kept_ == 0
