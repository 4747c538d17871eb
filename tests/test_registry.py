"""One registry per extension point: augmenters (augment._registry) and capture formats
(curation.sources), each feeding the command line, its help, parameter checks and tests."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from typing import get_args

import pytest
import yaml
from conftest import ROOT, run_cli
from iotforge.augment import make_augmenter
from iotforge.augment._factory import METHODS
from iotforge.augment._registry import BUILTIN
from iotforge.augment._typing import AugmenterName
from iotforge.curation import sources as _sources
from iotforge.curation.errors import UsageError
from iotforge.curation.sources import MODULES, adapters, format_names, get_adapter

from iotforge import augment


def _public_augmenter_classes() -> set[type]:
    """Concrete augmenter classes the package exports, found without the registry."""
    found = set()
    for name in augment.__all__:
        obj = getattr(augment, name)
        if (isinstance(obj, type) and issubclass(obj, augment.BaseAugmenter)
                and not getattr(obj, "__abstractmethods__", None)):
            found.add(obj)
    return found


def test_registry_holds_every_public_augmenter_and_only_those():
    classes = _public_augmenter_classes()
    builtin = {name: augment.get_augmenter(name) for name in BUILTIN}
    assert set(builtin.values()) == classes and len(classes) == len(BUILTIN) == 12
    assert set(augment.registry().values()) >= classes
    # the typing alias, augment_table's view and the registry name the same methods
    assert get_args(AugmenterName) == tuple(BUILTIN)
    assert METHODS == {name: cls.__name__ for name, cls in builtin.items()}


def test_method_names_and_parameters():
    assert augment.method_names(auto=True)[-1] == "auto"
    assert "auto" not in augment.method_names()
    assert "candidates" in augment.method_parameters("auto")
    assert "epochs" in augment.method_parameters("ctgan")
    with pytest.raises(UsageError, match=r"expected a method in \[.*'smote'.*\], found 'magic'"):
        augment.get_augmenter("magic")
    # --param keys are checked against the method's own parameters
    with pytest.raises(UsageError, match=r"smote: unknown parameters \['epochs'\]"):
        make_augmenter("smote", strategy="auto", random_state=0, params={"epochs": 3})


def test_params_yaml_methods_are_registered():
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    methods = params["augment"]["methods"]
    assert methods and set(methods) <= set(augment.method_names(auto=True))


def test_every_adapter_module_is_registered():
    """MODULES names every adapter module in curation/sources, each adapter by its
    module's name; detection and get_adapter see the same set."""
    on_disk = sorted(m.name for m in pkgutil.iter_modules(_sources.__path__)
                     if not m.name.startswith("_"))
    assert sorted(MODULES) == on_disk
    found = adapters()
    assert list(found) == list(MODULES) == format_names()
    assert all(get_adapter(n) is found[n] and found[n].name == n for n in MODULES)
    with pytest.raises(UsageError, match=r"expected a format in \[.*'zeek'\], found 'zek'"):
        get_adapter("zek")


def test_names_are_listed_without_importing_any_implementation():
    code = ("import sys; from iotforge import augment; import iotforge.curation.sources as s; "
            "augment.method_names(auto=True); "
            "s.format_names(); print(sorted(m for m in ('sklearn', 'imblearn', 'torch', "
            "'pandas', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_help_lists_every_method_and_format():
    def help_of(command: str) -> str:
        res = run_cli(command, "--help")
        assert res.returncode == 0, res.stderr
        return " ".join(res.stdout.split())

    augment_help, evaluate_help = help_of("augment"), help_of("evaluate")
    assert all(m in augment_help for m in augment.method_names(auto=True))
    assert all(m in evaluate_help for m in augment.method_names())
    for command in ("curate", "validate", "profile", "split"):
        text = help_of(command)
        assert all(f in text for f in MODULES), command
