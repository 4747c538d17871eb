"""The classifiers of the IoT intrusion-detection literature, as scikit-learn pipelines.

Every entry of :data:`CLASSIFIERS` becomes, through :func:`make_classifier`, one pipeline
that takes the prepared feature frame (float ``numeric`` columns, string ``categorical``
columns with missing values; :func:`iotforge.evaluation.evaluate.prepare_features`) and does:

1. **imputation**: numeric columns get the training median, categorical columns the
   constant ``"__missing__"`` (curated tables mix sources, so most columns are missing
   for some rows);
2. **encoding**: one-hot for categorical columns (at most ``MAX_CATEGORIES`` per column,
   rarer values grouped, unseen values ignored);
3. **scaling** for the models that compare distances or follow gradients (SVM, k-NN,
   naive Bayes, MLP, the ensemble, k-means): a signed log, ``sign(x) * log1p(|x|)``,
   then standardization, because flow counts span nine orders of magnitude;
4. optionally **PCA** (``pca=0.95`` keeps 95 % of the variance);
5. the model, sized for a laptop's two cores (see the table in ``docs/evaluation.md``).

The SVM fits on at most ``SVM_MAX_ROWS`` training rows (kernel SVC costs O(n^2) memory
and more in time): a proportional per-class subsample that keeps at least
``MIN_ROWS_PER_CLASS`` rows of every class (all of a smaller class). k-means is the
unsupervised baseline: clusters are labeled with the majority training label.

>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"bytes": [1.0, 2.0, np.nan, 900.0, 950.0, 990.0],
...                   "proto": ["tcp", "tcp", None, "udp", "udp", "udp"]})
>>> y = np.array(["normal"] * 3 + ["ddos"] * 3)
>>> make_classifier("decision_tree", 0).fit(X, y).predict(X).tolist() == y.tolist()
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from iotforge.curation.errors import UsageError
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from . import deep
from ._preprocess import MAX_CATEGORIES, _preprocessor
from ._typing import ClassifierFactory
from .anomaly import AutoencoderDetector
from .rule_classifier import AssociationRuleClassifier

__all__ = ["CLASSIFIERS", "MIN_ROWS_PER_CLASS", "SVM_MAX_ROWS", "ClassifierSpec", "KMeansMajority",
           "Subsampled", "capped_indices", "classifier_factory", "make_classifier"]

SVM_MAX_ROWS = 3000
MIN_ROWS_PER_CLASS = 50


@dataclass(frozen=True)
class ClassifierSpec:
    """How to build one model: the estimator, whether it needs scaling, a row cap.

    ``encode=False``: the model takes the prepared feature frame itself (no imputation,
    one-hot, scaling or PCA), as the association-rule classifier does.
    """

    build: Callable[[int], Any]
    scale: bool
    description: str
    max_rows: int | None = None
    encode: bool = True


def _decision_tree(seed: int) -> Any:
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(random_state=seed)


def _random_forest(seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=seed)


def _svm(seed: int) -> Any:
    from sklearn.svm import SVC

    return SVC(kernel="rbf", C=10.0, gamma="scale", random_state=seed)


def _naive_bayes(seed: int) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB()


def _knn(seed: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=5)


def _ensemble(seed: int) -> Any:
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    return VotingClassifier(
        [("tree", DecisionTreeClassifier(max_depth=12, random_state=seed)),
         ("logreg", LogisticRegression(max_iter=200)),
         ("knn", KNeighborsClassifier(n_neighbors=5))],
        voting="soft")


def _gradient_boosting(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # sklearn's defaults diverge on classes of a dozen rows (tiny hessians, exploding leaf
    # values: macro-F1 0.21 on the demo data); an L2 penalty and smaller leaves fix it
    return HistGradientBoostingClassifier(max_iter=40, learning_rate=0.2, max_bins=63,
                                          l2_regularization=1.0, min_samples_leaf=5,
                                          early_stopping=False, random_state=seed)


def _mlp(seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=60, random_state=seed)


def _kmeans(seed: int) -> Any:
    return KMeansMajority(random_state=seed)


def _deep(name: str) -> Callable[[int], Any]:
    def build(seed: int) -> Any:
        return getattr(deep, name)(random_state=seed)

    build.__name__ = f"_{name}"
    return build


def _autoencoder(seed: int) -> Any:
    return AutoencoderDetector(random_state=seed)


def _association_rules(seed: int) -> Any:
    return AssociationRuleClassifier()


CLASSIFIERS: dict[str, ClassifierSpec] = {
    "decision_tree": ClassifierSpec(_decision_tree, False, "CART, unpruned"),
    "random_forest": ClassifierSpec(_random_forest, False, "100 trees"),
    "svm": ClassifierSpec(_svm, True, f"RBF kernel, C=10, on <= {SVM_MAX_ROWS} rows",
                          max_rows=SVM_MAX_ROWS),
    "naive_bayes": ClassifierSpec(_naive_bayes, True, "Gaussian"),
    "knn": ClassifierSpec(_knn, True, "k=5, Euclidean"),
    "ensemble": ClassifierSpec(_ensemble, True,
                               "soft vote: tree (depth 12), logistic regression, 5-NN"),
    "gradient_boosting": ClassifierSpec(_gradient_boosting, False,
                                        "HistGradientBoosting, 40 iterations, L2 1.0"),
    "mlp": ClassifierSpec(_mlp, True, "64-32 ReLU, Adam, <= 60 epochs"),
    "kmeans": ClassifierSpec(_kmeans, True,
                             "unsupervised: 2 clusters per class, majority label"),
    "association_rules": ClassifierSpec(
        _association_rules, False, "best matching class association rule (FP-growth, "
        "support 0.1, confidence 0.5, <= 3 items, 20 rules per class), else majority",
        encode=False),
    "deep_mlp": ClassifierSpec(_deep("DeepMLPClassifier"), True,
                               "torch MLP 64-32 ReLU, Adam, early stopping, <= 30 epochs"),
    "cnn": ClassifierSpec(_deep("CNNClassifier"), True,
                          "1-D CNN over the feature vector, 2 x 16 channels, early stopping"),
    "rnn": ClassifierSpec(_deep("RNNClassifier"), True,
                          "GRU (32 units) over the feature vector in steps of 8 features"),
    "dbn": ClassifierSpec(_deep("DBNClassifier"), True,
                          "2 stacked Bernoulli RBMs (64, 32) feeding a torch MLP"),
    "deep_ensemble": ClassifierSpec(_deep("DeepEnsembleClassifier"), True,
                                    "mean probabilities of deep_mlp, cnn and rnn (EDLN)"),
    "autoencoder": ClassifierSpec(_autoencoder, True,
                                  "unsupervised: trained on normal rows, flags rows whose "
                                  "reconstruction error exceeds the 99th percentile",
                                  encode=False),  # preprocesses the normal rows itself
}
"""Name -> :class:`ClassifierSpec`; the names are
:data:`iotforge.evaluation._typing.ClassifierName`."""


def make_classifier(name: str, random_state: int = 0, *, pca: float | int | None = None,
                    max_categories: int | None = MAX_CATEGORIES) -> Any:
    """A fresh, unfitted pipeline for the classifier ``name``.

    Parameters
    ----------
    name
        A key of :data:`CLASSIFIERS`.
    random_state
        Seed of the model (and of the SVM's subsample).
    pca
        When given, PCA after encoding: a variance fraction in (0, 1) or a number of
        components. Ignored by a model that takes the feature frame itself
        (``ClassifierSpec.encode`` false).
    max_categories
        One-hot columns per categorical column at most (rarer values grouped); 0 or
        None: one per value.

    Examples
    --------
    >>> make_classifier("svm", 3).max_rows
    3000
    >>> [s for s, _ in make_classifier("knn", pca=0.95).steps]
    ['prepare', 'pca', 'model']
    """
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline

    if name not in CLASSIFIERS:
        raise UsageError(f"expected a classifier in {sorted(CLASSIFIERS)}, found {name!r}")
    spec = CLASSIFIERS[name]
    if not spec.encode:
        return spec.build(random_state)
    steps: list[tuple[str, Any]] = [("prepare", _preprocessor(spec.scale, max_categories))]
    if pca is not None:
        steps.append(("pca", PCA(n_components=pca, random_state=random_state)))
    steps.append(("model", spec.build(random_state)))
    pipeline = Pipeline(steps)
    if spec.max_rows is not None:
        return Subsampled(pipeline, max_rows=spec.max_rows, random_state=random_state)
    return pipeline


def classifier_factory(name: str, *, pca: float | int | None = None,
                       max_categories: int | None = MAX_CATEGORIES) -> ClassifierFactory:
    """``seed -> pipeline`` for ``name`` (what :func:`iotforge.evaluation.evaluate.evaluate`
    takes)."""
    if name not in CLASSIFIERS:
        raise UsageError(f"expected a classifier in {sorted(CLASSIFIERS)}, found {name!r}")

    def factory(seed: int) -> Any:
        return make_classifier(name, seed, pca=pca, max_categories=max_categories)

    return factory


def capped_indices(y: np.ndarray, max_rows: int, min_per_class: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Row indices of a proportional per-class subsample of about ``max_rows`` rows.

    Every class keeps ``max(ceil(n_c * max_rows / n), min(n_c, min_per_class))`` rows,
    so the class skew survives and no class disappears.

    Examples
    --------
    >>> y = np.array(["a"] * 900 + ["b"] * 10)
    >>> idx = capped_indices(y, 100, 50, np.random.default_rng(0))
    >>> int((y[idx] == "a").sum()), int((y[idx] == "b").sum())
    (99, 10)
    """
    n = len(y)
    if n <= max_rows:
        return np.arange(n)
    keep = []
    for cls in np.unique(y):
        rows = np.flatnonzero(y == cls)
        k = max(int(np.ceil(len(rows) * max_rows / n)), min(len(rows), min_per_class))
        keep.append(rows if k >= len(rows) else rng.choice(rows, size=k, replace=False))
    return np.sort(np.concatenate(keep))


class Subsampled(ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on a capped per-class subsample (:func:`capped_indices`).

    Parameters
    ----------
    estimator : classifier
    max_rows : int
    min_per_class : int
    random_state : int
    """

    def __init__(self, estimator: Any, *, max_rows: int = SVM_MAX_ROWS,
                 min_per_class: int = MIN_ROWS_PER_CLASS, random_state: int = 0) -> None:
        self.estimator = estimator
        self.max_rows = max_rows
        self.min_per_class = min_per_class
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> Subsampled:
        y = np.asarray(y)
        idx = capped_indices(y, self.max_rows, self.min_per_class,
                             np.random.default_rng(self.random_state))
        rows = X.iloc[idx] if hasattr(X, "iloc") else X[idx]
        self.estimator_ = clone(self.estimator).fit(rows, y[idx])
        self.classes_ = self.estimator_.classes_
        self.n_fit_rows_ = len(idx)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.estimator_.predict(X))


class KMeansMajority(ClassifierMixin, BaseEstimator):
    """k-means, each cluster labeled with its majority training label.

    Parameters
    ----------
    clusters_per_class : int
        ``n_clusters = clusters_per_class * n_classes`` (at most the number of rows).
    random_state : int

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [10.0], [10.2]])
    >>> KMeansMajority(random_state=0).fit(X, ["a", "a", "b", "b"]).predict([[9.0]]).tolist()
    ['b']
    """

    def __init__(self, *, clusters_per_class: int = 2, random_state: int = 0) -> None:
        self.clusters_per_class = clusters_per_class
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> KMeansMajority:
        from sklearn.cluster import KMeans
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        k = max(1, min(self.clusters_per_class * len(self.classes_), len(np.unique(X, axis=0))))
        self.kmeans_ = KMeans(n_clusters=k, n_init=3, random_state=self.random_state).fit(X)
        counts = np.zeros((k, len(self.classes_)), dtype=int)
        np.add.at(counts, (self.kmeans_.labels_, codes), 1)
        majority = int(np.bincount(codes).argmax())
        self.cluster_label_ = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), majority)
        return self

    def predict(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self, "kmeans_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        clusters = self.kmeans_.predict(X)
        return np.asarray(self.classes_[self.cluster_label_[clusters]])
