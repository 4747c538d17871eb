"""A tiny pure-Python pcap writer (Ethernet II / IPv4 / TCP or UDP) for the pcap tests."""

from __future__ import annotations

import struct
from pathlib import Path


def _checksum(data: bytes) -> int:
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def _ip(addr: str) -> bytes:
    return bytes(int(x) for x in addr.split("."))


def packet(src: str, dst: str, sport: int, dport: int, proto: str = "tcp",
           flags: int = 0x18, payload: bytes = b"") -> bytes:
    """An Ethernet II / IPv4 / TCP or UDP frame."""
    if proto == "tcp":
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0)
        number = 6
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
        number = 17
    l4 += payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, number, 0,
                         _ip(src), _ip(dst))
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + header + l4


def write_pcap(path: Path, packets: list[tuple[float, bytes]], *, order: str = "<",
               nano: bool = False) -> Path:
    """``packets`` (timestamp, frame) as a classic pcap file, in byte ``order``."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)]
    for ts, frame in packets:
        sec = int(ts)
        frac = round((ts - sec) * (1e9 if nano else 1e6))
        out.append(struct.pack(order + "IIII", sec, frac, len(frame), len(frame)) + frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(out))
    return path
