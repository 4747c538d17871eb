"""iotforge: clean, validated, leakage-safe IoT security training sets, and synthetic rows
for their rare classes.

One line per job, each the function its ``iotforge`` subcommand calls:

- :func:`curate`: captures of any supported format into ``curated.parquet``,
  ``quarantine.parquet`` and ``report.json`` (``iotforge curate``);
- :func:`load_suite` and :func:`validate_frame`: a data contract and its check
  (``iotforge validate``), with :func:`read_canonical` to read a curated table;
- :func:`split`: train and test without shared feature rows (``iotforge split``);
- :func:`make_augmenter`: an augmenter by method name, an imbalanced-learn sampler for a
  frame or a pipeline; :func:`augment_table`: every source of a train split augmented
  (``iotforge augment``);
- :func:`evaluate`: classifiers x augmenters x seeds on real test rows
  (``iotforge evaluate``).

Nothing is imported until it is used: ``import iotforge`` loads no scikit-learn, torch or
Great Expectations.

>>> import tempfile, pathlib
>>> from iotforge import augment_table, curate, load_suite, read_canonical, split
>>> from iotforge import validate_frame
>>> from iotforge.curation.demo import write_demo
>>> from iotforge.curation.schema import read_meta
>>> work = pathlib.Path(tempfile.mkdtemp())
>>> capture = [p for p in write_demo(work / "captures") if p.name.startswith("telemetry")]
>>> report = curate(capture, work / "curated")                       # curate a capture
>>> t = report["total"]
>>> t["rows_read"] == t["rows_out"] + t["rows_quarantined"] + t["rows_duplicate"]
True
>>> df, _ = read_canonical(work / "curated" / "curated.parquet")
>>> validate_frame(df, load_suite("demo_telemetry")).success            # validate it
True
>>> meta = read_meta(work / "curated" / "curated.parquet")
>>> sides = split(df, meta, random_state=0)                              # split it
>>> result = augment_table(sides.train, sides.meta_for("train", meta), method="smote",
...                        strategy="power:0.5", random_state=0)        # augment the train side
>>> bool(result.synthetic["is_synthetic"].all()), len(result.frame) > len(sides.train)
(True, True)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iotforge.augment import augment_table, make_augmenter
    from iotforge.curation.contracts import load_suite, read_canonical, validate_frame
    from iotforge.curation.curate import curate
    from iotforge.curation.leakage.split import split
    from iotforge.evaluation.evaluate import evaluate

# public name -> the module that defines it (imported on first use)
_LAZY: dict[str, str] = {
    "curate": "iotforge.curation.curate",
    "load_suite": "iotforge.curation.contracts.suites",
    "read_canonical": "iotforge.curation.contracts.validate",
    "validate_frame": "iotforge.curation.contracts.validate",
    "split": "iotforge.curation.leakage.split",
    "make_augmenter": "iotforge.augment._factory",
    "augment_table": "iotforge.augment._table",
    "evaluate": "iotforge.evaluation.evaluate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["augment_table", "curate", "evaluate", "load_suite", "make_augmenter",
           "read_canonical", "split", "validate_frame"]
