#!/usr/bin/env python3
"""tools/bench-peers.sh mocap: C3D and .trc import against ezc3d and pandas (documented there).

Arguments: swingpipe-binary out-dir [--mb M] [--repeat R].
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ap = argparse.ArgumentParser(prog="bench-peers.sh mocap")
ap.add_argument("bin")
ap.add_argument("out")
ap.add_argument("--mb", type=float, default=100)
ap.add_argument("--repeat", type=int, default=3)
args = ap.parse_args()
bin_, out, mb, repeat = args.bin, args.out, args.mb, args.repeat
MARKERS, CHANNELS, PER_FRAME, RATE = 150, 32, 10, 120.0
TRC_MARKERS = 50


def make_c3d(path):
    import ezc3d

    frame_bytes = 4 * (4 * MARKERS + CHANNELS * PER_FRAME)
    frames = min(32767, int(mb * 1e6 / frame_bytes))  # ezc3d reads POINT:FRAMES as a signed int
    if os.path.exists(path):
        return
    rng = np.random.default_rng(42)
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [RATE]
    c["parameters"]["POINT"]["LABELS"]["value"] = ["M%d" % i for i in range(MARKERS)]
    c["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    pts = np.ones((4, MARKERS, frames))
    pts[:3] = rng.uniform(-1000, 1000, (3, MARKERS, frames)).astype(np.float32)
    pts[:3, rng.random((MARKERS, frames)) < 0.01] = np.nan  # missing markers
    c["data"]["points"] = pts
    c["parameters"]["ANALOG"]["RATE"]["value"] = [RATE * PER_FRAME]
    c["parameters"]["ANALOG"]["LABELS"]["value"] = ["A%d" % i for i in range(CHANNELS)]
    c["data"]["analogs"] = rng.uniform(-5, 5, (1, CHANNELS, frames * PER_FRAME)).astype(np.float32)
    part = path[:-len(".c3d")] + ".part.c3d"  # ezc3d wants the .c3d extension
    c.write(part)
    os.rename(part, path)


def make_trc(path):
    rows = int(mb * 1e6 / (TRC_MARKERS * 3 * 11.5 + 16))
    if os.path.exists(path):
        return
    rng = np.random.default_rng(7)
    v = rng.uniform(-1000, 1000, (rows, 3 * TRC_MARKERS))
    v[rng.random((rows, 3 * TRC_MARKERS)) < 0.01] = np.nan
    with open(path + ".part", "w") as f:
        f.write("PathFileType\t4\t(X/Y/Z)\tbench.trc\n")
        f.write("DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
                "OrigDataStartFrame\tOrigNumFrames\n")
        f.write("%g\t%g\t%d\t%d\tmm\t%g\t1\t%d\n" % (RATE, RATE, rows, TRC_MARKERS, RATE, rows))
        f.write("Frame#\tTime\t" + "\t\t\t".join("M%d" % m for m in range(TRC_MARKERS)) + "\n")
        f.write("\t\t" + "\t".join("%s%d" % (a, m + 1) for m in range(TRC_MARKERS)
                                   for a in "XYZ") + "\n\n")
        for r in range(rows):
            cells = ["" if np.isnan(x) else "%.6f" % x for x in v[r]]
            f.write("%d\t%.6f\t%s\n" % (r + 1, r / RATE, "\t".join(cells)))
    os.rename(path + ".part", path)
    return rows


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run(cmd, env=None):
    """Runs a command; returns (seconds, peak RSS in MiB or NaN, stdout).

    The peak comes from GNU time (Debian package `time`): a child forked by this (large) Python
    process would report at least this process's own peak, which Linux carries across exec."""
    with tempfile.NamedTemporaryFile("r") as rss:
        full = [GNU_TIME, "-o", rss.name, "-f", "%M"] + cmd if GNU_TIME else cmd
        t0 = time.perf_counter()
        p = subprocess.run(full, capture_output=True, env=env)
        seconds = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit("bench-peers: %s failed:\n%s" % (" ".join(cmd), p.stderr.decode()[-2000:]))
        peak = float(rss.read().strip().splitlines()[-1]) / 1024 if GNU_TIME else float("nan")
    return seconds, peak, p.stdout


def best(cmd, env=None):
    runs = [run(cmd, env) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]


PEER_C3D = """
import sys, time, ezc3d, numpy as np
t0 = time.perf_counter()
c = ezc3d.c3d(sys.argv[1])
t = time.perf_counter() - t0
if len(sys.argv) > 2:
    np.save(sys.argv[2], np.transpose(c["data"]["points"][:3], (2, 1, 0)).reshape(
        c["data"]["points"].shape[2], -1))
    np.save(sys.argv[3], c["data"]["analogs"][0].T)
print(t)
"""

PEER_TRC = """
import sys, time, pandas as pd, numpy as np
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], sep="\\t", skiprows=6, header=None, engine="c")
t = time.perf_counter() - t0
if len(sys.argv) > 2:
    np.save(sys.argv[2], df.iloc[:, 2:2 + int(sys.argv[3])].to_numpy(np.float64))
print(t)
"""


