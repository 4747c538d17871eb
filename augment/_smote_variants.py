"""SMOTE variants that pick where to interpolate.

Borderline-SMOTE and SVM-SMOTE interpolate near the class boundary, ADASYN where the
class is hardest to learn, KMeans-SMOTE inside dense clusters of the class. None of them
hits an exact count natively; :mod:`iotforge.augment._smote` explains how the wrappers do.
Random over-sampling is in :mod:`iotforge.augment._random_oversampler`.
"""

from __future__ import annotations

import numbers
from typing import Any

from imblearn.over_sampling import ADASYN, SVMSMOTE, BorderlineSMOTE, KMeansSMOTE
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._smote import _ImblearnAugmenter
from ._typing import BorderlineKind

__all__ = [
    "ADASYNAugmenter",
    "BorderlineSMOTEAugmenter",
    "KMeansSMOTEAugmenter",
    "SVMSMOTEAugmenter",
]


class _NeighbourAugmenter(_ImblearnAugmenter):
    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        categorical_features: Any = "auto",
        constrain: bool = True,
        reject_duplicates: bool = True,
        max_retries: int = 10,
        k_neighbors: int = 5,
        jitter: float = 0.05,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
        )
        self.k_neighbors = k_neighbors
        self.jitter = jitter


class BorderlineSMOTEAugmenter(_NeighbourAugmenter):
    """Borderline-SMOTE: interpolate from minority rows "in danger" near the boundary.

    Use it when the rare class overlaps a larger one and the boundary is what a
    classifier gets wrong. When no row of a class is in danger the shortfall comes from
    plain SMOTE (``n_topped_up_``).

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        See :class:`iotforge.augment.BaseAugmenter`.
    k_neighbors : int, default=5
        Neighbours to interpolate with; per class ``min(k_neighbors, n_c - 1)``.
    jitter : float, default=0.05
        Noise (times the column's standard deviation) for classes of one or two rows.
    m_neighbors : int, default=10
        Neighbours (all classes) that decide whether a row is in danger.
    kind : {'borderline-1', 'borderline-2'}, default='borderline-1'

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> aug = BorderlineSMOTEAugmenter(sampling_strategy="floor:0.5", random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_synthetic_
    {0: 0, 1: 104}
    """

    _parameter_constraints: dict = {
        **_ImblearnAugmenter._parameter_constraints,
        "m_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "kind": [StrOptions({"borderline-1", "borderline-2"})],
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        categorical_features: Any = "auto",
        constrain: bool = True,
        reject_duplicates: bool = True,
        max_retries: int = 10,
        k_neighbors: int = 5,
        jitter: float = 0.05,
        m_neighbors: int = 10,
        kind: BorderlineKind = "borderline-1",
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
            k_neighbors=k_neighbors,
            jitter=jitter,
        )
        self.m_neighbors = m_neighbors
        self.kind = kind

    def _make_sampler(self, strategy: dict, k: int, seed: int) -> Any:
        return BorderlineSMOTE(
            sampling_strategy=strategy,
            k_neighbors=k,
            m_neighbors=self.m_neighbors,
            kind=self.kind,
            random_state=seed,
        )


