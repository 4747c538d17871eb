"""Label audit: likely label errors by confident learning, and what to do with them.

:class:`LabelAudit` / :func:`find_label_issues` (out-of-fold probabilities, confident
joint, noise matrix, ``prune_by_noise_rate``, the classes and pairs the model can judge,
abstention); :func:`apply_policy`
(``keep``, ``quarantine``, ``relabel``) and :func:`account` (the curate accounting
carried through). ``iotforge labels`` wraps them; docs/labels.md is the guide.
"""

from ._confident import (
    RankBy,
    calibrate,
    class_thresholds,
    confident_joint,
    noise_matrix,
    prune_by_noise_rate,
    rank_scores,
)
from ._judge import MIN_CLASS_ROWS, class_judgement, decided, keep_last_rows, pair_judgement
from ._oof import FoldMode, fold_ids, oof_probabilities
from .audit import MAX_GIVEN_PROB, MIN_LIFT, LabelAudit, LabelIssues, find_label_issues, oof_quality
from .policy import RULE, LabelPolicy, PolicyResult, account, apply_policy

__all__ = ["MAX_GIVEN_PROB", "MIN_CLASS_ROWS", "MIN_LIFT", "RULE", "FoldMode", "LabelAudit",
           "LabelIssues", "LabelPolicy", "PolicyResult", "RankBy", "account", "apply_policy",
           "calibrate", "class_judgement", "class_thresholds", "confident_joint", "decided",
           "find_label_issues", "fold_ids", "keep_last_rows", "noise_matrix",
           "oof_probabilities", "oof_quality", "pair_judgement", "prune_by_noise_rate",
           "rank_scores"]
