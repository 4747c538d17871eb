"""The evaluation grid on Dask (one task per seed) gives the local engine's result: the
same runs in the same order, the same predictions, comparisons, counts and notes."""

from __future__ import annotations

import sys
from typing import Any

import cloudpickle
import evaluation_fixtures
import pandas as pd
import pytest
from evaluation_fixtures import CATEGORICAL, NUMERIC, NoiseSampler, split_tables
from iotforge.evaluation.evaluate import evaluate
from iotforge.evaluation.fanout import evaluate_dask

pytest.importorskip("distributed")
pytestmark = pytest.mark.dask

# the workers cannot import the test modules: their functions travel by value
cloudpickle.register_pickle_by_value(evaluation_fixtures)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def noise(seed: int) -> NoiseSampler:
    return NoiseSampler(random_state=seed)


def _same(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.results, b.results)
    pd.testing.assert_frame_equal(a.comparisons, b.comparisons)
    assert a.predictions.labels == b.predictions.labels
    assert list(a.predictions.runs) == list(b.predictions.runs)
    for key, codes in a.predictions.runs.items():
        assert (codes == b.predictions.runs[key]).all()
    assert a.confusion == b.confusion
    assert (a.class_counts, a.config, a.notes, a.diagnostics) == \
        (b.class_counts, b.config, b.notes, b.diagnostics)


def test_grid_per_seed_equals_the_local_grid(dask_client: Any) -> None:  # noqa: F811
    train, test = split_tables()
    kw: dict[str, Any] = dict(numeric=NUMERIC, categorical=CATEGORICAL,
                              augmenters={"noise": noise},
                              classifiers=["decision_tree", "naive_bayes"], seeds=[0, 1, 2],
                              rules=False, n_boot=50)
    local = evaluate(train, test, **kw)
    dask = evaluate_dask(train, test, dask_client, **kw)
    _same(dask, local)
    assert set(local.results["seed"]) == {0, 1, 2}
    assert len(local.comparisons) > 0
    # with a stored baseline its runs come first for every seed, as locally
    base = evaluate(train, test, **{**kw, "augmenters": {}, "arms": ["none"]})
    kw_b = {**kw, "baseline": base}
    _same(evaluate_dask(train, test, dask_client, **kw_b), evaluate(train, test, **kw_b))
