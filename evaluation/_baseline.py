"""Reuse a stored evaluation's ``none`` runs instead of training them again.

The DVC pipeline trains the no-augmentation baseline once (``iotforge evaluate --arms
none``); each augmenter's stage reads it. A baseline is only reused for the same
training and test rows (:func:`iotforge.evaluation.predictions.fingerprint` of features and
classes), the same target, and every classifier and seed asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iotforge.curation.errors import UsageError
from iotforge.curation.schema import LABEL

from .predictions import Predictions

__all__ = ["use_baseline"]


def use_baseline(baseline: Any, prints: Mapping[str, str], target: str,
                  classifiers: list[str], seeds: list[int], runs: list[dict[str, Any]],
                  matrices: list[dict[str, Any]], predictions: Predictions,
                  detectors: set[str], notes: list[str]) -> None:
    """Take the ``none`` runs from a stored evaluation, after checking it fits."""
    cfg = baseline.config
    rerun = "rerun the baseline (iotforge evaluate --arms none) on this split"
    if cfg.get("target", LABEL) != target:
        raise UsageError(f"expected a baseline of target {target!r}, found target "
                         f"{cfg.get('target', LABEL)!r}", hint=rerun)
    if any(cfg.get(k) != v for k, v in prints.items()):
        raise UsageError("expected a baseline evaluated on these training and test rows, "
                         "found one of other rows", hint=rerun)
    lacking_clf = [c for c in classifiers if c not in (cfg.get("classifiers") or [])]
    lacking_seeds = [s for s in seeds if s not in (cfg.get("seeds") or [])]
    if lacking_clf or lacking_seeds:
        raise UsageError(f"expected a baseline with classifiers {classifiers} and seeds "
                         f"{seeds}, found classifiers {cfg.get('classifiers')} and seeds "
                         f"{cfg.get('seeds')}",
                         hint="give the baseline the same --classifiers and --seeds")
    res = baseline.results
    keep = (res["arm"] == "none") & res["classifier"].isin(classifiers) & res["seed"].isin(seeds)
    runs += res[keep].to_dict("records")
    matrices += [c for c in baseline.confusion if c["arm"] == "none"
                 and c["classifier"] in classifiers and c["seed"] in seeds]
    for key, codes in baseline.predictions.runs.items():
        if key[1] == "none" and key[2] in classifiers and key[3] in seeds:
            predictions.add(key, baseline.predictions.decode(codes))
    detectors |= set(cfg.get("detectors") or []) & set(classifiers)
    notes += [n for n in baseline.notes if n.startswith("none /")]
