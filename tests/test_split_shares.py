"""The stratified split keeps every class's test share near the requested size, also when
groups of identical feature rows hold several classes (counted here from the output rows)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from iotforge.curation.leakage.split import split
from iotforge.curation.schema import TableMeta

META = TableMeta(stage="curate", roles={"x": "numeric", "proto": "categorical",
                                        "label": "label"})


def shared_unit_frame(seed: int = 0) -> pd.DataFrame:
    """A thermostat-like table: one feature row repeated 1,386 times across seven classes
    (4 of them `scanning`), and every class's other rows distinct."""
    rng = np.random.default_rng(seed)
    sizes = {"normal": 3000, "backdoor": 600, "ddos": 500, "injection": 400,
             "password": 300, "xss": 200, "scanning": 57}
    in_unit = {"normal": 1000, "backdoor": 150, "ddos": 100, "injection": 60,
               "password": 50, "xss": 22, "scanning": 4}
    rows = []
    for cls, n in sizes.items():
        rows += [(25.0, "tcp", cls)] * in_unit[cls]
        rows += [(float(v), "udp", cls) for v in rng.normal(size=n) + 100 * len(rows)]
    return pd.DataFrame(rows, columns=["x", "proto", "label"])


def shares(r) -> dict[str, float]:
    test, train = Counter(r.test["label"]), Counter(r.train["label"])
    return {c: test[c] / (test[c] + train[c]) for c in set(test) | set(train)}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_class_test_share_near_the_requested_size(seed: int) -> None:
    df = shared_unit_frame(seed)
    r = split(df, META, mode="stratified", test_size=0.2, random_state=seed)
    got = shares(r)
    # the old rule gave the shared unit to `scanning` and sent ~57 of its 61 rows to test
    assert abs(got["scanning"] - 0.2) <= 0.05, got
    for cls, share in got.items():
        assert abs(share - 0.2) <= 0.05, (cls, share)
    keys = set(zip(r.train["x"], r.train["proto"], strict=True))
    assert not any(k in keys for k in zip(r.test["x"], r.test["proto"], strict=True))
    assert len(r.train) + len(r.test) == len(df)


def test_shared_rows_stay_together_and_too_small_class_stays_in_train() -> None:
    df = shared_unit_frame(0)
    df.loc[len(df)] = (25.0, "tcp", "heartbleed")  # one row, inside the shared unit
    r = split(df, META, mode="stratified", test_size=0.2, random_state=0)
    assert r.report["too_small"] == ["heartbleed"]
    shared = r.test[(r.test["x"] == 25.0) & (r.test["proto"] == "tcp")]
    assert shared.empty  # the unit holding the too-small class's row stays in train
    assert abs(shares(r)["scanning"] - 0.2) <= 0.05
