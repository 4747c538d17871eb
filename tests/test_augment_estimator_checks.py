"""imbalanced-learn's estimator checks (and the scikit-learn API checks that apply to a
sampler) over every augmenter of the registry, plugins included.

The augmenters are found by discovery (:func:`augment.registry`), not listed here: a new
built-in method or an installed plugin is checked as soon as it is registered. Cheap
settings for the ones that need them go in ``CHEAP`` (these checks fit a few dozen
times); a check that cannot apply goes in ``EXPECTED_FAILURES`` with its reason, and is
strict: once it passes, the test fails until the entry is removed.
"""

from __future__ import annotations

from typing import Any

import pytest
from imblearn.utils.estimator_checks import check_param_validation, estimator_checks_generator
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)
from threadpoolctl import threadpool_limits

from iotforge import augment

_TINY_GAN = {"epochs": 1, "batch_size": 20, "generator_dim": (8,), "discriminator_dim": (8,),
             "embedding_dim": 4, "pac": 2}
CHEAP: dict[str, dict[str, Any]] = {
    "kmeans_smote": {"kmeans_estimator": 12},
    # tiny networks and one epoch: the checks test the sampler contract (types, counts,
    # determinism), not the quality of the rows
    "ctgan": _TINY_GAN,
    "copulagan": _TINY_GAN,
    "tvae": {"epochs": 1, "batch_size": 20, "compress_dims": (8,), "decompress_dims": (8,),
             "embedding_dim": 4},
}
# ctgan/SDV fit a Bayesian Gaussian mixture per column on every fit: 6-9 minutes for
# these three on 2 cores, so `make test-all` runs them. The Gaussian copula (about 10 s)
# runs in `make test`, so the generative path is covered there.
SLOW = {"ctgan", "tvae", "copulagan"}

_CLEANS_OTHERS = (
    "with clean='others' (the default) the cleaning step removes rows of the classes the "
    "strategy did not grow: here {what}, which the check expects untouched; grown classes "
    "end at their requested count (clean='imblearn' cleans every class, as imblearn.combine)"
)
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    name: {
        "check_samplers_fit_resample": _CLEANS_OTHERS.format(what="the majority class"),
        "check_samplers_sampling_strategy_fit_resample": _CLEANS_OTHERS.format(
            what="class 1, left out of the check's sampling_strategy"),
    }
    for name in ("smote_tomek", "smote_enn")
}


def _instances() -> dict[str, Any]:
    """Every registered augmenter with random_state=0 (so repeated fits must agree) and
    its cheap settings."""
    out = {}
    for name, cls in augment.registry().items():
        params = {"random_state": 0, **CHEAP.get(name, {})}
        out[name] = cls(**{k: v for k, v in params.items() if k in cls().get_params()})
    return out


AUGMENTERS = _instances()


def _checks(slow: bool) -> list[Any]:
    """(estimator, check) parameters; expected failures marked xfail(strict=True)."""
    params = []
    for name, estimator in AUGMENTERS.items():
        if (name in SLOW) != slow:
            continue
        expected = EXPECTED_FAILURES.get(name, {})
        for est, check in estimator_checks_generator(estimator, legacy=True):
            check_name = getattr(check, "func", check).__name__
            marks = ([pytest.mark.xfail(reason=expected[check_name], strict=True)]
                     if check_name in expected else [])
            params.append(pytest.param(est, check, marks=marks,
                                       id=f"{name}-{check_name}"))
    return params


@pytest.fixture(autouse=True)
def _one_thread():
    # kneighbors/KMeans use OpenMP, torch its own pool; on shared cores threads contend
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize(("estimator", "check"), _checks(slow=False))
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@pytest.mark.parametrize(("estimator", "check"), _checks(slow=True))
def test_imblearn_estimator_checks_generative(estimator, check):
    check(estimator)


def test_every_registered_augmenter_is_checked():
    """The registry, the checked instances and the public classes agree."""
    public = {getattr(augment, n) for n in augment.__all__}
    classes = {c for c in public if isinstance(c, type) and issubclass(c, augment.BaseAugmenter)
               and not getattr(c, "__abstractmethods__", None)}
    assert {type(e) for e in AUGMENTERS.values()} >= classes
    assert len(AUGMENTERS) == len(augment.method_names()) >= 12
    assert "gaussian_copula" in AUGMENTERS and "gaussian_copula" not in SLOW


API_CHECKS = [
    check_param_validation,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_get_params_invariance,
    check_set_params,
]


@pytest.mark.parametrize("estimator", [*AUGMENTERS.values(), augment.AutoAugmenter()],
                         ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", API_CHECKS, ids=lambda c: c.__name__)
def test_sklearn_api_checks(estimator, check):
    check(type(estimator).__name__, estimator)


# -- the sampler contract: imbalanced-learn's fit_resample, our hooks ------------------
def _our_samplers() -> list[type]:
    from iotforge.augment import (
        AutoAugmenter,
        GaussianCopulaAugmenter,
        SMOTEAugmenter,
        SMOTEENNAugmenter,
    )

    return [SMOTEAugmenter, SMOTEENNAugmenter, GaussianCopulaAugmenter, AutoAugmenter]


@pytest.mark.parametrize("cls", _our_samplers(), ids=lambda c: c.__name__)
def test_fit_resample_is_imbalanced_learns(cls):
    """Validation lives in _check_X_y/_fit_resample: the public method is the library's."""
    from imblearn.base import BaseSampler

    assert cls.fit_resample is BaseSampler.fit_resample


@pytest.mark.parametrize("cls", _our_samplers(), ids=lambda c: c.__name__)
def test_strategy_strings_are_declared_parameter_constraints(cls):
    import numpy as np
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = np.arange(40.0).reshape(-1, 1), np.array([0] * 30 + [1] * 10)
    with pytest.raises(InvalidParameterError, match="'floor:<count|fraction>'"):
        cls(sampling_strategy="balanced").fit_resample(X, y)
    # a shorthand with a bad number passes the constraint; its parser says what is wrong
    with pytest.raises(ValueError, match="expected a number after 'power:'") as err:
        cls(sampling_strategy="power:x").fit_resample(X, y)
    assert not isinstance(err.value, InvalidParameterError)
