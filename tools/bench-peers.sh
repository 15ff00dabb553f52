#!/usr/bin/env bash
# Compare swingpipe with peer libraries on identical data.
#
#   tools/bench-peers.sh dtw [--count N] [--length L] [--band-fraction F] [--repeat R]
#   tools/bench-peers.sh rqa [--n N] [--eps E] [--dense-max N] [--no-check] [--no-timing]
#
# dtw: an all-pairs DTW matrix of N random series of length L (default 1000 x 128, full band), by
# dtaidistance (dtw.distance_matrix_fast, C, parallel) and by `swingpipe dtw --all-pairs`, both in
# float64 with all cores. The data is generated once with numpy (default_rng(seed 42), uniform in
# [-1, 1)) and written to a UCR .tsv file (values printed with 17 significant digits, so they round
# trip exactly); numpy reloads that file for dtaidistance and swingpipe reads the same file. Only
# the matrix computation is timed on both sides (best of R runs); the script prints time, GCUPS
# (in-band cells per second) and the ratio, and checks that both matrices agree.
#
# rqa: tools/bench-peers/rqa.py: first pyRQA 8.1 (OpenCL on the pocl CPU device, float64) and
# `swingpipe rqa --convention pyrqa` must give equal histograms and measures on 1500 Lorenz points
# (3 metrics, Theiler 0/1/5, auto/cross/joint); then the timings of pyRQA (optimisations on),
# swingpipe's CPU backend and the Python suite's dense numpy method on N points (default 10 000),
# with each one's peak memory. Its own venv, .venv-bench-rqa (pyrqa, pyopencl, pocl).
#
# Needs a built swingpipe: $SWINGPIPE_BIN, or build*/tools/swingpipe. Creates .venv-bench with
# dtaidistance and numpy from PyPI on first use. Output files go to out/bench-peers/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
[[ $# -ge 1 ]] || { usage; exit 2; }
what=$1; shift
[[ $what == dtw || $what == rqa ]] ||
  { echo "bench-peers: unknown comparison '$what' (known: dtw, rqa)" >&2; exit 2; }

find_bin() {
  local b=${SWINGPIPE_BIN:-}
  if [[ -z $b ]]; then
    for c in build/tools/swingpipe build*/tools/swingpipe; do
      [[ -x $c ]] && { b=$c; break; }
    done
  fi
  [[ -n $b && -x $b ]] || { echo "bench-peers: no swingpipe binary (build it or set SWINGPIPE_BIN)" >&2; exit 2; }
  echo "$b"
}

if [[ $what == rqa ]]; then
  bin=$(find_bin)
  venv=.venv-bench-rqa
  if [[ ! -x $venv/bin/python ]] || ! $venv/bin/python -c 'import pyrqa, pyopencl, numpy' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet pyrqa==8.1.0 pyopencl pocl-binary-distribution numpy
  fi
  out=out/bench-peers
  mkdir -p "$out"
  exec "$venv/bin/python" tools/bench-peers/rqa.py "$bin" "$out" "$@"
fi

count=1000 length=128 fraction=1.0 repeat=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --length) length=$2; shift 2 ;;
    --band-fraction) fraction=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
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
if [[ ! -x $venv/bin/python ]] || ! $venv/bin/python -c 'import dtaidistance, numpy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet dtaidistance numpy
fi

out=out/bench-peers
mkdir -p "$out"
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
