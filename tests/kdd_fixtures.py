"""KDD Cup 99 / NSL-KDD records and an ARFF template, written from the published layouts."""

from __future__ import annotations

# The 41 feature names of the KDD Cup 99 task description, in file order.
FEATURES = (
    "duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent "
    "hot num_failed_logins logged_in num_compromised root_shell su_attempted num_root "
    "num_file_creations num_shells num_access_files num_outbound_cmds is_host_login "
    "is_guest_login count srv_count serror_rate srv_serror_rate rerror_rate "
    "srv_rerror_rate same_srv_rate diff_srv_rate srv_diff_host_rate dst_host_count "
    "dst_host_srv_count dst_host_same_srv_rate dst_host_diff_srv_rate "
    "dst_host_same_src_port_rate dst_host_srv_diff_host_rate dst_host_serror_rate "
    "dst_host_srv_serror_rate dst_host_rerror_rate dst_host_srv_rerror_rate"
).split()

# Records as published (KDDTrain+.txt rows 1 and 3).
NORMAL = ("0,tcp,ftp_data,SF,491,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0.00,0.00,0.00,"
          "0.00,1.00,0.00,0.00,150,25,0.17,0.03,0.17,0.00,0.00,0.00,0.05,0.00")
NEPTUNE = ("0,tcp,private,S0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,123,6,1.00,1.00,0.00,"
           "0.00,0.05,0.07,0.00,255,26,0.10,0.05,0.00,0.00,1.00,1.00,0.00,0.00")

ARFF = """% NSL-KDD training set
% from the University of New Brunswick
@relation 'KDDTrain'

{attributes}
% the class: normal or anomaly
@attribute 'class' {{'normal', 'anomaly'}}

@data
{rows}"""


def arff_attributes() -> str:
    """The ``@attribute`` lines of :data:`FEATURES` for :data:`ARFF`."""
    lines = []
    for name in FEATURES:
        if name == "protocol_type":
            kind = "{'tcp','udp', 'icmp'} "
        elif name in ("service", "flag"):
            kind = "{'ftp_data', 'http', 'private', 'ecr_i', 'telnet', 'SF', 'S0'}"
        elif name in ("land", "logged_in", "is_host_login", "is_guest_login"):
            kind = "{'0', '1'}"
        else:
            kind = "real"
        lines.append(f"@attribute '{name}' {kind}")
    return "\n".join(lines)