def swingpipe_read(case, env_key, path):
    env = dict(os.environ, **{env_key: path})
    _, _, o = run([bin_, "bench", "--benchmark_filter=^mocap/%s_read" % case,
                   "--benchmark_format=json", "--benchmark_repetitions=%d" % repeat,
                   "--benchmark_min_time=0.01"], env)
    times = [b["real_time"] / 1e3 for b in json.loads(o)["benchmarks"]
             if b.get("run_type") == "iteration"]
    return min(times)


def swingpipe_import(path, tmp):
    db = os.path.join(tmp, "lib.db")
    runs = []
    for _ in range(repeat):
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(db + ext):
                os.remove(db + ext)
        runs.append(run([bin_, "--quiet", "--library", db, "library", "import", path]))
    return min(r[0] for r in runs), max(r[1] for r in runs), db


def export(db, rec_id, path):
    run([bin_, "--quiet", "--library", db, "library", "export", str(rec_id), path])
    return np.load(path)


def same(a, b):
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def line(name, seconds, size, frames, rss=None, decoded=None):
    s = "  %-44s %8.3f s %9.1f MB/s %12.0f frames/s" % (name, seconds, size / 1e6 / seconds,
                                                        frames / seconds)
    if rss is not None:
        s += "  peak RSS %7.1f MiB (%.2fx decoded)" % (rss, rss * 2**20 / decoded)
    print(s)


with tempfile.TemporaryDirectory() as tmp:
    # ---- C3D ---------------------------------------------------------------------------------
    import ezc3d
    c3d = os.path.join(out, "mocap_%gMB.c3d" % mb)
    make_c3d(c3d)
    size = os.path.getsize(c3d)
    pts_ref, an_ref = os.path.join(tmp, "p.npy"), os.path.join(tmp, "a.npy")
    run([sys.executable, "-c", PEER_C3D, c3d, pts_ref, an_ref])
    pts_ref, an_ref = np.load(pts_ref), np.load(an_ref)
    frames = pts_ref.shape[0]
    decoded = (pts_ref.size + an_ref.size) * 8
    peer_runs = [run([sys.executable, "-c", PEER_C3D, c3d]) for _ in range(repeat)]
    t_peer = min(float(r[2]) for r in peer_runs)
    rss_peer = max(r[1] for r in peer_runs)
    t_read = swingpipe_read("c3d", "SWINGPIPE_BENCH_C3D", c3d)
    t_imp, rss_imp, db = swingpipe_import(c3d, tmp)
    ok = same(export(db, 1, os.path.join(tmp, "sp.npy")), pts_ref) and \
        same(export(db, 2, os.path.join(tmp, "sa.npy")), an_ref)
    print("C3D %s: %.1f MB, %d frames x %d markers, %d analog channels x %d samples, decoded %.1f MB"
          % (os.path.basename(c3d), size / 1e6, frames, MARKERS, CHANNELS, an_ref.shape[0],
             decoded / 1e6))
    line("ezc3d %s (ezc3d.c3d, C++ via Python)" % ezc3d.__version__, t_peer, size, frames,
         rss_peer, decoded)
    line("swingpipe read (c3d::read)", t_read, size, frames)
    line("swingpipe library import (read + store)", t_imp, size, frames, rss_imp, decoded)
    print("  speed-up swingpipe / ezc3d: read %.1fx, whole import %.1fx; values %s"
          % (t_peer / t_read, t_peer / t_imp, "identical" if ok else "DIFFER"))
    if not ok:
        sys.exit("bench-peers: swingpipe and ezc3d read different values")

    # ---- TRC ---------------------------------------------------------------------------------
    import pandas
    trc = os.path.join(out, "mocap_%gMB.trc" % mb)
    make_trc(trc)
    size = os.path.getsize(trc)
    ref = os.path.join(tmp, "t.npy")
    run([sys.executable, "-c", PEER_TRC, trc, ref, str(3 * TRC_MARKERS)])
    ref = np.load(ref)
    frames = ref.shape[0]
    decoded = ref.size * 8
    peer_runs = [run([sys.executable, "-c", PEER_TRC, trc]) for _ in range(repeat)]
    t_peer = min(float(r[2]) for r in peer_runs)
    rss_peer = max(r[1] for r in peer_runs)
    t_read = swingpipe_read("trc", "SWINGPIPE_BENCH_TRC", trc)
    t_imp, rss_imp, db = swingpipe_import(trc, tmp)
    ok = same(export(db, 1, os.path.join(tmp, "st.npy")), ref)
    print("TRC %s: %.1f MB, %d frames x %d markers, decoded %.1f MB"
          % (os.path.basename(trc), size / 1e6, frames, TRC_MARKERS, decoded / 1e6))
    line("pandas %s read_csv (C parser)" % pandas.__version__, t_peer, size, frames, rss_peer,
         decoded)
    line("swingpipe read (read_trc)", t_read, size, frames)
    line("swingpipe library import (read + store)", t_imp, size, frames, rss_imp, decoded)
    print("  speed-up swingpipe / pandas: read %.1fx, whole import %.1fx; values %s"
          % (t_peer / t_read, t_peer / t_imp, "identical" if ok else "DIFFER"))
    if not ok:
        sys.exit("bench-peers: swingpipe and pandas read different values")
