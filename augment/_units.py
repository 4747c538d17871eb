"""The fan-out of ``augment_table``: units of work, their seeds, and their reports.

A unit is one source's augmentation, or one class of it when the method makes each
class from that class alone; each has its own seed (:func:`child_seed`), so a unit's
rows do not depend on where or in which order it runs. :func:`run_unit` fits and
samples one unit (replacing rows that break the source's contract); a
:data:`Mapper` runs them all (:func:`local_map` here, the Dask engine's elsewhere);
:func:`_merge_reports` joins the reports of one source's units.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from iotforge.curation.errors import TooLittleDataError

from ._factory import make_augmenter
from ._registry import AUTO

MAX_CONTRACT_ROUNDS = 3


def child_seed(random_state: int, *names: Any) -> int:
    """The seed of one fan-out unit: a source, or a class of a source.

    ``numpy.random.SeedSequence(entropy=random_state, spawn_key=...)`` with one spawn-key
    word per name (the first 4 bytes of the SHA-256 of ``str(name)``), so a unit's seed
    depends on the run's seed and its own names only: not on the other sources or
    classes, nor on the order or the place (process, Dask worker) it runs in.

    Examples
    --------
    >>> child_seed(0, "zeek", "ddos") == child_seed(0, "zeek", "ddos")
    True
    >>> child_seed(0, "zeek", "ddos") != child_seed(0, "zeek", "scan")
    True
    """
    key = tuple(int.from_bytes(hashlib.sha256(str(n).encode("utf-8")).digest()[:4], "little")
                for n in names)
    seq = np.random.SeedSequence(entropy=int(random_state) % 2**64, spawn_key=key)
    # room for the contract's replacement rounds (seed + round) below 2**31 - 1
    return int(seq.generate_state(1, dtype=np.uint32)[0]) % (2**31 - 1 - MAX_CONTRACT_ROUNDS)


@dataclass
class SourceData:
    """What every unit of one source needs: its model frame, classes and contract."""

    source: Any
    X: pd.DataFrame
    y: np.ndarray
    contract: Any = None


@dataclass
class Unit:
    """One fan-out task: a source's augmentation, or one class of it (``cls``)."""

    method: str
    strategy: Any
    seed: int
    params: dict[str, Any]
    cls: Any = None


Mapper = Callable[[Callable[[SourceData, Unit], Any], list[tuple[SourceData, list[Unit]]]],
                  list[list[Any]]]
"""Runs ``func(data, unit)`` for every unit of every source; results in the same order."""


def local_map(func: Callable[[SourceData, Unit], Any],
              groups: list[tuple[SourceData, list[Unit]]]) -> list[list[Any]]:
    """The local engine's :data:`Mapper`: one unit after the other, in order."""
    return [[func(data, unit) for unit in units] for data, units in groups]


def run_unit(data: SourceData, unit: Unit) -> dict[str, Any]:
    """Fit and sample one unit; its synthetic rows, labels and report entries."""
    sampler = make_augmenter(unit.method, strategy=unit.strategy, random_state=unit.seed,
                             params=unit.params, contract=data.contract)
    where = data.source if unit.cls is None else f"{data.source}, class {unit.cls}"
    try:
        X_res, y_res = sampler.fit_resample(data.X, data.y)
    except TooLittleDataError:
        raise
    except ValueError as exc:
        raise TooLittleDataError(f"{unit.method} on source {where!r}: {exc}") from None
    mask = np.asarray(sampler.synthetic_mask_, dtype=bool)
    synth_X = pd.DataFrame(X_res).loc[mask].reset_index(drop=True)
    synth_y = np.asarray(y_res)[mask]
    rejected, extra = 0, []
    auto = unit.method == AUTO
    if data.contract is not None and "contract" not in sampler.get_params() and len(synth_y):
        synth_X, synth_y, rejected, extra = _enforce(
            data.contract, synth_X, synth_y, data.X, data.y,
            sampler.chosen_ if auto else sampler, unit.seed)
    report = {"reject_rate": float(getattr(sampler, "reject_rate_", 0.0) or 0.0),
              "contract_rejected": rejected, **_fitted_report(sampler, extra)}
    return {"X": synth_X, "y": synth_y, "report": report,
            "made_by": f"auto:{sampler.choice_}" if auto else unit.method}


