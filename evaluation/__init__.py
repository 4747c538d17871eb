"""Evaluation: does synthetic data help classifiers on real test rows, and is it faithful?

- :mod:`iotforge.evaluation.classifiers`: the IoT intrusion-detection literature's classifiers as
  scikit-learn pipelines (imputation, one-hot, scaling, optional PCA), plus k-means.
- :mod:`iotforge.evaluation.deep`, :mod:`iotforge.evaluation.anomaly`: deep models in torch (MLP,
1-D CNN,
  GRU, DBN, their ensemble) and the autoencoder anomaly detector.
- :mod:`iotforge.evaluation.assoc_rules`, :mod:`iotforge.evaluation.rule_classifier`:
association-rule
  signatures per class, the rule-based classifier, rule fidelity of synthetic rows.
- :mod:`iotforge.evaluation.metrics`: per-class and overall metrics, the per-seed paired comparison.
- :mod:`iotforge.evaluation.bootstrap`, :mod:`iotforge.evaluation.comparisons`: the paired
bootstrap over
  test rows and seeds, and every augmenter against no augmentation with a verdict.
- :mod:`iotforge.evaluation.diagnostics`: rare classes and where their synthetic rows land.
- :mod:`iotforge.evaluation.predictions`: every run's test predictions, as label codes.
- :mod:`iotforge.evaluation.fidelity`: per-column similarity, correlation difference, SDMetrics
  quality, distance to closest record, exact-match rate.
- :mod:`iotforge.evaluation.evaluate`: classifiers x augmenters x arms x seeds -> tidy results.
- :mod:`iotforge.evaluation.store`: results directory (``metrics.json`` for DVC, plot tables).
- :mod:`iotforge.evaluation.report`: the self-contained HTML report and its Markdown summary.

Importing this package is cheap: a public name is imported (with scikit-learn, torch)
the first time it is used, so the command line starts without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iotforge.curation.bootstrap import paired_bootstrap

    from ._features import feature_columns, prepare_features
    from .anomaly import AutoencoderDetector, detection_metrics
    from .assoc_rules import RuleSet, mine_rules, rule_fidelity
    from .classifiers import CLASSIFIERS, make_classifier
    from .comparisons import compare
    from .deep import (
        CNNClassifier,
        DBNClassifier,
        DeepEnsembleClassifier,
        DeepMLPClassifier,
        RNNClassifier,
    )
    from .diagnostics import neighbour_overlap, rare_classes
    from .evaluate import ARMS, EvaluationResult, evaluate
    from .fidelity import fidelity
    from .metrics import PairedComparison, classification_metrics, paired_comparison
    from .predictions import Predictions
    from .report import SECTIONS, Report, build_report, write_report
    from .rule_classifier import AssociationRuleClassifier
    from .store import read_results, write_results
    from .summary import leaderboard, metrics_json

# public name -> the module that defines it (a sibling, or by its full name; imported on
# first use)
_LAZY: dict[str, str] = {
    **dict.fromkeys(("AutoencoderDetector", "detection_metrics"), "anomaly"),
    **dict.fromkeys(("RuleSet", "mine_rules", "rule_fidelity"), "assoc_rules"),
    "paired_bootstrap": "iotforge.curation.bootstrap",
    **dict.fromkeys(("CLASSIFIERS", "make_classifier"), "classifiers"),
    "compare": "comparisons",
    **dict.fromkeys(("CNNClassifier", "DBNClassifier", "DeepEnsembleClassifier",
                     "DeepMLPClassifier", "RNNClassifier"), "deep"),
    **dict.fromkeys(("neighbour_overlap", "rare_classes"), "diagnostics"),
    **dict.fromkeys(("ARMS", "EvaluationResult", "evaluate"), "evaluate"),
    **dict.fromkeys(("feature_columns", "prepare_features"), "_features"),
    "fidelity": "fidelity",
    **dict.fromkeys(("PairedComparison", "classification_metrics", "paired_comparison"),
                    "metrics"),
    "Predictions": "predictions",
    **dict.fromkeys(("SECTIONS", "Report", "build_report", "write_report"), "report"),
    "AssociationRuleClassifier": "rule_classifier",
    **dict.fromkeys(("read_results", "write_results"), "store"),
    **dict.fromkeys(("leaderboard", "metrics_json"), "summary"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module if module.startswith("iotforge.")
                                           else f".{module}", __name__), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "ARMS",
    "CLASSIFIERS",
    "SECTIONS",
    "AssociationRuleClassifier",
    "AutoencoderDetector",
    "CNNClassifier",
    "DBNClassifier",
    "DeepEnsembleClassifier",
    "DeepMLPClassifier",
    "EvaluationResult",
    "PairedComparison",
    "Predictions",
    "RNNClassifier",
    "Report",
    "RuleSet",
    "build_report",
    "classification_metrics",
    "compare",
    "detection_metrics",
    "evaluate",
    "feature_columns",
    "fidelity",
    "leaderboard",
    "make_classifier",
    "metrics_json",
    "mine_rules",
    "neighbour_overlap",
    "paired_bootstrap",
    "paired_comparison",
    "prepare_features",
    "rare_classes",
    "read_results",
    "rule_fidelity",
    "write_results",
    "write_report",
]
