"""Skew-preserving sampling strategies.

imbalanced-learn's strategies either balance every class (``'auto'``) or need exact
numbers per class (a dict). Intrusion-detection data is skewed on purpose: the base rate
of an attack is information a classifier should keep. The strategies here raise rare
classes while keeping the *rank order* of class sizes: a smaller class never overtakes a
larger one (ties may stay ties). Only ``Power(0)`` and ``Floor(fraction=1.0)`` balance.

Each strategy maps ``{class: count}`` to ``{class: target count}`` with every target at
least the current count. A strategy is also a callable ``strategy(y) -> dict``, the
callable form imbalanced-learn accepts, so it works with the raw library samplers too.
"""

from __future__ import annotations

import math
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from imblearn.utils import check_sampling_strategy
from sklearn.utils._param_validation import Interval, StrOptions

__all__ = [
    "SAMPLING_STRATEGY_CONSTRAINTS",
    "Floor",
    "Power",
    "Scale",
    "SkewStrategy",
    "parse_strategy",
    "resolve_sampling_strategy",
]

_IMBLEARN_NAMES = {"auto", "minority", "not minority", "not majority", "all"}


class SkewStrategy(ABC):
    """A sampling strategy that maps class counts to target counts."""

    @abstractmethod
    def targets(self, counts: Mapping[Hashable, int]) -> dict[Hashable, int]:
        """Return ``{class: target}``; every target is at least ``counts[class]``."""

    def __call__(self, y: Any) -> dict[Hashable, int]:
        """imbalanced-learn's callable form: targets from the label vector ``y``."""
        values, freq = np.unique(np.asarray(y), return_counts=True)
        return self.targets(dict(zip(values.tolist(), freq.tolist(), strict=True)))


def _checked(counts: Mapping[Hashable, int]) -> dict[Hashable, int]:
    out = {c: int(n) for c, n in counts.items()}
    if not out or min(out.values()) < 1:
        raise ValueError(f"expected at least one class with positive count, found {out}")
    return out


@dataclass(frozen=True)
class Floor(SkewStrategy):
    """Raise every class to at least ``count`` rows or ``fraction`` of the majority.

    Classes already above the floor keep their size; the floor is capped at the
    majority size, so the majority never grows.

    Parameters
    ----------
    count : int, optional
        Minimum rows per class.
    fraction : float, optional
        Minimum rows per class as a fraction of the largest class, in (0, 1].
        Exactly one of ``count`` and ``fraction`` is given.

    Examples
    --------
    >>> Floor(fraction=0.1).targets({"normal": 1000, "scan": 20, "ddos": 300})
    {'normal': 1000, 'scan': 100, 'ddos': 300}
    >>> Floor(count=50).targets({"normal": 1000, "scan": 20})
    {'normal': 1000, 'scan': 50}
    """

    count: int | None = None
    fraction: float | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.fraction is None):
            raise ValueError("Floor: expected exactly one of count= and fraction=")
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise ValueError(f"Floor: expected count >= 1, found {self.count!r}")
        if self.fraction is not None and not 0 < self.fraction <= 1:
            raise ValueError(f"Floor: expected 0 < fraction <= 1, found {self.fraction!r}")

    def targets(self, counts: Mapping[Hashable, int]) -> dict[Hashable, int]:
        counts = _checked(counts)
        n_max = max(counts.values())
        if self.count is not None:
            floor = int(self.count)
        else:
            floor = math.ceil(float(self.fraction) * n_max - 1e-9)  # type: ignore[arg-type]
        floor = min(floor, n_max)
        return {c: max(n, floor) for c, n in counts.items()}


@dataclass(frozen=True)
class Power(SkewStrategy):
    """Targets proportional to ``n_c ** alpha``, rescaled so the majority keeps its size.

    ``target_c = max(n_c, round(n_max * (n_c / n_max) ** alpha))``. ``alpha=1`` keeps
    the data as it is, ``alpha=0`` balances every class to the majority, values between
    flatten the skew on a log scale (``alpha=0.5`` halves every log-ratio to the majority).

    Parameters
    ----------
    alpha : float
        Exponent in [0, 1].

    Examples
    --------
    >>> Power(0.5).targets({"normal": 10000, "scan": 100})
    {'normal': 10000, 'scan': 1000}
    """

    alpha: float

    def __post_init__(self) -> None:
        if not 0 <= self.alpha <= 1:
            raise ValueError(f"Power: expected 0 <= alpha <= 1, found {self.alpha!r}")

    def targets(self, counts: Mapping[Hashable, int]) -> dict[Hashable, int]:
        counts = _checked(counts)
        n_max = max(counts.values())
        return {c: max(n, round(n_max * (n / n_max) ** self.alpha)) for c, n in counts.items()}


@dataclass(frozen=True)
class Scale(SkewStrategy):
    """Multiply every minority class by ``k``, capped below the next larger class.

    Classes are processed from the largest down; a class's target is
    ``floor(k * n_c)`` but at most one less than the target of the next larger class, so
    the rank order survives. The largest class(es) keep their size; equal classes get
    equal targets.

    Parameters
    ----------
    k : float
        Multiplier, at least 1.

    Examples
    --------
    >>> Scale(3).targets({"normal": 1000, "ddos": 200, "scan": 10, "xss": 90})
    {'normal': 1000, 'ddos': 600, 'scan': 30, 'xss': 270}
    >>> Scale(3).targets({"normal": 1000, "ddos": 200, "dos": 150})
    {'normal': 1000, 'ddos': 600, 'dos': 450}
    >>> Scale(10).targets({"normal": 1000, "ddos": 200, "dos": 150})
    {'normal': 1000, 'ddos': 999, 'dos': 998}
    """

    k: float

    def __post_init__(self) -> None:
        if not self.k >= 1:
            raise ValueError(f"Scale: expected k >= 1, found {self.k!r}")

    def targets(self, counts: Mapping[Hashable, int]) -> dict[Hashable, int]:
        counts = _checked(counts)
        by_size: dict[int, int] = {}
        cap: int | None = None
        for n in sorted(set(counts.values()), reverse=True):
            if cap is None:
                target = n  # the majority keeps its size
            else:
                target = max(n, min(math.floor(self.k * n + 1e-9), cap - 1))
            by_size[n] = target
            cap = target
        return {c: by_size[n] for c, n in counts.items()}


