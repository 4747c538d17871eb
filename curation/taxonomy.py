"""Label taxonomy: raw label -> canonical class -> attack family.

The taxonomy is data (``curation/data/taxonomy.yaml``), extendable by the user
with a YAML file of the same shape.

>>> tax = Taxonomy.default()
>>> tax.lookup("Web Attack \u2013 Brute Force")
LabelInfo(label='web_brute_force', is_attack=True, family='web_attack')
>>> tax.lookup("DoS Hulk - Attempted").label
'dos_hulk'
>>> tax.lookup("no such attack") is None
True
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import MappingError

__all__ = ["LabelInfo", "Taxonomy", "normalise_label"]

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_label(raw: str) -> str:
    """Lower case, non-alphanumeric runs to ``_``, stripped: the lookup key."""
    return _NON_ALNUM.sub("_", raw.strip().lower()).strip("_")


@dataclass(frozen=True)
class LabelInfo:
    """The canonical class of a raw label."""

    label: str
    is_attack: bool
    family: str | None


class Taxonomy:
    """Maps raw labels to canonical classes through normalised aliases."""

    def __init__(self, spec: dict[str, Any], *, origin: str = "<taxonomy>") -> None:
        self.origin = origin
        self.spec = spec
        classes = spec.get("classes")
        if not isinstance(classes, dict) or not classes:
            raise MappingError("expected a mapping 'classes:' with at least one class",
                               path=origin)
        self.strip_suffixes = tuple(spec.get("strip_suffixes") or ())
        self._alias: dict[str, LabelInfo] = {}
        self.classes: dict[str, LabelInfo] = {}
        for name, body in classes.items():
            body = body or {}
            if not isinstance(body, dict):
                raise MappingError(f"class {name!r}: expected a mapping, found {body!r}",
                                   path=origin)
            info = LabelInfo(
                label=str(name),
                is_attack=bool(body.get("is_attack", True)),
                family=body.get("family"),
            )
            self.classes[info.label] = info
            for alias in [name, *(body.get("aliases") or [])]:
                self._alias[normalise_label(str(alias))] = info

    @classmethod
    def default(cls) -> Taxonomy:
        data = resources.files("iotforge.curation").joinpath("data/taxonomy.yaml")
        text = data.read_text("utf-8")
        return cls(yaml.safe_load(text), origin="curation/data/taxonomy.yaml")

    @classmethod
    def load(cls, *paths: str | os.PathLike[str]) -> Taxonomy:
        """The default taxonomy with each user file merged over it, in order."""
        tax = cls.default()
        for path in paths:
            try:
                user = yaml.safe_load(Path(path).read_text("utf-8")) or {}
            except yaml.YAMLError as exc:
                raise MappingError(f"not valid YAML ({exc})".replace("\n", " "),
                                   path=str(path)) from None
            if not isinstance(user, dict):
                raise MappingError("expected a YAML mapping with 'classes:'", path=str(path))
            merged = dict(tax.spec)
            merged["classes"] = {**tax.spec["classes"], **(user.get("classes") or {})}
            merged["strip_suffixes"] = [*tax.strip_suffixes, *(user.get("strip_suffixes") or [])]
            tax = cls(merged, origin=str(path))
        return tax

    def lookup(self, raw: str) -> LabelInfo | None:
        """The canonical class of ``raw``, or None when the taxonomy does not know it."""
        key = normalise_label(raw)
        info = self._alias.get(key)
        if info is None:
            for suffix in self.strip_suffixes:
                if key.endswith(suffix):
                    info = self._alias.get(key[: -len(suffix)].rstrip("_"))
                    if info is not None:
                        break
        return info
