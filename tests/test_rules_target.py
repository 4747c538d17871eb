"""``iotforge rules`` mines the classes of the configured target (the split's, or
--target), as the dvc ``rules`` stage passes it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def _write(path, target: str) -> pd.DataFrame:
    from iotforge.curation.schema import TableMeta, write_frame_atomic

    rng = np.random.default_rng(0)
    labels = ["normal"] * 60 + ["neptune"] * 30 + ["smurf"] * 30 + ["satan"] * 30
    family = {"normal": None, "neptune": "dos", "smurf": "dos", "satan": "probe"}
    df = pd.DataFrame({"source": "flows", "label": labels,
                       "is_attack": [v != "normal" for v in labels],
                       "attack_family": [family[v] for v in labels],
                       "proto": rng.choice(["tcp", "udp"], len(labels)),
                       "bytes": [{"normal": 1.0, "neptune": 5.0, "smurf": 9.0,
                                  "satan": 20.0}[v] for v in labels]})
    roles = {"source": "provenance", "label": "label", "is_attack": "label",
             "attack_family": "label", "proto": "categorical", "bytes": "numeric"}
    write_frame_atomic(df, path, TableMeta(stage="split", roles=roles, split="train",
                                           extra={"target": target}))
    return df


def test_rules_mine_the_splits_target_and_follow_target_flag(cli, tmp_path):
    df = _write(tmp_path / "train.parquet", "attack_family")
    res = cli("rules", str(tmp_path / "train.parquet"), "--out", str(tmp_path / "r.json"))
    assert res.returncode == 0, res.stderr
    out = json.loads((tmp_path / "r.json").read_text())
    families = set(np.where(df["is_attack"], df["attack_family"], "normal"))
    assert set(out["classes"]) == families == {"normal", "dos", "probe"}
    assert out["config"]["target"] == "attack_family"
    res = cli("rules", str(tmp_path / "train.parquet"), "--target", "label", "--out",
              str(tmp_path / "l.json"))
    assert res.returncode == 0, res.stderr
    assert set(json.loads((tmp_path / "l.json").read_text())["classes"]) == set(df["label"])
