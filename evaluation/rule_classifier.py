"""The survey's association-rule (AR) classifier: a class is predicted by its best rule.

:class:`AssociationRuleClassifier` mines class association rules on the training rows
(:func:`iotforge.evaluation.assoc_rules.mine_rules`), ranks all of them together by confidence,
lift, support count and length, and predicts for each row the class of the
highest-ranked rule whose items the row contains (CBA's rule order, Liu et al. 1998);
a row no rule matches gets the majority training class.

It takes the evaluation's prepared feature frame as is (float numeric columns, string
categorical columns, missing values kept): the rules discretize it themselves, so the
pipeline's imputation, one-hot encoding and scaling would only blur the items. A NumPy
array works too (every column numeric).

>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"dst_port": [23.0] * 4 + [80.0] * 6, "proto": ["tcp"] * 10})
>>> y = ["mirai"] * 4 + ["normal"] * 6
>>> clf = AssociationRuleClassifier(min_support=0.5).fit(X, y)
>>> clf.predict(pd.DataFrame({"dst_port": [23.0, 443.0], "proto": ["tcp", "udp"]})).tolist()
['mirai', 'normal']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .assoc_rules import RuleSet, mine_rules

__all__ = ["AssociationRuleClassifier"]

_CLASS = "__class__"


def _bools_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    for col in frame.columns:
        if frame[col].dtype.kind == "b":
            frame[col] = frame[col].astype(float)
    return frame


class AssociationRuleClassifier(ClassifierMixin, BaseEstimator):
    """Predict the class of the best matching association rule, else the majority class.

    Parameters
    ----------
    min_support : float
        Least share of a class's training rows a rule must cover.
    min_confidence : float
        Least P(class | items) of a rule.
    max_len : int
        Most items per rule.
    rules_per_class : int
        Rules kept per class (after ranking and pruning).
    n_bins : int
        Quantile bins per continuous numeric column.

    Attributes
    ----------
    rules_ : RuleSet
        The mined rules (classes as in ``classes_``, written as text).
    majority_ : label
        The fallback class.
    """

    def __init__(self, *, min_support: float = 0.1, min_confidence: float = 0.5,
                 max_len: int = 3, rules_per_class: int = 20, n_bins: int = 4) -> None:
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.max_len = max_len
        self.rules_per_class = rules_per_class
        self.n_bins = n_bins

    def _frame(self, X: Any, y: Any = None, *, reset: bool) -> tuple[pd.DataFrame, Any]:
        if isinstance(X, pd.DataFrame):
            # sklearn's bookkeeping (feature names, counts); the rules read the frame itself
            validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)
            if y is not None:
                y = column_or_1d(y, warn=True)
            return X.reset_index(drop=True), y
        if y is None:
            arr = validate_data(self, X, reset=reset, ensure_all_finite="allow-nan")
        else:
            arr, y = validate_data(self, X, y, reset=reset, ensure_all_finite="allow-nan")
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])]), y

    def fit(self, X: Any, y: Any) -> AssociationRuleClassifier:
        frame, y = self._frame(X, y, reset=True)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self.majority_ = self.classes_[np.bincount(codes).argmax()]
        frame = _bools_as_numbers(frame)
        numeric = [c for c in frame.columns if frame[c].dtype.kind in "fiu"]
        categorical = [c for c in frame.columns if c not in numeric]
        if len(self.classes_) < 2:
            self.rules_ = None
            self.rule_class_ = np.array([], dtype=int)
            return self
        self.rules_ = mine_rules(frame.assign(**{_CLASS: codes.astype(str)}),
                                 numeric=numeric, categorical=categorical, label=_CLASS,
                                 min_support=self.min_support,
                                 min_confidence=self.min_confidence, max_len=self.max_len,
                                 top=self.rules_per_class, n_bins=self.n_bins)
        rules = self.rules_.rules.sort_values(
            ["confidence", "lift", "support_count", "length"],
            ascending=[False, False, False, True], kind="stable").reset_index(drop=True)
        self.rules_.rules = rules
        self.rule_class_ = rules["class"].astype(int).to_numpy()
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "classes_")
        frame, _ = self._frame(X, reset=False)
        out = np.full(len(frame), self.majority_, dtype=self.classes_.dtype)
        if self.rules_ is None or not len(self.rule_class_):
            return out
        frame = _bools_as_numbers(frame)
        hits = self.rules_.matches(frame)
        matched = hits.any(axis=1)
        first = hits.argmax(axis=1)
        out[matched] = self.classes_[self.rule_class_[first[matched]]]
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value is a row without that item
        return tags

    @property
    def rule_set(self) -> RuleSet | None:
        """The mined rules with class names instead of class codes (for reading)."""
        check_is_fitted(self, "classes_")
        if self.rules_ is None:
            return None
        rules = self.rules_.rules.assign(class_=self.classes_[self.rule_class_].astype(str))
        rules["class"] = rules.pop("class_")
        return RuleSet(rules, self.rules_.encoder, {
            str(self.classes_[int(c)]): n for c, n in self.rules_.class_counts.items()},
            self.rules_.config, self.rules_.notes)
