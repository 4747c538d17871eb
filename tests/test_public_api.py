"""The public API: one obvious line per job, complete ``__all__``, one set of defaults."""

from __future__ import annotations

import pytest
from iotforge.augment import get_augmenter, make_augmenter, method_names


@pytest.mark.parametrize("method", method_names(auto=True))
def test_make_augmenter_keeps_the_class_defaults(method: str) -> None:
    # the command line, params.yaml's stages and auto make augmenters by name: their
    # defaults are the class's own, not a second table
    cls = get_augmenter(method)
    assert make_augmenter(method).get_params() == cls().get_params()
    assert type(make_augmenter(method)) is cls


def test_make_augmenter_passes_what_it_is_given() -> None:
    aug = make_augmenter("smote", strategy={"scan": 5}, random_state=3,
                         params={"k_neighbors": 2})
    assert (aug.sampling_strategy, aug.random_state, aug.k_neighbors) == ({"scan": 5}, 3, 2)
