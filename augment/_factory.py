"""Augmenters by method name: the registry's classes (plugins included) or ``auto``, with
their own default parameters and a contract where the augmenter takes one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iotforge.curation.errors import UsageError

from ._registry import AUTO, BUILTIN, get_augmenter, method_parameters

__all__ = ["METHODS", "is_class_local", "make_augmenter"]

# method name -> class name of the built-in augmenters, a view of the registry
METHODS: dict[str, str] = {name: target.rpartition(":")[2] for name, target in BUILTIN.items()}


def make_augmenter(method: str, *, strategy: Any = None, random_state: Any = None,
                   params: Mapping[str, Any] | None = None, contract: Any = None) -> Any:
    """An augmenter by method name, as ``iotforge augment --method`` makes it.

    Parameters
    ----------
    method : str
        A name of :func:`iotforge.augment.method_names` (plugins included) or ``"auto"``.
    strategy : str, float, dict or callable, optional
        The ``sampling_strategy`` (``"power:0.5"``, ``{"ddos": 500}``...); None keeps the
        class's default.
    random_state : int, optional
        The augmenter's seed.
    params : mapping, optional
        Other keyword arguments of the class; an unknown one is a usage error. The
        class's own defaults hold for the rest: ``make_augmenter(name)`` equals
        ``get_augmenter(name)()``.
    contract : optional
        A row contract, passed only to augmenters that take one.

    Returns
    -------
    BaseAugmenter
        An unfitted imbalanced-learn sampler.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"bytes": [10.0, 12.0, 14.0, 16.0, 18.0, 500.0, 520.0, 540.0],
    ...                   "flag": ["S", "S", "SA", "S", "SA", "F", "F", "R"]})
    >>> y = ["benign"] * 5 + ["scan"] * 3
    >>> aug = make_augmenter("smote", strategy={"scan": 5}, random_state=0,
    ...                      params={"k_neighbors": 2})
    >>> X_res, y_res = aug.fit_resample(X, y)
    >>> list(pd.Series(y_res).value_counts().sort_index())
    [5, 5]
    """
    cls = get_augmenter(method)
    known = set(method_parameters(method))
    unknown = set(params or {}) - known
    if unknown:
        raise UsageError(f"{method}: unknown parameters {sorted(unknown)}; it takes "
                         f"{sorted(known)}")
    kwargs = {**(params or {}), "random_state": random_state}
    if strategy is not None:
        kwargs["sampling_strategy"] = strategy
    if contract is not None and "contract" in known:
        kwargs["contract"] = contract
    return cls(**kwargs)


def is_class_local(method: str, params: Mapping[str, Any] | None = None) -> bool:
    """Whether ``method`` makes each class's rows from that class alone (``_class_local``
    on the augmenter: SMOTE, random over-sampling, per-class generators)."""
    if method == AUTO:
        return False
    sampler = make_augmenter(method, strategy="auto", random_state=0, params=params)
    return bool(getattr(sampler, "_class_local", False))