class SVMSMOTEAugmenter(_NeighbourAugmenter):
    """SVM-SMOTE: interpolate from the support vectors of an SVM.

    Slower than Borderline-SMOTE (it fits one SVM per class); same use case when the
    boundary is smooth. A class whose support vectors are all noise falls back to plain
    SMOTE with a warning.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        See :class:`iotforge.augment.BaseAugmenter`.
    k_neighbors : int, default=5
        Neighbours to interpolate with; per class ``min(k_neighbors, n_c - 1)``.
    jitter : float, default=0.05
        Noise (times the column's standard deviation) for classes of one or two rows.
    m_neighbors : int, default=10
        Neighbours (all classes) that decide whether a support vector is in danger.
    svm_estimator : estimator with ``support_``, default=None
        ``sklearn.svm.SVC()`` when None.
    out_step : float, default=0.5
        Extrapolation step for support vectors that are safe.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> aug = SVMSMOTEAugmenter(sampling_strategy="floor:100", random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_synthetic_
    {0: 0, 1: 69}
    """

    _parameter_constraints: dict = {
        **_ImblearnAugmenter._parameter_constraints,
        "m_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "svm_estimator": [HasMethods(["fit", "predict"]), None],
        "out_step": [Interval(numbers.Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        categorical_features: Any = "auto",
        constrain: bool = True,
        reject_duplicates: bool = True,
        max_retries: int = 10,
        k_neighbors: int = 5,
        jitter: float = 0.05,
        m_neighbors: int = 10,
        svm_estimator: Any = None,
        out_step: float = 0.5,
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
            k_neighbors=k_neighbors,
            jitter=jitter,
        )
        self.m_neighbors = m_neighbors
        self.svm_estimator = svm_estimator
        self.out_step = out_step

    def _make_sampler(self, strategy: dict, k: int, seed: int) -> Any:
        return SVMSMOTE(
            sampling_strategy=strategy,
            k_neighbors=k,
            m_neighbors=self.m_neighbors,
            svm_estimator=self.svm_estimator,
            out_step=self.out_step,
            random_state=seed,
        )


class ADASYNAugmenter(_NeighbourAugmenter):
    """ADASYN: more synthetic rows where the class is harder to learn.

    ADASYN rounds a count per seed row, so its total is off by a few; the wrapper trims
    or tops up with plain SMOTE (``topped_up_``). A class with no neighbour of another
    class falls back to plain SMOTE with a warning (imbalanced-learn raises there), and
    ``fallbacks_`` records the class and the reason.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        See :class:`iotforge.augment.BaseAugmenter`.
    k_neighbors : int, default=5
        imbalanced-learn's ``n_neighbors``; per class ``min(k_neighbors, n_c - 1)``.
    jitter : float, default=0.05
        Noise (times the column's standard deviation) for classes of one or two rows.

    Attributes
    ----------
    fallbacks_ : dict
        Class -> why its rows come from another method (plain SMOTE, or ``'jitter'``).
    topped_up_ : dict
        Class -> rows plain SMOTE added where ADASYN made too few.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> aug = ADASYNAugmenter(sampling_strategy="power:0.5", random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_synthetic_
    {0: 0, 1: 60}
    """

    def _make_sampler(self, strategy: dict, k: int, seed: int) -> Any:
        return ADASYN(sampling_strategy=strategy, n_neighbors=k, random_state=seed)


class KMeansSMOTEAugmenter(_NeighbourAugmenter):
    """KMeans-SMOTE: cluster, then interpolate inside clusters where the class is dense.

    Keeps synthetic rows inside the class's own modes (no bridges across other classes).
    Needs classes of some size: a class in no eligible cluster falls back to plain SMOTE
    with a warning.

    Parameters
    ----------
    sampling_strategy, random_state, categorical_features, constrain, reject_duplicates, \
max_retries
        See :class:`iotforge.augment.BaseAugmenter`.
    k_neighbors : int, default=2
        Neighbours to interpolate with inside a cluster.
    jitter : float, default=0.05
        Noise (times the column's standard deviation) for classes of one or two rows.
    kmeans_estimator : int or KMeans-like estimator, default=None
        Number of clusters or the clusterer; ``MiniBatchKMeans`` when None.
    cluster_balance_threshold : float or 'auto', default='auto'
    density_exponent : float or 'auto', default='auto'

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(n_samples=300, weights=[0.8], random_state=0)
    >>> aug = KMeansSMOTEAugmenter(sampling_strategy="scale:2", kmeans_estimator=4,
    ...                            cluster_balance_threshold=0.1, random_state=0)
    >>> _, y_res = aug.fit_resample(X, y)
    >>> aug.n_synthetic_
    {0: 0, 1: 61}
    """

    _parameter_constraints: dict = {
        **_ImblearnAugmenter._parameter_constraints,
        "kmeans_estimator": [
            Interval(numbers.Integral, 1, None, closed="left"),
            HasMethods(["fit", "predict"]),
            None,
        ],
        "cluster_balance_threshold": [StrOptions({"auto"}), numbers.Real],
        "density_exponent": [StrOptions({"auto"}), numbers.Real],
    }

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        random_state: Any = None,
        categorical_features: Any = "auto",
        constrain: bool = True,
        reject_duplicates: bool = True,
        max_retries: int = 10,
        k_neighbors: int = 2,
        jitter: float = 0.05,
        kmeans_estimator: Any = None,
        cluster_balance_threshold: Any = "auto",
        density_exponent: Any = "auto",
    ) -> None:
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            categorical_features=categorical_features,
            constrain=constrain,
            reject_duplicates=reject_duplicates,
            max_retries=max_retries,
            k_neighbors=k_neighbors,
            jitter=jitter,
        )
        self.kmeans_estimator = kmeans_estimator
        self.cluster_balance_threshold = cluster_balance_threshold
        self.density_exponent = density_exponent

    def _make_sampler(self, strategy: dict, k: int, seed: int) -> Any:
        return KMeansSMOTE(
            sampling_strategy=strategy,
            k_neighbors=k,
            kmeans_estimator=self.kmeans_estimator,
            cluster_balance_threshold=self.cluster_balance_threshold,
            density_exponent=self.density_exponent,
            random_state=seed,
        )
