"""The one-hot cap of the classifiers' encoding: visible in the notes, configurable, and
(on a planted case) able to discard signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
from iotforge.evaluation.evaluate import evaluate


def _service_table(seed: int, n_per_value: dict[str, int]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for value, n in n_per_value.items():
        label = "r2l" if value.startswith("rare") else "normal"
        rows += [(value, label, float(x)) for x in rng.normal(size=n)]
    return pd.DataFrame(rows, columns=["service", "label", "bytes"]).assign(source="kdd")


def _values() -> dict[str, int]:
    # 36 common services of normal traffic, 6 rare ones that only r2l uses: 42 values, so
    # a 32-column cap groups the rare ones with the least common normal services
    common = {f"svc{i:02d}": 60 - i for i in range(36)}
    return {**common, **{f"rare{i}": 6 for i in range(6)}}


def test_cap_is_noted_configurable_and_can_discard_signal():
    train, test = _service_table(0, _values()), _service_table(1, _values())
    runs = {}
    for cap in (32, 0):
        r = evaluate(train, test, numeric=["bytes"], categorical=["service"],
                     classifiers=["decision_tree"], seeds=[0], arms=["none"],
                     max_categories=cap, rules=False, n_boot=20)
        res = r.results
        runs[cap] = (r, float(res[(res["metric"] == "recall") & (res["class"] == "r2l")]
                              ["value"].iloc[0]))
    capped, free = runs[32], runs[0]
    n_values = train["service"].nunique()  # 42, counted here
    assert any(f"service ({n_values} values)" in n for n in capped[0].notes)
    assert not any("one-hot encoding keeps" in n for n in free[0].notes)
    assert capped[0].config["capped_columns"] == {"service": n_values}
    assert free[1] == 1.0 and capped[1] < free[1]  # the grouped rare services lose r2l