def _units(method: str, strategy: Any, random_state: int, params: dict[str, Any],
           data: SourceData, counts: pd.Series, class_local: bool) -> list[Unit]:
    """One unit per class to grow (class-local methods, each with the class's own target
    count and seed), else one per source."""
    if not class_local:
        return [Unit(method, strategy, child_seed(random_state, data.source), params)]
    from ._strategies import resolve_sampling_strategy  # imbalanced-learn: when needed

    try:
        add = resolve_sampling_strategy(strategy, data.y)
    except ValueError as exc:
        raise TooLittleDataError(f"{method} on source {data.source!r}: {exc}") from None
    return [Unit(method, {c: int(counts[c]) + int(n)}, child_seed(random_state, data.source, c),
                 params, cls=c) for c, n in add.items() if n > 0]


def _merge_reports(reports: list[dict[str, Any]], sizes: list[int]) -> dict[str, Any]:
    """The units' reports of one source as one: counts add up, per-class entries join
    (a reason kept once), the reject rate is weighted by synthetic rows."""
    if not reports:
        return {"reject_rate": 0.0, "contract_rejected": 0}
    out: dict[str, Any] = {}
    for rep in reports:
        for key, value in rep.items():
            if key == "reject_rate" or key not in out:
                out.setdefault(key, copy.deepcopy(value))
            elif isinstance(value, dict):
                for c, x in value.items():
                    if c not in out[key]:
                        out[key][c] = x
                    elif isinstance(x, int) and not isinstance(x, bool):
                        out[key][c] += x
            elif isinstance(value, int) and not isinstance(value, bool):
                out[key] += value
    total = sum(sizes)
    out["reject_rate"] = (float(sum(r["reject_rate"] * n for r, n in zip(reports, sizes,
                                                                          strict=True)) / total)
                          if total else float(reports[0]["reject_rate"]))
    return out


_REPORTED = ("hit_rate_", "variant_", "n_oversampled_", "cleaning_removed_", "selection_")
_MERGED = ("fallbacks_", "topped_up_", "n_jittered_", "n_duplicates_kept_")


def _fitted_report(sampler: Any, extra: Sequence[Any]) -> dict[str, Any]:
    """What the fitted augmenter says it did; the ``_MERGED`` ones summed (or joined)
    over the augmenters of the contract's replacement rounds too."""
    out: dict[str, Any] = {}
    for attr in _REPORTED:
        if hasattr(sampler, attr):
            out[attr.rstrip("_")] = _plain(getattr(sampler, attr))
    for attr in _MERGED:
        values = [getattr(s, attr) for s in (sampler, *extra) if hasattr(s, attr)]
        if not values:
            continue
        if isinstance(values[0], dict):
            merged: dict[Any, Any] = {}
            for v in values:
                for c, x in v.items():
                    if c not in merged:
                        merged[c] = x
                    elif isinstance(x, int):  # row counts add up; a reason is kept once
                        merged[c] += x
            out[attr.rstrip("_")] = _plain(merged)
        else:
            out[attr.rstrip("_")] = int(sum(values))
    return out


def _enforce(contract, X_syn, y_syn, X, y, template, seed):  # type: ignore[no-untyped-def]
    """Replace synthetic rows that break the contract, keeping per-class counts.

    Replacement rows come from copies of the ``template`` augmenter (same parameters,
    new strategy and seed). Returns the rows, how many were rejected, and the
    augmenters of the replacement rounds (their fallbacks belong in the report too).
    """
    from sklearn.base import clone

    ok = contract(X_syn)
    rejected = int((~ok).sum())
    samplers = []
    for round_ in range(1, MAX_CONTRACT_ROUNDS + 1):
        if ok.all():
            break
        need = pd.Series(y_syn[~ok]).value_counts().to_dict()
        sampler = clone(template).set_params(
            sampling_strategy={c: int((y == c).sum()) + n for c, n in need.items()},
            random_state=seed + round_)
        X2, y2 = sampler.fit_resample(X, y)
        samplers.append(sampler)
        m = np.asarray(sampler.synthetic_mask_, dtype=bool)
        X2 = pd.DataFrame(X2).loc[m].reset_index(drop=True)
        y2 = np.asarray(y2)[m]
        ok2 = contract(X2)
        rejected += int((~ok2).sum())
        X_syn = pd.concat([X_syn.loc[ok], X2.loc[ok2]], ignore_index=True)
        y_syn = np.concatenate([y_syn[ok], y2[ok2]])
        ok = np.ones(len(y_syn), dtype=bool)
    return X_syn, y_syn, rejected, samplers


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