_KINDS = {"floor", "power", "scale"}
_SHORTHAND = re.compile(r"\s*(?:floor|power|scale)\s*:", re.IGNORECASE)


class StrategyNames(StrOptions):
    """Parameter constraint: imbalanced-learn's strategy names or a skew shorthand.

    A string passes when it is ``'auto'``, ``'minority'``, ``'not minority'``,
    ``'not majority'`` or ``'all'``, or starts with ``floor:``, ``power:`` or ``scale:``
    (:func:`parse_strategy` then says what is wrong with the number, if anything).

    >>> StrategyNames().is_satisfied_by("power:0.5"), StrategyNames().is_satisfied_by("balanced")
    (True, False)
    """

    def __init__(self) -> None:
        super().__init__(set(_IMBLEARN_NAMES))

    def is_satisfied_by(self, val: Any) -> bool:
        return isinstance(val, str) and (val in self.options or bool(_SHORTHAND.match(val)))

    def __str__(self) -> str:
        names = ", ".join(repr(n) for n in sorted(self.options))
        return (f"a str among {{{names}}} or of the form 'floor:<count|fraction>', "
                "'power:<alpha>', 'scale:<k>'")


SAMPLING_STRATEGY_CONSTRAINTS: list[Any] = [
    Interval(numbers.Real, 0, 1, closed="right"),
    StrategyNames(),
    Mapping,
    callable,  # imbalanced-learn's callable form, and every SkewStrategy
]
"""``_parameter_constraints["sampling_strategy"]`` of every augmenter."""


def parse_strategy(text: str) -> SkewStrategy:
    """Parse a shorthand such as ``'floor:0.05'``, ``'floor:200'``, ``'power:0.5'``.

    ``floor:N`` with an integer ``N`` is a count, with a decimal a fraction of the
    majority.

    Examples
    --------
    >>> parse_strategy("floor:0.05")
    Floor(count=None, fraction=0.05)
    >>> parse_strategy("scale:3")
    Scale(k=3.0)
    """
    kind, sep, value = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in _KINDS:
        raise ValueError(
            "expected a sampling strategy 'auto', 'minority', 'not minority', "
            "'not majority', 'all', 'floor:<count|fraction>', 'power:<alpha>' or "
            f"'scale:<k>', found {text!r}"
        )
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number after '{kind}:', found {value!r}") from None
    if kind == "floor":
        if value.lstrip("+").isdigit():
            return Floor(count=int(value))
        return Floor(fraction=number)
    if kind == "power":
        return Power(number)
    return Scale(number)


def resolve_sampling_strategy(strategy: Any, y: Any) -> dict[Hashable, int]:
    """Number of rows to add per class, for every strategy form an augmenter accepts.

    imbalanced-learn forms (name, float, dict of targets, callable) are resolved by
    imbalanced-learn itself; :class:`~iotforge.augment.SkewStrategy` objects and the shorthands
    ``'floor:x'``, ``'power:a'``, ``'scale:k'`` by :mod:`iotforge.augment._strategies`.

    Examples
    --------
    >>> import numpy as np
    >>> resolve_sampling_strategy("power:0.5", np.array([0] * 100 + [1] * 4))
    {0: 0, 1: 16}
    """
    y = np.asarray(y)
    classes, codes = _factorize(y)
    return _resolve(strategy, y, classes, codes)


def _factorize(y: np.ndarray) -> tuple[list[Hashable], np.ndarray]:
    """Sorted classes and integer codes; hashing, not sorting, the (often string) labels."""
    try:
        codes, uniques = pd.factorize(y, sort=True)
        return list(np.asarray(uniques).tolist()), codes.astype(np.intp)
    except TypeError:  # labels of mixed, unorderable types
        uniques, codes = np.unique(y.astype(str), return_inverse=True)
        return [y[np.flatnonzero(codes == i)[0]] for i in range(len(uniques))], codes


def _resolve(strategy: Any, y: np.ndarray, classes: list[Hashable], codes: np.ndarray) -> dict:
    # imbalanced-learn resolves on integer codes: np.unique over string labels is slow
    if isinstance(strategy, str) and strategy not in _IMBLEARN_NAMES:
        strategy = parse_strategy(strategy)
    if isinstance(strategy, SkewStrategy):
        counts = np.bincount(codes, minlength=len(classes)).tolist()
        strategy = strategy.targets(dict(zip(classes, counts, strict=True)))
    elif callable(strategy):
        strategy = strategy(y)  # a user callable sees the real labels
    if isinstance(strategy, Mapping):
        index = {c: i for i, c in enumerate(classes)}
        unknown = [k for k in strategy if k not in index]
        if unknown:
            raise ValueError(
                f"sampling_strategy: expected classes of y ({classes[:10]}), found {unknown}"
            )
        strategy = {index[k]: v for k, v in strategy.items()}
    resolved = check_sampling_strategy(strategy, codes, "over-sampling")
    return {c: int(resolved.get(i, 0)) for i, c in enumerate(classes)}
