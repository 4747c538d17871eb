"""Skew-preserving sampling strategies: properties over random class distributions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import RandomOverSampler
from iotforge.augment import Floor, Power, Scale, parse_strategy, resolve_sampling_strategy

counts_st = st.dictionaries(
    keys=st.text(alphabet="abcdefghij", min_size=1, max_size=3),
    values=st.integers(min_value=1, max_value=100_000),
    min_size=1,
    max_size=12,
)
strategy_st = st.one_of(
    st.builds(Power, st.floats(min_value=0, max_value=1)),
    st.builds(Scale, st.floats(min_value=1, max_value=50)),
    st.builds(Floor, count=st.integers(min_value=1, max_value=200_000)),
    st.builds(Floor, fraction=st.floats(min_value=1e-6, max_value=1)),
)


@settings(max_examples=300, deadline=None)
@given(counts=counts_st, strategy=strategy_st)
def test_targets_never_below_counts_and_rank_order_kept(counts, strategy):
    targets = strategy.targets(counts)
    assert targets.keys() == counts.keys()
    assert all(targets[c] >= n for c, n in counts.items())
    for a in counts:
        for b in counts:
            if counts[a] < counts[b]:
                assert targets[a] <= targets[b], (a, b)  # never overtakes
            if counts[a] == counts[b]:
                assert targets[a] == targets[b]  # ties stay ties
    assert max(targets.values()) == max(counts.values())  # the majority keeps its size


@settings(max_examples=200, deadline=None)
@given(counts=counts_st)
def test_power_one_keeps_power_zero_balances(counts):
    assert Power(1).targets(counts) == counts
    n_max = max(counts.values())
    assert Power(0).targets(counts) == dict.fromkeys(counts, n_max)


@settings(max_examples=200, deadline=None)
@given(counts=counts_st, k=st.floats(min_value=1, max_value=50))
def test_scale_multiplies_where_there_is_room(counts, k):
    targets = Scale(k).targets(counts)
    n_max = max(counts.values())
    for c, n in counts.items():
        assert targets[c] <= max(n, int(k * n + 1e-6)) or n == n_max
        larger = [targets[d] for d in counts if counts[d] > n]
        if larger:
            assert targets[c] < min(larger)  # strictly below the next larger class


def test_strategy_examples_exact():
    counts = {"normal": 1000, "ddos": 200, "scan": 10}
    assert Floor(fraction=0.05).targets(counts) == {"normal": 1000, "ddos": 200, "scan": 50}
    assert Floor(count=5000).targets(counts) == dict.fromkeys(counts, 1000)  # capped
    assert Power(0.5).targets(counts) == {"normal": 1000, "ddos": 447, "scan": 100}
    assert Scale(3).targets(counts) == {"normal": 1000, "ddos": 600, "scan": 30}
    assert Scale(10).targets(counts) == {"normal": 1000, "ddos": 999, "scan": 100}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("floor:0.05", Floor(fraction=0.05)),
        ("floor:200", Floor(count=200)),
        ("power:0.5", Power(0.5)),
        ("scale:3", Scale(3.0)),
        (" Power : 1 ", Power(1.0)),
    ],
)
def test_parse_shorthands(text, expected):
    assert parse_strategy(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("balanced", "found 'balanced'"),
        ("power:x", "expected a number after 'power:'"),
        ("power:2", "expected 0 <= alpha <= 1, found 2.0"),
        ("scale:0.5", "expected k >= 1"),
        ("floor:0", "expected count >= 1"),
    ],
)
def test_parse_errors_say_expected_and_found(text, message):
    with pytest.raises(ValueError, match=message):
        parse_strategy(text)


def test_floor_needs_exactly_one_argument():
    with pytest.raises(ValueError, match="exactly one"):
        Floor()
    with pytest.raises(ValueError, match="exactly one"):
        Floor(count=3, fraction=0.1)


def test_strategies_are_imblearn_callables():
    y = np.array([0] * 400 + [1] * 100 + [2] * 4)
    _, y_res = RandomOverSampler(sampling_strategy=Power(0.5), random_state=0).fit_resample(
        np.zeros((len(y), 1)), y
    )
    assert np.bincount(y_res).tolist() == [400, 200, 40]


def test_resolve_all_forms_to_rows_to_add():
    y = np.array(["a"] * 90 + ["b"] * 10)
    assert resolve_sampling_strategy("auto", y) == {"a": 0, "b": 80}
    assert resolve_sampling_strategy("minority", y) == {"a": 0, "b": 80}
    assert resolve_sampling_strategy(0.5, y) == {"a": 0, "b": 35}
    assert resolve_sampling_strategy({"b": 30}, y) == {"a": 0, "b": 20}
    assert resolve_sampling_strategy(Scale(2), y) == {"a": 0, "b": 10}
    assert resolve_sampling_strategy("floor:0.5", y) == {"a": 0, "b": 35}
    with pytest.raises(ValueError):
        resolve_sampling_strategy({"b": 5}, y)  # below the current count
