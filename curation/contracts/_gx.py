"""Great Expectations glue: a suite run on a pandas frame in an ephemeral context.

Nothing is written to disk (no ``great_expectations.yml``, no datasource, no
``uncommitted/``) unless Data Docs are asked for, and then only into the given
directory. Great Expectations takes seconds to import: it is imported inside
:func:`run_gx` and :func:`to_gx_suite`, when a suite runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..errors import MappingError
from .suites import EXPECTATION_KEYS, check_suite

ResultFormat = Literal["BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE"]
"""How much GX reports per expectation; ``SUMMARY`` keeps up to 20 example values."""

__all__ = ["ResultFormat", "gx_frame", "run_gx", "to_gx_suite"]


def gx_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the dtypes GX's pandas engine handles predictably.

    Time zone aware timestamps become naive UTC nanoseconds (GX cannot name a
    ``DatetimeTZDtype``); the string extension dtype becomes object. Values are
    not changed, so a column of the wrong type still fails its type contract.
    """
    out = df.reset_index(drop=True).copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None).astype(
                "datetime64[ns]")
        elif pd.api.types.is_datetime64_dtype(dtype):
            out[col] = out[col].astype("datetime64[ns]")
        elif isinstance(dtype, pd.StringDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def run_gx(df: pd.DataFrame, suite: Mapping[str, Any], result_format: ResultFormat,
           docs_dir: str | os.PathLike[str] | None) -> Any:
    """Run ``suite`` on ``df`` (a :func:`gx_frame`); GX's validation result. With
    ``docs_dir``, Data Docs of the run are built there."""
    # No usage statistics from CI machines; must be set before GX is imported.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    # In-memory stores and no default docs site: nothing touches the disk unless
    # docs_dir asks for it. Progress bars off: CI logs are not terminals.
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch_def = (context.data_sources.add_pandas("iotforge")
                 .add_dataframe_asset("batch")
                 .add_batch_definition_whole_dataframe("whole"))
    gx_suite = context.suites.add(to_gx_suite(suite))
    if docs_dir is None:
        batch = batch_def.get_batch(batch_parameters={"dataframe": df})
        return batch.validate(gx_suite, result_format=result_format)
    Path(docs_dir).mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(site_name="iotforge", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(Path(docs_dir).resolve())},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    vdef = context.validation_definitions.add(
        gx.ValidationDefinition(name="iotforge", data=batch_def, suite=gx_suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name="iotforge", validation_definitions=[vdef],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
        result_format=result_format))
    run = checkpoint.run(batch_parameters={"dataframe": df})
    return next(iter(run.run_results.values()))


def to_gx_suite(suite: Mapping[str, Any]) -> Any:
    """``suite`` as a GX ``ExpectationSuite``, refused unless GX built every expectation.

    GX logs and drops an expectation of an unknown type; a suite that lost one
    would check less than it says. The count of expectations built is compared
    with the count in the suite; on a difference (or an exception) the per-
    expectation check says which ones and why.
    """
    import great_expectations as gx

    body = {k: v for k, v in suite.items() if k in ("name", "expectations", "meta")}
    body["expectations"] = [{k: v for k, v in e.items() if k in EXPECTATION_KEYS}
                            for e in body["expectations"]]
    origin = f"suite {suite.get('name')!r}"
    gx_log = logging.getLogger("great_expectations.core.expectation_suite")
    quiet, gx_log.disabled = gx_log.disabled, True  # its traceback is reported below, once
    try:
        gx_suite = gx.ExpectationSuite(**body)
    except Exception as exc:  # GX raises several unrelated types for a bad suite
        check_suite(dict(suite), origin=origin)
        raise MappingError(f"expected a valid GX suite, found: {exc}", path=origin) from None
    finally:
        gx_log.disabled = quiet
    built, wanted = len(gx_suite.expectations), len(body["expectations"])
    if built != wanted:
        check_suite(dict(suite), origin=origin)
        raise MappingError(f"expected Great Expectations to build all {wanted} expectations, "
                           f"found {built}", path=origin)
    return gx_suite
