"""What a model learns to predict: the class, the attack family, or attack vs normal.

The same curated table serves class-level, family-level and binary detection:

``label``
    The canonical class (``kdd_dos_neptune``, ``ddos``, ``normal``).
``attack_family``
    The taxonomy's family of the class (``dos``, ``probe``, ``r2l``, ``u2r`` for
    NSL-KDD); a normal row is ``normal``, an attack with no known family ``unknown``.
``is_attack``
    ``attack`` or ``normal``.

The split records the target in its output metadata (``TableMeta.extra["target"]``)
so later stages learn the same one.

>>> import pandas as pd
>>> df = pd.DataFrame({"label": ["normal", "kdd_dos_smurf", "kdd_u2r"],
...                    "is_attack": [False, True, True],
...                    "attack_family": [None, "dos", "u2r"]})
>>> target_values(df, "attack_family").tolist()
['normal', 'dos', 'u2r']
>>> target_values(df, "is_attack").tolist()
['normal', 'attack', 'attack']
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from .errors import UsageError
from .schema import ATTACK_FAMILY, IS_ATTACK, LABEL

__all__ = ["ATTACK", "MISSING", "NORMAL", "TARGETS", "UNKNOWN_FAMILY", "Target", "target_values"]

Target = Literal["label", "attack_family", "is_attack"]
"""The column a model learns to predict."""

TARGETS: tuple[str, ...] = get_args(Target)

NORMAL = "normal"
ATTACK = "attack"
UNKNOWN_FAMILY = "unknown"
MISSING = "<missing>"


def target_values(df: pd.DataFrame, target: Target = "label") -> np.ndarray:
    """The class of every row of ``df`` under ``target``, as strings.

    Parameters
    ----------
    df
        Canonical table (curated or split) with the target's column.
    target
        ``label``, ``attack_family`` or ``is_attack`` (see the module docstring).

    Returns
    -------
    numpy.ndarray
        One string per row (object dtype); a missing value is ``"<missing>"``.

    Raises
    ------
    UsageError
        ``target`` is not one of :data:`TARGETS`, its column is missing, or it
        has fewer than two distinct values (nothing to learn).

    Examples
    --------
    >>> df = pd.DataFrame({"label": ["normal", "ddos"], "is_attack": [False, True]})
    >>> target_values(df, "label").tolist()
    ['normal', 'ddos']
    >>> try:
    ...     target_values(df.iloc[:1], "label")
    ... except UsageError as exc:
    ...     print(exc.message)
    expected at least 2 classes of target 'label', found only 'normal'
    """
    if target not in TARGETS:
        raise UsageError(f"expected a target in {TARGETS}, found {target!r}")
    if target not in df.columns:
        raise UsageError(f"expected the column of target {target!r}, found no column "
                         f"{target!r}", column=target,
                         hint="curate the data with a label, or pick another --target")
    if target == LABEL:
        values = _strings(df[LABEL])
    elif target == IS_ATTACK:
        flag = df[IS_ATTACK].astype("boolean")
        values = np.where(flag.isna(), MISSING, np.where(flag.fillna(False), ATTACK, NORMAL))
        values = values.astype(object)
    else:
        values = _families(df)
    found = pd.unique(values)
    if len(found) < 2:
        only = f"only {found[0]!r}" if len(found) else "no rows"
        raise UsageError(f"expected at least 2 classes of target {target!r}, found {only}",
                         column=target,
                         hint="pick another --target or give data with more classes")
    return values


def _strings(col: pd.Series) -> np.ndarray:
    return col.astype(object).where(col.notna(), MISSING).astype(str).to_numpy(dtype=object)


def _families(df: pd.DataFrame) -> np.ndarray:
    family = df[ATTACK_FAMILY]
    if IS_ATTACK in df.columns:
        normal = (df[IS_ATTACK].astype("boolean") == False).fillna(False)  # noqa: E712
    else:  # the taxonomy gives every attack class a family, normal none
        normal = family.isna()
    values = family.astype(object).where(family.notna(), UNKNOWN_FAMILY).astype(str)
    return values.where(~normal.to_numpy(), NORMAL).to_numpy(dtype=object)
