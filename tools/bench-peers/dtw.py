#!/usr/bin/env python3
"""tools/bench-peers.sh dtw: dtaidistance's all-pairs matrix against `swingpipe dtw --all-pairs`.

Arguments: swingpipe-binary out-dir [--count N] [--length L] [--band-fraction F] [--repeat R].
"""
import argparse
import json, math, os, subprocess, sys, time
import numpy as np
from dtaidistance import dtw

ap = argparse.ArgumentParser(prog="bench-peers.sh dtw")
ap.add_argument("bin")
ap.add_argument("out")
ap.add_argument("--count", type=int, default=1000)
ap.add_argument("--length", type=int, default=128)
ap.add_argument("--band-fraction", type=float, default=1.0)
ap.add_argument("--repeat", type=int, default=3)
args = ap.parse_args()
bin_, out, count, length, fraction, repeat = args.bin, args.out, args.count, args.length, args.band_fraction, args.repeat
rng = np.random.default_rng(42)
data = rng.uniform(-1.0, 1.0, size=(count, length))
tsv = os.path.join(out, f"dtw_{count}x{length}.tsv")
with open(tsv, "w") as f:
    for row in data:
        f.write("0\t" + "\t".join(f"{v:.17g}" for v in row) + "\n")
data = np.ascontiguousarray(np.loadtxt(tsv, delimiter="\t")[:, 1:], dtype=np.float64)

# Sakoe-Chiba radius r = floor(f * L) (swingpipe), dtaidistance's window w allows |i - j| < w.
r = min(int(math.floor(fraction * length)), length - 1)
full = r >= length - 1
cells_per_pair = sum(min(length - 1, i + r) - max(0, i - r) + 1 for i in range(length))
cells = count * (count - 1) // 2 * cells_per_pair

def best(fn):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return min(times), res

kw = {} if full else {"window": r + 1}
t_peer, m_peer = best(lambda: dtw.distance_matrix_fast(data, use_c=True, parallel=True, **kw))

npy = os.path.join(out, "swingpipe_matrix.npy")
cmd = [bin_, "--json", "dtw", "--all-pairs", tsv, "--out", npy]
if not full:
    cmd += ["--band", str(r)]
def run_sp():
    j = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return j["seconds"], j
t_sp = math.inf
for _ in range(repeat):
    s, j = run_sp()
    t_sp = min(t_sp, s)
assert j["cells"] == cells, (j["cells"], cells)
m_sp = np.load(npy)

iu = np.triu_indices(count, 1)
a, b = m_peer[iu], m_sp[iu]
rel = float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)))
print(f"DTW all-pairs, {count} series x {length} samples, float64, "
      f"{'full band' if full else f'band r={r}'}, {cells / 1e9:.3f} G in-band cells, best of {repeat}")
print(f"  {'dtaidistance ' + __import__('dtaidistance').__version__:<28} {t_peer:9.3f} s  {cells / t_peer * 1e-9:8.3f} GCUPS")
print(f"  {'swingpipe (cpu)':<28} {t_sp:9.3f} s  {cells / t_sp * 1e-9:8.3f} GCUPS")
print(f"  speed-up swingpipe / dtaidistance: {t_peer / t_sp:.2f}x; max relative difference {rel:.2e}")
if not rel < 1e-9:
    sys.exit("bench-peers: the two matrices differ")
