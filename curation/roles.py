"""Column roles from names: the fallback when neither adapter nor mapping knows a column.

Adapters declare the roles of the columns their format defines; a mapping file
overrides them. A column nobody declared gets a role from its name here, and its
storage kind from its values (see :func:`curation.clean.infer_kind`). The rules
are general (they apply to any capture), and documented in docs/formats.md.

>>> infer_spec("src_ip").role
'endpoint'
>>> infer_spec("dst_port").domain
'port'
>>> infer_spec("flow_duration").domain
'nonnegative'
>>> infer_spec("latitude").domain
'latitude'
"""

from __future__ import annotations

import re

from curation._typing import Domain, Kind, Role
from curation.schema import ColumnSpec

_ENDPOINT = re.compile(r"(^|_)(ip|ips|addr|address|host|mac|saddr|daddr|srcip|dstip|"
                       r"src_ip|dst_ip|orig_h|resp_h)($|_)")
_SRC_PORT = re.compile(r"(^|_)(sport|src_port|source_port|srcport|orig_p|src_pt)($|_)")
_PORT = re.compile(r"(^|_)(port|dport|dsport|dst_port|resp_p|destination_port|dstport)($|_)")
_ID = re.compile(r"(^id$|^uid$|^flow_id$|_uid$|^row_?id$|^index$|^unnamed_0$|^stime_id$)")
_TIME = re.compile(r"(^ts$|^timestamp$|^time$|^date$|^datetime$|^stime$|^ltime$|"
                   r"_timestamp$|^start_?time$|^end_?time$|_ts$|^date_?time$)")
_CATEGORICAL = re.compile(r"(^|_)(proto|protocol|service|state|conn_state|history|flag|"
                          r"flags|status|condition|type|method|direction)($|_)")
_NONNEG = re.compile(r"(count|pkts|packets|packet|bytes|byte|duration|dur$|length|len$|"
                     r"size|iat|total|tot_|num_|rate|_s$|mean|max|min|std|variance|"
                     r"seg|win|bulk|active|idle|load|sttl|dttl|ttl|^n_|_n$|avg)")
_NUMERIC_EXCEPTIONS = re.compile(r"(temperature|temp$|pressure|humidity|longitude|latitude)")


def infer_spec(name: str, kind: Kind | None = None) -> ColumnSpec:
    """A :class:`ColumnSpec` for a column known only by its canonical name."""
    role: Role
    domain: Domain = "none"
    if _ID.search(name):
        role, k = "id", "string"
    elif _SRC_PORT.search(name):
        role, k, domain = "endpoint", "int", "port"
    elif _ENDPOINT.search(name):
        role, k, domain = "endpoint", "string", "ip"
    elif _TIME.search(name):
        role, k = "time", "string"
    elif _PORT.search(name):
        role, k, domain = "numeric", "int", "port"
    elif name in ("latitude", "lat"):
        role, k, domain = "numeric", "float", "latitude"
    elif name in ("longitude", "lon", "lng", "long"):
        role, k, domain = "numeric", "float", "longitude"
    elif _CATEGORICAL.search(name) and not _NONNEG.search(name):
        role, k = "categorical", "string"
    else:
        role, k = "numeric", "float"
        if _NONNEG.search(name) and not _NUMERIC_EXCEPTIONS.search(name):
            domain = "nonnegative"
    return ColumnSpec(name=name, role=role, kind=kind or k, domain=domain)


_INT = re.compile(r"^[+-]?\d+$")


def infer_kind(values: list[str | None]) -> Kind:
    """Storage kind from a sample of (stripped, non-missing) text values.

    >>> infer_kind(["0", "1", "1"]), infer_kind(["false", "1", "true"]), infer_kind(["1.5", "2"])
    ('int', 'bool', 'float')
    >>> infer_kind(["high", "low"])
    'string'
    """
    from curation.clean import FALSE_SPELLINGS, MISSING_MARKERS, TRUE_SPELLINGS

    sample = [v.strip() for v in values if v is not None and v.strip() not in MISSING_MARKERS]
    if not sample:
        return "string"
    lowered = {v.lower() for v in sample}
    if lowered <= (TRUE_SPELLINGS | FALSE_SPELLINGS) and lowered - {"0", "1", "0.0", "1.0"}:
        return "bool"
    if all(_INT.match(v) for v in sample):
        return "int"
    numeric = 0
    for v in sample:
        try:
            float(v)
            numeric += 1
        except ValueError:
            pass
    return "float" if numeric >= 0.98 * len(sample) else "string"


def spec_from_values(name: str, values: list[str | None]) -> ColumnSpec:
    """:func:`infer_spec` with the kind (and so maybe the role) read from values."""
    spec = infer_spec(name)
    kind = infer_kind(values)
    if spec.role in ("numeric",) and kind == "string":
        return ColumnSpec(name, "categorical", "string")
    if spec.role == "numeric" and kind in ("int", "float", "bool"):
        if spec.kind == "int" and kind == "float":
            kind = "float"
        return ColumnSpec(name, "numeric" if kind != "bool" else "categorical", kind,
                          spec.domain if kind != "bool" else "none")
    if spec.role == "categorical" and kind == "bool":
        return ColumnSpec(name, "categorical", "bool")
    return spec
