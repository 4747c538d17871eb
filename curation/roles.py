"""Column roles from names: the fallback when neither adapter nor mapping knows a column.

Adapters declare the roles of the columns their format defines; a mapping file
overrides them. A column nobody declared gets a role from its name here, and its
storage kind from its values (see :func:`infer_kind`). The rules
are general (they apply to any capture), and documented in docs/formats.md.

>>> infer_spec("src_ip").role
'endpoint'
>>> infer_spec("dst_port").domain
'port'
>>> infer_spec("flow_duration").domain
'nonnegative'
>>> infer_spec("latitude").domain
'latitude'

An address (role ``endpoint``) is inferred from a name only when every token of the
name is an address or direction word (``src_ip``, ``id_orig_h``, ``ip_src_host``);
a name that merely contains one (``l3_ip_dst_count``, ``orig_ip_bytes``) needs
address-like values too. Values that are IP or MAC addresses make any column an
endpoint.

>>> infer_spec("l3_ip_dst_count").role, infer_spec("ip_dst_host").role
('numeric', 'endpoint')
>>> spec_from_values("arp_dst_proto_ipv4", ["192.168.0.1", "10.0.0.7"]).role
'endpoint'
"""

from __future__ import annotations

import ipaddress
import re

from ._typing import Domain, Kind, Role
from .schema import ColumnSpec
from .vocabulary import FALSE_SPELLINGS, MISSING_MARKERS, TRUE_SPELLINGS

__all__ = ["ADDRESS_SHARE", "ADDRESS_WORDS", "DIRECTION_WORDS", "infer_kind", "infer_spec",
           "is_address_name", "looks_like_addresses", "spec_from_values"]

# A name made only of these tokens, with at least one address word, is an address.
ADDRESS_WORDS = frozenset({
    "ip", "ips", "ipv4", "ipv6", "addr", "address", "addresses", "host", "hostname", "mac",
    "saddr", "daddr", "srcip", "dstip", "srcaddr", "dstaddr", "ipsrc", "ipdst", "h"})
DIRECTION_WORDS = frozenset({
    "src", "dst", "source", "destination", "dest", "orig", "resp", "client", "server",
    "local", "remote", "sender", "target", "id", "from", "to", "peer", "hw", "eth", "s", "d"})
_ADDRESS_TOKEN = re.compile(r"(^|_)(ip|ips|ipv4|ipv6|addr|address|host|hostname|mac|saddr|"
                            r"daddr|srcip|dstip|orig_h|resp_h)($|_)")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$")
_HOSTNAME = re.compile(r"^(?=.*[a-zA-Z])[a-zA-Z0-9-]{1,63}(\.[a-zA-Z0-9-]{1,63})+\.?$")
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
    k: Kind
    domain: Domain = "none"
    if _ID.search(name):
        role, k = "id", "string"
    elif _SRC_PORT.search(name):
        role, k, domain = "endpoint", "int", "port"
    elif is_address_name(name):
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


def is_address_name(name: str) -> bool:
    """Every token of ``name`` is an address or direction word, one an address word.

    >>> is_address_name("id_orig_h"), is_address_name("orig_ip_bytes")
    (True, False)
    """
    tokens = [t for t in name.lower().split("_") if t]
    return (any(t in ADDRESS_WORDS for t in tokens)
            and all(t in ADDRESS_WORDS or t in DIRECTION_WORDS for t in tokens))


def _is_ip(value: str) -> bool:
    if ":" not in value and not _IPV4.match(value):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def looks_like_addresses(values: list[str | None], *, hostnames: bool = False) -> bool:
    """Whether ``values`` are addresses: IP or MAC (or, with ``hostnames``, DNS names).

    True when at least :data:`ADDRESS_SHARE` of the non-missing values are, or when
    some are and all the others are one placeholder (Edge-IIoTset writes ``0`` in
    ``arp.dst.proto_ipv4`` for packets that are not ARP).

    >>> looks_like_addresses(["10.0.0.1", "fe80::1", "00:1a:2b:3c:4d:5e", "-"])
    True
    >>> looks_like_addresses(["0", "192.168.0.7", "0"]), looks_like_addresses(["1", "2"])
    (True, False)
    """
    sample = [v.strip() for v in values if v is not None and v.strip() not in MISSING_MARKERS]
    hits = [_is_ip(v) or _MAC.match(v) is not None
            or (hostnames and _HOSTNAME.match(v) is not None) for v in sample]
    n = sum(hits)
    if not n:
        return False
    others = {v for v, hit in zip(sample, hits, strict=True) if not hit}
    return n >= ADDRESS_SHARE * len(sample) or len(others) == 1


ADDRESS_SHARE = 0.9
"""The share of address-like values that makes a column an endpoint."""


def spec_from_values(name: str, values: list[str | None]) -> ColumnSpec:
    """:func:`infer_spec` with the kind (and so maybe the role) read from values.

    A column whose values are addresses is an endpoint whatever its name; a name
    that contains an address word (``http_host``) also counts DNS names.
    """
    spec = infer_spec(name)
    if spec.role in ("numeric", "categorical") and looks_like_addresses(
            values, hostnames=_ADDRESS_TOKEN.search(name) is not None):
        return ColumnSpec(name, "endpoint", "string", "ip")
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
