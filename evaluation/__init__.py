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
"""

from .anomaly import AutoencoderDetector, detection_metrics
from .assoc_rules import RuleSet, mine_rules, rule_fidelity
from .bootstrap import paired_bootstrap
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
from .evaluate import ARMS, EvaluationResult, evaluate, feature_columns, prepare_features
from .fidelity import fidelity
from .metrics import PairedComparison, classification_metrics, paired_comparison
from .predictions import Predictions
from .report import SECTIONS, Report, build_report, write_report
from .rule_classifier import AssociationRuleClassifier
from .store import read_results, write_results
from .summary import leaderboard, metrics_json

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
