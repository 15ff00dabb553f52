#!/usr/bin/env bash
# Compare swingpipe with peer libraries on identical data.
#
#   tools/bench-peers.sh dtw [--count N] [--length L] [--band-fraction F] [--repeat R]
#   tools/bench-peers.sh mocap [--mb M] [--repeat R]
#
# dtw: an all-pairs DTW matrix of N random series of length L (default 1000 x 128, full band), by
# dtaidistance (dtw.distance_matrix_fast, C, parallel) and by `swingpipe dtw --all-pairs`, both in
# float64 with all cores. The data is generated once with numpy (default_rng(seed 42), uniform in
# [-1, 1)) and written to a UCR .tsv file (values printed with 17 significant digits, so they round
# trip exactly); numpy reloads that file for dtaidistance and swingpipe reads the same file. Only
# the matrix computation is timed on both sides (best of R runs); the script prints time, GCUPS
# (in-band cells per second) and the ratio, and checks that both matrices agree.
#
# mocap: import of a ~M MB C3D file (default 100; 150 markers, 32 analog channels at 10 samples
# per frame, float storage, written by ezc3d itself from numpy's default_rng(42)) and a ~M MB .trc
# file (50 markers, six decimals, some blank cells, written by Python). Peers read the same files:
# ezc3d (C++ through its Python module, ezc3d.c3d(path)) the C3D, pandas.read_csv (C parser) the
# .trc. swingpipe is timed twice: reading only (`swingpipe bench` mocap/*_read on that file) and
# the whole `swingpipe library import` into a fresh library (read + checksum + SQLite). Each run
# is a separate process, best of R; peak RSS from wait4. The values swingpipe stored are exported
# and checked against the peer's arrays (NaN where the peer has NaN).
#
# Needs a built swingpipe: $SWINGPIPE_BIN, or build*/tools/swingpipe. Creates .venv-bench with
# the peers from PyPI on first use (dtaidistance, numpy; ezc3d, pandas). Output files go to
# out/bench-peers/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
[[ $# -ge 1 ]] || { usage; exit 2; }
[[ $1 == -h || $1 == --help ]] && { usage; exit 0; }
what=$1; shift
[[ $what == dtw || $what == mocap ]] ||
  { echo "bench-peers: unknown comparison '$what' (known: dtw, mocap)" >&2; exit 2; }

count=1000 length=128 fraction=1.0 repeat=3 mb=100
while [[ $# -gt 0 ]]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --length) length=$2; shift 2 ;;
    --band-fraction) fraction=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-peers: unknown option $1" >&2; exit 2 ;;
  esac
done

bin=${SWINGPIPE_BIN:-}
if [[ -z $bin ]]; then
  for b in build/tools/swingpipe build*/tools/swingpipe; do
    [[ -x $b ]] && { bin=$b; break; }
  done
fi
[[ -n $bin && -x $bin ]] || { echo "bench-peers: no swingpipe binary (build it or set SWINGPIPE_BIN)" >&2; exit 2; }

venv=.venv-bench
if [[ ! -x $venv/bin/python ]] || ! $venv/bin/python -c 'import dtaidistance, numpy, ezc3d, pandas' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet dtaidistance numpy ezc3d pandas
fi

out=out/bench-peers
mkdir -p "$out"
if [[ $what == mocap ]]; then
  exec "$venv/bin/python" tools/bench_peers_mocap.py "$bin" "$out" "$mb" "$repeat"
fi
"$venv/bin/python" - "$bin" "$out" "$count" "$length" "$fraction" "$repeat" <<'PY'
import json, math, os, subprocess, sys, time
import numpy as np
from dtaidistance import dtw

bin_, out, count, length, fraction, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
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
PY
