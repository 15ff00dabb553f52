"""Lag matrix: the Python suite's method against `swingpipe lag`, on the same data.

Run through `tools/bench-peers.sh lag [--count N] [--joints J] [--frames F] [--max-lag M]
[--repeat R]` (it provides .venv-bench-lag with numpy and scipy).

The data: N recordings of J joints x F frames (default 20 x 30 x 2000), numpy default_rng(42)
AR(1) noise, written as .npy files (frames, joints) float64 that both sides read.

The peer re-creates the Python suite's `compute_time_lag_matrix` (shared/python/
statistical_analysis.py, its "issue #5" version as the performance summary describes it): every
pair (i < j) of joints is one task for a ThreadPoolExecutor (min(8, cpu count) workers, used when
there are more than 10 joints, a new pool per recording); each task truncates both series to the
shorter, removes the means, returns lag 0 when a std is < 1e-9, runs a full cross-correlation
and takes the argmax within +-max_lag; L[i, j] = -lag / fs. Two variants of the correlation are
timed: `numpy.correlate` (direct) and `scipy.signal.correlate` (method "auto", FFT at these
sizes). swingpipe's time is the compute time `swingpipe --json lag` reports (not reading the
files); the best of R runs on each side. Wall-clock and CPU time (all threads: Python's
process_time, swingpipe's cpu_seconds) are both reported, since on a shared machine the wall
clock depends on what else runs. The lags of all three must agree exactly.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import signal


def lag_pair(x, y, max_lag, correlate):
    n = min(len(x), len(y))
    x = x[:n] - np.mean(x[:n])
    y = y[:n] - np.mean(y[:n])
    if np.std(x) < 1e-9 or np.std(y) < 1e-9:
        return 0
    corr = correlate(x, y)
    lags = signal.correlation_lags(len(x), len(y), mode="full")
    if max_lag is not None:
        keep = np.abs(lags) <= max_lag
        corr, lags = corr[keep], lags[keep]
    return int(lags[np.argmax(corr)])


def time_lag_matrix(data, fs, max_lag, correlate):
    n = data.shape[1]
    lag = np.zeros((n, n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]

    def work(p):
        return p, lag_pair(data[:, p[0]], data[:, p[1]], max_lag, correlate)

    if n > 10:
        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            results = list(pool.map(work, pairs))
    else:
        results = [work(p) for p in pairs]
    for (i, j), k in results:
        lag[i, j] = -k / fs
        lag[j, i] = k / fs
    return lag


VARIANTS = {
    "numpy.correlate": lambda x, y: np.correlate(x, y, mode="full"),
    "scipy.signal.correlate": lambda x, y: signal.correlate(x, y, mode="full"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--joints", type=int, default=30)
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--max-lag", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="swingpipe threads (0 = all)")
    a = ap.parse_args()
    fs = 240.0

    rng = np.random.default_rng(42)
    files, datasets = [], []
    for r in range(a.count):
        e = rng.standard_normal((a.frames + 50, a.joints))
        x = np.empty_like(e)
        x[0] = e[0]
        for t in range(1, len(e)):
            x[t] = 0.6 * x[t - 1] + e[t]
        shifts = rng.integers(0, 40, a.joints)
        data = np.stack([x[50 - s:50 - s + a.frames, c] for c, s in enumerate(shifts)], axis=1)
        data = np.ascontiguousarray(data, dtype=np.float64)
        path = os.path.join(a.out, f"rec_{r:04d}.npy")
        np.save(path, data)
        files.append(path)
        datasets.append(np.load(path))

    def best(fn):
        t, c, res = float("inf"), float("inf"), None
        for _ in range(a.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            res = fn()
            t = min(t, time.perf_counter() - t0)
            c = min(c, time.process_time() - c0)
        return t, c, res

    peers = {}
    for name, corr in VARIANTS.items():
        t, c, mats = best(lambda: [time_lag_matrix(d, fs, a.max_lag, corr) for d in datasets])
        peers[name] = (t / a.count, c / a.count, mats)

    cmd = [a.bin, "--json", "lag", *files, "--sample-rate", str(fs), "--threads", str(a.threads)]
    if a.max_lag is not None:
        cmd += ["--max-lag", str(a.max_lag)]
    t_sp, c_sp, doc = float("inf"), float("inf"), None
    for _ in range(a.repeat):
        doc = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        t_sp = min(t_sp, doc["seconds"])
        c_sp = min(c_sp, doc["cpu_seconds"])
    per_sp, cpu_sp = t_sp / a.count, c_sp / a.count

    mismatches = 0
    for r, rec in enumerate(doc["recordings"]):
        ours = np.array([[np.nan if v is None else v for v in row] for row in rec["lag_s"]])
        for name, (_, _, mats) in peers.items():
            if not np.array_equal(np.round(ours * fs), np.round(mats[r] * fs)):
                mismatches += 1
                print(f"  recording {r}: lags differ from {name}", file=sys.stderr)

    pairs = a.joints * (a.joints - 1) // 2
    window = "all lags" if a.max_lag is None else f"|lag| <= {a.max_lag}"
    load = os.getloadavg()[0]
    print(f"Lag matrix, {a.count} recordings x {a.joints} joints x {a.frames} frames "
          f"({pairs} pairs each, {window}), float64, best of {a.repeat}, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")
    print(f"  {'per recording':<44} {'wall ms':>10} {'CPU ms':>10}")
    for name, (t, c, _) in peers.items():
        print(f"  {'Python suite, ' + name + ', thread pool':<44} {t * 1e3:10.2f} {c * 1e3:10.2f}")
    print(f"  {'swingpipe lag (cpu)':<44} {per_sp * 1e3:10.3f} {cpu_sp * 1e3:10.3f}")
    for name, (t, c, _) in peers.items():
        print(f"  speed-up over the suite with {name}: {t / per_sp:.0f}x wall, "
              f"{c / cpu_sp:.0f}x CPU")
    if mismatches:
        sys.exit(f"bench-peers: {mismatches} lag matrices differ")
    print("  every lag matrix agrees exactly")


if __name__ == "__main__":
    main()
