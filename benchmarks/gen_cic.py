"""Generate a CICFlowMeter-like CSV of a given size (for the curation benchmark).

Column names and value shapes follow CIC-IDS2017 (85 columns incl. identifiers),
with the quirks curation must handle: Infinity/NaN rates, -1 window sentinels,
a few negative durations, 1 in 500 rows duplicated.

usage: python benchmarks/gen_cic.py OUT.csv --gigabytes 1 [--seed 0]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

FEATURES = [
    "Flow Duration", "Total Fwd Packets", "Total Backward Packets",
    "Total Length of Fwd Packets", "Total Length of Bwd Packets", "Fwd Packet Length Max",
    "Fwd Packet Length Min", "Fwd Packet Length Mean", "Fwd Packet Length Std",
    "Bwd Packet Length Max", "Bwd Packet Length Min", "Bwd Packet Length Mean",
    "Bwd Packet Length Std", "Flow Bytes/s", "Flow Packets/s", "Flow IAT Mean", "Flow IAT Std",
    "Flow IAT Max", "Flow IAT Min", "Fwd IAT Total", "Fwd IAT Mean", "Fwd IAT Std",
    "Fwd IAT Max", "Fwd IAT Min", "Bwd IAT Total", "Bwd IAT Mean", "Bwd IAT Std",
    "Bwd IAT Max", "Bwd IAT Min", "Fwd PSH Flags", "Bwd PSH Flags", "Fwd URG Flags",
    "Bwd URG Flags", "Fwd Header Length", "Bwd Header Length", "Fwd Packets/s",
    "Bwd Packets/s", "Min Packet Length", "Max Packet Length", "Packet Length Mean",
    "Packet Length Std", "Packet Length Variance", "FIN Flag Count", "SYN Flag Count",
    "RST Flag Count", "PSH Flag Count", "ACK Flag Count", "URG Flag Count", "CWE Flag Count",
    "ECE Flag Count", "Down/Up Ratio", "Average Packet Size", "Avg Fwd Segment Size",
    "Avg Bwd Segment Size", "Fwd Avg Bytes/Bulk", "Fwd Avg Packets/Bulk",
    "Fwd Avg Bulk Rate", "Bwd Avg Bytes/Bulk", "Bwd Avg Packets/Bulk", "Bwd Avg Bulk Rate",
    "Subflow Fwd Packets", "Subflow Fwd Bytes", "Subflow Bwd Packets", "Subflow Bwd Bytes",
    "Init_Win_bytes_forward", "Init_Win_bytes_backward", "act_data_pkt_fwd",
    "min_seg_size_forward", "Active Mean", "Active Std", "Active Max", "Active Min",
    "Idle Mean", "Idle Std", "Idle Max", "Idle Min",
]
HEADER = ["Flow ID", "Source IP", "Source Port", "Destination IP", "Destination Port",
          "Protocol", "Timestamp", *FEATURES, "Label"]
LABELS = np.array(["BENIGN"] * 80 + ["DoS Hulk"] * 12 + ["PortScan"] * 7 + ["Heartbleed"])


def chunk(rng: np.random.Generator, n: int) -> pd.DataFrame:
    data: dict[str, object] = {}
    src = rng.integers(1, 255, n)
    dst = rng.integers(1, 255, n)
    sport = rng.integers(1024, 65535, n)
    dport = rng.choice([80, 443, 22, 53, 8080], n)
    data["Flow ID"] = [f"192.168.10.{a}-10.0.0.{b}-{c}-{d}-6"
                       for a, b, c, d in zip(src, dst, sport, dport, strict=True)]
    data["Source IP"] = [f"192.168.10.{a}" for a in src]
    data["Source Port"] = sport
    data["Destination IP"] = [f"10.0.0.{b}" for b in dst]
    data["Destination Port"] = dport
    data["Protocol"] = rng.choice([6, 17], n)
    data["Timestamp"] = pd.Timestamp("2017-07-05 09:00") + pd.to_timedelta(
        np.sort(rng.integers(0, 8 * 3600, n)), unit="s")
    for i, name in enumerate(FEATURES):
        if "Flags" in name or "Flag Count" in name:
            data[name] = rng.integers(0, 2, n)
        elif "Total" in name or "Subflow" in name or "act_data" in name:
            data[name] = rng.integers(0, 5000, n)
        else:
            data[name] = np.round(rng.lognormal(3 + i % 7, 1.5, n), 4)
    frame = pd.DataFrame(data)
    frame["Flow Bytes/s"] = frame["Flow Bytes/s"].astype(object)
    frame.loc[rng.random(n) < 0.01, "Flow Bytes/s"] = "Infinity"
    frame.loc[rng.random(n) < 0.01, "Flow Packets/s"] = np.nan
    frame.loc[rng.random(n) < 0.2, "Init_Win_bytes_backward"] = -1
    frame.loc[rng.random(n) < 0.001, "Flow Duration"] = -3
    frame["Label"] = rng.choice(LABELS, n)
    dup = rng.random(n) < 0.002
    return pd.concat([frame, frame[dup]], ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--gigabytes", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    target = int(args.gigabytes * 1e9)
    with open(args.out, "w", newline="") as fh:
        fh.write(",".join(HEADER) + "\n")
        while fh.tell() < target:
            chunk(rng, 20000).to_csv(fh, header=False, index=False)
    print(args.out, os.path.getsize(args.out))


if __name__ == "__main__":
    main()
