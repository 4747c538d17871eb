"""Augmenters by method name: the registry's classes (plugins included) or ``auto``, with
the project's default parameters and a contract where the augmenter takes one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iotforge.curation.errors import UsageError

from ._registry import AUTO, BUILTIN, get_augmenter, method_parameters

# method name -> class name of the built-in augmenters, a view of the registry
METHODS: dict[str, str] = {name: target.rpartition(":")[2] for name, target in BUILTIN.items()}
# Synthetic rows must be new, so random over-sampling is the smoothed bootstrap
# (imbalanced-learn's shrinkage) here; --param shrinkage=null --param
# reject_duplicates=false gives plain copies back.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "random_oversampler": {"shrinkage": 0.1, "reject_duplicates": True},
}


def make_augmenter(method: str, *, strategy: Any, random_state: int,
                   params: Mapping[str, Any] | None = None, contract: Any = None) -> Any:
    """An augmenter by method name (:mod:`iotforge.augment._registry`, plugins included, or
    ``auto``), with ``params`` for its own keyword arguments."""
    # AutoAugmenter makes its candidates here: imported when used, not at the top
    from ._auto import AutoAugmenter

    cls = AutoAugmenter if method == AUTO else get_augmenter(method)
    known = set(method_parameters(method))
    unknown = set(params or {}) - known
    if unknown:
        raise UsageError(f"{method}: unknown parameters {sorted(unknown)}; it takes "
                         f"{sorted(known)}")
    kwargs = {**DEFAULT_PARAMS.get(method, {}), **(params or {}),
              "sampling_strategy": strategy, "random_state": random_state}
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
