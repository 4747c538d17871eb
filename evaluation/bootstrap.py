"""What the paired bootstrap's intervals cover, in words, and verdict counts.

The bootstrap itself (:func:`paired_bootstrap`, :class:`BootstrapResult`,
:data:`MIN_CLASS_ROWS`) is :mod:`iotforge.curation.bootstrap`, shared with
:class:`~iotforge.augment.AutoAugmenter`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["describe_scope", "verdict_counts"]


def describe_scope(n_test: int, n_seeds: int, n_boot: int, seeds_vary: str,
                   resample_seeds: bool = True) -> str:
    """What an interval covers, in words, e.g. for the report's comparison table.

    >>> for part in describe_scope(1200, 5, 1000, "classifier seeds").split(" and of "):
    ...     print(part)
    1,000 resamples of the 1,200 test rows (stratified by class)
    5 seeds (classifier seeds)
    """
    text = f"{n_boot:,} resamples of the {n_test:,} test rows (stratified by class)"
    if n_seeds > 1 and resample_seeds:
        return f"{text} and of {n_seeds} seeds ({seeds_vary})"
    return f"{text}; {n_seeds} seed{'s' if n_seeds != 1 else ''} not resampled ({seeds_vary})"


def verdict_counts(verdicts: Sequence[str] | Mapping[str, str]) -> dict[str, int]:
    """How many of each verdict.

    >>> verdict_counts(["helped", "hurt", "helped"])
    {'helped': 2, 'hurt': 1, 'no detectable difference': 0, 'untested': 0}
    """
    values = list(verdicts.values()) if isinstance(verdicts, Mapping) else list(verdicts)
    return {v: values.count(v) for v in ("helped", "hurt", "no detectable difference",
                                         "untested")}
