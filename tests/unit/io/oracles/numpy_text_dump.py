# An independent reading of OpenSim text files with numpy.genfromtxt, for comparison with
# swingpipe's readers. Usage: numpy_text_dump.py FILE OUT.npy OUT.json
#   .mot/.sto: the lines after `endheader`: column names, then rows; a cell holding "a,b,c,d"
#              gives columns <name>_0.._3; a first column "time" is the clock.
#   .trc:      line 4 holds Frame#, Time and the marker names, data from line 6 (blank lines
#              skipped), columns <marker>_x/_y/_z.
# With a fourth argument "keep-time", the time column is kept as a channel.
# OUT.npy: rows x channels (float64, NaN for missing); OUT.json: channels, rate.
import io
import json
import sys

import numpy as np

path, out_npy, out_json = sys.argv[1:4]
keep_time = len(sys.argv) > 4 and sys.argv[4] == "keep-time"
lines = open(path, newline="").read().replace("\r\n", "\n").replace("\r", "\n").split("\n")

if path.lower().endswith(".trc"):
    names = [c.strip() for c in lines[3].split("\t") if c.strip()][2:]
    body = [l for l in lines[5:] if l.strip()]
    cols = 2 + 3 * len(names)
    data = np.genfromtxt(io.StringIO("\n".join(body)), delimiter="\t", dtype=np.float64,
                         usecols=range(cols), missing_values="", filling_values=np.nan)
    data = np.atleast_2d(data)
    time, values = data[:, 1], data[:, 2:]
    channels = [m + a for m in names for a in ("_x", "_y", "_z")]
    if keep_time:
        values, channels = data[:, 1:], ["Time"] + channels
else:
    end = next(i for i, l in enumerate(lines) if l.strip().lower() == "endheader")
    rest = [l for l in lines[end + 1:] if l.strip()]
    sep = "\t" if "\t" in rest[0] else None
    names = [c.strip() for c in (rest[0].split(sep) if sep else rest[0].split())]
    first = [c.strip() for c in (rest[1].split(sep) if sep else rest[1].split())]
    widths = [c.count(",") + 1 for c in first]
    body = "\n".join(l.replace(",", "\t") if sep else l for l in rest[1:])
    data = np.atleast_2d(np.genfromtxt(io.StringIO(body), delimiter=sep, dtype=np.float64))
    channels = []
    for n, w in zip(names, widths):
        channels += [n] if w == 1 else ["%s_%d" % (n, k) for k in range(w)]
    if names[0].lower() == "time" and not keep_time:
        time, values, channels = data[:, 0], data[:, 1:], channels[1:]
    else:
        time, values = (data[:, 0] if keep_time else None), data

rate = 0.0
if time is not None and len(time) > 1:
    rate = (len(time) - 1) / (time[-1] - time[0])
np.save(out_npy, np.ascontiguousarray(values, dtype=np.float64))
json.dump({"channels": channels, "rate": rate, "rows": int(values.shape[0])}, open(out_json, "w"))
