"""``dvc repro`` of the curate stage with ``engine: dask`` in params.yaml.

The project's own dvc.yaml, params.yaml and config/ in a temporary DVC project, on the
demo captures: ``dvc repro curate`` with the shipped ``engine: local``, then again with
``engine: dask`` and an empty ``scheduler`` (the command starts a local cluster, one
worker per core). Only curate runs again, and its outputs are the local engine's:
the same report (but its ``engine`` entry), curated rows and quarantine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import ROOT

pytest.importorskip("distributed")
pytest.importorskip("dvc")
pytestmark = [pytest.mark.pipeline, pytest.mark.dask]


def dvc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``dvc ARGS`` with this environment's ``iotforge`` first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}", "DVC_NO_ANALYTICS": "1"}
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def sorted_table(path: Path, keys: list[str]) -> pa.Table:
    return pq.read_table(path).sort_by([(k, "ascending") for k in keys]).combine_chunks()


def outputs(project: Path) -> dict[str, Any]:
    out = project / "data" / "curated"
    return {"report": json.loads((out / "report.json").read_text()),
            "curated": sorted_table(out / "curated.parquet", ["source_file", "source_row"]),
            "quarantine": sorted_table(out / "quarantine.parquet",
                                       ["source_file", "source_row", "rule", "column"])}


def test_dvc_repro_curate_with_engine_dask_gives_the_local_outputs(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for item in ("dvc.yaml", "params.yaml"):
        shutil.copy(ROOT / item, project / item)
    for item in ("bin", "config", "curation"):  # what dvc.yaml names for curate
        shutil.copytree(ROOT / item, project / item,
                        ignore=shutil.ignore_patterns("__pycache__"))
    assert dvc("init", "--no-scm", "-q", cwd=project).returncode == 0
    params_path = project / "params.yaml"
    params = yaml.safe_load(params_path.read_text())
    assert params["engine"] == "local"  # the shipped default

    first = dvc("repro", "curate", cwd=project)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    local = outputs(project)
    assert "engine" not in local["report"]
    assert local["report"]["total"]["rows_out"] > 0
    assert local["quarantine"].num_rows > 0 and local["report"]["total"]["rows_duplicate"] > 0

    params["engine"], params["scheduler"] = "dask", ""
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    second = dvc("repro", "curate", cwd=project)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "Running stage 'curate'" in second.stdout
    assert "Running stage 'demo'" not in second.stdout  # only the engine changed
    dask = outputs(project)
    engine = dask["report"].pop("engine")
    assert engine["name"] == "dask" and engine["workers"] >= 1
    assert engine["partitions"] >= len(local["report"]["files"])
    assert dask["report"] == local["report"]
    for name in ("curated", "quarantine"):
        assert dask[name].schema == local[name].schema, name
        assert dask[name].equals(local[name]), name

    lock = yaml.safe_load((project / "dvc.lock").read_text())
    assert lock["stages"]["curate"]["params"]["params.yaml"]["engine"] == "dask"
    status = dvc("status", "curate", cwd=project)
    assert status.returncode == 0 and "up to date" in status.stdout, status.stdout
