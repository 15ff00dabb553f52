# What the reference reader ezc3d reads from a C3D file, in the layout of
# ../shared/data/mocap/make_c3d_oracle.py: <out>/<stem>.json (rates, frames, labels, units),
# <stem>.points.npy (frames x points x 3, float64, NaN for missing markers) and <stem>.analogs.npy
# (samples x channels, float64, scaled by ezc3d). Usage: ezc3d_dump.py FILE.c3d OUTDIR
import json
import os
import sys

import ezc3d
import numpy as np

path, out = sys.argv[1], sys.argv[2]
c = ezc3d.c3d(path)
P = c["parameters"]
stem = os.path.join(out, os.path.splitext(os.path.basename(path))[0])
pts = c["data"]["points"]  # 4 x points x frames
xyz = np.transpose(pts[:3], (2, 1, 0)).astype(np.float64)
an = c["data"]["analogs"][0].T.astype(np.float64)  # samples x channels


def val(g, k, default):
    try:
        return P[g][k]["value"]
    except KeyError:
        return default


def labels(group):
    out, k = list(val(group, "LABELS", [])), 2
    while "LABELS%d" % k in P.get(group, {}):
        out += list(P[group]["LABELS%d" % k]["value"])
        k += 1
    return out


rate = val("POINT", "RATE", [0])
arate = val("ANALOG", "RATE", [0])
meta = {
    "file": os.path.basename(path),
    "point_rate": float(rate[0]) if len(rate) else 0.0,
    "analog_rate": float(arate[0]) if len(arate) else 0.0,
    "first_frame": int(c["header"]["points"]["first_frame"]),
    "last_frame": int(c["header"]["points"]["last_frame"]),
    "frames": int(pts.shape[2]),
    "points": int(pts.shape[1]),
    "point_labels": labels("POINT"),
    "point_units": (list(val("POINT", "UNITS", [""])) or [""])[0],
    "analog_channels": int(an.shape[1]),
    "analog_samples": int(an.shape[0]),
    "analog_labels": labels("ANALOG"),
    "missing_point_values": int(np.isnan(xyz).sum()),
}
with open(stem + ".json", "w") as f:
    json.dump(meta, f)
np.save(stem + ".points.npy", xyz)
np.save(stem + ".analogs.npy", an)
