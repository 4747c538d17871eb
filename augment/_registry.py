"""The augmenters by method name: one table for the command line, params.yaml and tests.

``iotforge augment --method``, ``iotforge evaluate --augment``, their help text, the
parameter check of ``--param`` and the estimator-checks test all read this table. It
holds names and ``"module:Class"`` strings only, so building the command-line parser
imports no scikit-learn: a class is imported when asked for.

Other packages add augmenters through the entry-point group ``iotforge.augmenters``
(docs/plugins.md): the entry point's name is the method name, its value the class,
an imbalanced-learn sampler (:class:`iotforge.augment.BaseAugmenter` gives the contract)::

    [project.entry-points."iotforge.augmenters"]
    jitter = "my_package.jitter:JitterAugmenter"

A plugin cannot replace a built-in method: one with a built-in name is ignored, with a
warning in the log.

>>> "smote" in method_names() and "auto" not in method_names()
True
>>> get_augmenter("smote").__name__
'SMOTEAugmenter'
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import EntryPoint, entry_points

from iotforge.curation.errors import UsageError

__all__ = ["AUTO", "AUTO_CANDIDATES", "AUTO_TIME_LIMIT", "BUILTIN", "DEFAULT_STRATEGY",
           "ENTRY_POINT_GROUP", "get_augmenter", "method_names", "method_parameters",
           "registry"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "iotforge.augmenters"
"""The entry-point group through which other packages add augmenters."""

AUTO = "auto"
"""``--method auto``: :class:`iotforge.augment.AutoAugmenter`, which chooses among the others (or
none). Not an augmenter itself (it may add no row), so not in :func:`registry`, but
:func:`get_augmenter` resolves it like the others."""

AUTO_CANDIDATES: tuple[str, ...] = (
    "smote:power:0.5", "borderline_smote:power:0.5", "adasyn:power:0.5",
    "random_oversampler:power:0.5", "smote:power:0.25", "smote:power:0.75")
"""The candidates ``auto`` tries by default (``AutoAugmenter(candidates=None)``); the one
list that ``iotforge augment --help``, ``params.yaml`` and docs/augment.md quote."""

AUTO_TIME_LIMIT = 600.0
"""Seconds ``auto`` spends at most per fit by default (``AutoAugmenter(time_limit=...)``,
``iotforge augment --time-limit``)."""

DEFAULT_STRATEGY = "power:0.5"
"""The sampling strategy of the command line (``iotforge augment --strategy``,
``iotforge evaluate --augment NAME``), of ``auto``'s candidates and of params.yaml's
augmenters when none is given: every class grown toward the largest by the square root of
their ratio, rather than all the way (the classes' own default, ``'auto'``)."""

_AUTO_TARGET = "iotforge.augment._auto:AutoAugmenter"
# by its "module:Class" string like the built-ins: the registry is the package's leaf,
# and AutoAugmenter builds its candidates through the registry

BUILTIN: dict[str, str] = {
    "smote": "iotforge.augment._smote:SMOTEAugmenter",
    "borderline_smote": "iotforge.augment._smote_variants:BorderlineSMOTEAugmenter",
    "svm_smote": "iotforge.augment._smote_variants:SVMSMOTEAugmenter",
    "adasyn": "iotforge.augment._smote_variants:ADASYNAugmenter",
    "kmeans_smote": "iotforge.augment._smote_variants:KMeansSMOTEAugmenter",
    "random_oversampler": "iotforge.augment._random_oversampler:RandomOverSamplerAugmenter",
    "smote_tomek": "iotforge.augment._hybrid:SMOTETomekAugmenter",
    "smote_enn": "iotforge.augment._hybrid:SMOTEENNAugmenter",
    "ctgan": "iotforge.augment._ctgan:CTGANAugmenter",
    "tvae": "iotforge.augment._tvae:TVAEAugmenter",
    "gaussian_copula": "iotforge.augment._sdv:GaussianCopulaAugmenter",
    "copulagan": "iotforge.augment._sdv:CopulaGANAugmenter",
}
"""Built-in method name -> ``"module:Class"``, in the order the help text lists them."""

_WARNED: set[str] = set()


def _plugins() -> dict[str, EntryPoint]:
    """Entry points of the group by name; the first one on ``sys.path`` wins a tie."""
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in BUILTIN or ep.name == AUTO:
            if ep.value not in _WARNED:  # once per process: the parser asks often
                _WARNED.add(ep.value)
                log.warning("augmenter plugin %r (%s) ignored: %r is a built-in method",
                            ep.name, ep.value, ep.name)
            continue
        found.setdefault(ep.name, ep)
    return found


def method_names(*, auto: bool = False) -> list[str]:
    """Every method name: the built-in ones, then plugins' (sorted), then ``auto`` if asked.

    Nothing is imported: this is what the command line's help and choices use.
    """
    return [*BUILTIN, *sorted(_plugins()), *([AUTO] if auto else [])]


def _load(name: str, target: str | EntryPoint) -> type:
    """The class behind ``target``; one clear line when a plugin is broken."""
    if isinstance(target, str):  # built in: an ImportError here is a broken install
        module, _, attr = target.partition(":")
        builtin: type = getattr(importlib.import_module(module), attr)
        return builtin
    try:
        cls = target.load()
    except Exception as exc:  # a plugin's import can fail in any way: name it, not us
        raise UsageError(
            f"augmenter plugin {name!r} ({ENTRY_POINT_GROUP} = {target.value!r}) cannot be "
            f"imported: {type(exc).__name__}: {exc}",
            hint="reinstall or uninstall the package that provides it") from None
    if not (isinstance(cls, type) and callable(getattr(cls, "fit_resample", None))):
        raise UsageError(
            f"augmenter plugin {name!r} ({ENTRY_POINT_GROUP} = {target.value!r}): expected "
            f"an imbalanced-learn sampler class (with fit_resample), found {cls!r}",
            hint="point the entry point at a subclass of iotforge.augment.BaseAugmenter")
    return cls


def get_augmenter(name: str) -> type:
    """The augmenter class of method ``name`` (built in, a plugin's or ``auto``).

    Raises
    ------
    iotforge.curation.errors.UsageError
        For an unknown name (the message lists the known ones) or a plugin that cannot
        be imported.
    """
    if name in BUILTIN:
        return _load(name, BUILTIN[name])
    if name == AUTO:
        return _load(name, _AUTO_TARGET)
    plugins = _plugins()
    if name not in plugins:
        raise UsageError(f"expected a method in {sorted([*BUILTIN, *plugins, AUTO])}, found "
                         f"{name!r}")
    return _load(name, plugins[name])


def registry() -> dict[str, type]:
    """``{method name: augmenter class}`` for every augmenter, plugins included.

    Every class is imported (the generative ones import torch): for discovery and
    tests; the command line asks :func:`get_augmenter` for the one it needs.
    """
    return {name: get_augmenter(name) for name in method_names()}


def method_parameters(name: str) -> list[str]:
    """The keyword arguments of method ``name`` (``auto`` included), sorted.

    >>> "k_neighbors" in method_parameters("smote"), "epochs" in method_parameters("smote")
    (True, False)
    """
    return sorted(get_augmenter(name)().get_params())
