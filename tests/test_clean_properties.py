"""Property-based tests of the cleaning rules (hypothesis)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from iotforge.curation.clean import clean_batch
from iotforge.curation.schema import ColumnSpec
from iotforge.curation.vocabulary import FALSE_SPELLINGS, MISSING_MARKERS, TRUE_SPELLINGS

LABELS = ["normal", "ddos", "DDoS", " Benign ", "PortScan", "teleport", None, "-"]
cell = st.one_of(
    st.integers(-70000, 70000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(sorted(MISSING_MARKERS)),
    st.text(max_size=6),
    st.sampled_from([" 80 ", "0x1f", "1e3", "-1"]),
)
SPECS = {
    "port": ColumnSpec("port", "numeric", "int", "port"),
    "bytes": ColumnSpec("bytes", "numeric", "float", "nonnegative"),
    "flag": ColumnSpec("flag", "categorical", "bool"),
    "state": ColumnSpec("state", "categorical", "string"),
}


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(cell, cell, cell, cell, st.sampled_from(LABELS)),
                     min_size=1, max_size=40),
       policy=st.sampled_from(["set_missing", "quarantine"]))
def test_every_row_is_kept_or_quarantined_once(rows, policy):
    cols = list(zip(*rows, strict=True))
    table = pa.table({name: pa.array(col, pa.string())
                      for name, col in zip([*SPECS, "type"], cols, strict=True)})
    lines = np.arange(2, 2 + len(rows))
    res = clean_batch(table, lines, SPECS, label_columns=["type"],
                      policies={"range": policy, "numeric": "quarantine"})
    kept, quarantined = set(res.frame["source_row"]), set(res.quarantine["source_row"])
    assert kept.isdisjoint(quarantined)
    assert kept | quarantined == set(lines.tolist())
    assert len(res.frame) + len(res.quarantine) == len(rows)
    # every kept value satisfies its declared domain
    ports = res.frame["port"].dropna().astype(float)
    assert ((ports >= 0) & (ports <= 65535)).all()
    assert (res.frame["bytes"].dropna() >= 0).all()
    assert np.isfinite(res.frame["bytes"].dropna()).all()
    # every kept label is a canonical class; rejected labels carry a reason
    assert res.frame["label"].notna().all()
    assert (res.quarantine["reason"].str.len() > 0).all()
    assert set(res.quarantine["rule"]) <= {"numeric", "range", "missing_label",
                                           "unknown_label"}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(TRUE_SPELLINGS | FALSE_SPELLINGS)), min_size=1,
                max_size=20),
       st.lists(st.sampled_from(["", " ", "  "]), min_size=2, max_size=2))
def test_boolean_spellings(values, pads):
    padded = [pads[0] + v.upper() if i % 2 else v + pads[1] for i, v in enumerate(values)]
    table = pa.table({"flag": padded, "type": ["normal"] * len(values)})
    res = clean_batch(table, range(len(values)), {"flag": SPECS["flag"]},
                      label_columns=["type"])
    expected = [v.lower() in TRUE_SPELLINGS for v in values]
    assert res.frame["flag"].tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abcXYZ ", min_size=1, max_size=5), min_size=1,
                max_size=20))
def test_whitespace_and_case_fix_is_idempotent(values):
    spec = {"state": SPECS["state"]}
    t1 = pa.table({"state": values, "type": ["normal"] * len(values)})
    once = clean_batch(t1, range(len(values)), spec, label_columns=["type"]).frame
    t2 = pa.table({"state": pa.array(once["state"], pa.string()),
                   "type": ["normal"] * len(once)})
    twice = clean_batch(t2, range(len(once)), spec, label_columns=["type"]).frame
    assert once["state"].tolist() == twice["state"].tolist()
    assert all(v is None or v == v.strip().lower() for v in once["state"])
