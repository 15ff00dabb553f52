#!/usr/bin/env bash
# Compare swingpipe with peer libraries on identical data.
#
#   tools/bench-peers.sh dtw [--count N] [--length L] [--band-fraction F] [--repeat R]
#   tools/bench-peers.sh cwt [--lengths 14,16,18] [--scales 64,256] [--threads T] [--repeat R]
#                            [--pywt-max 16]
#
# dtw: an all-pairs DTW matrix of N random series of length L (default 1000 x 128, full band), by
# dtaidistance (dtw.distance_matrix_fast, C, parallel) and by `swingpipe dtw --all-pairs`, both in
# float64 with all cores. The data is generated once with numpy (default_rng(seed 42), uniform in
# [-1, 1)) and written to a UCR .tsv file (values printed with 17 significant digits, so they round
# trip exactly); numpy reloads that file for dtaidistance and swingpipe reads the same file. Only
# the matrix computation is timed on both sides (best of R runs); the script prints time, GCUPS
# (in-band cells per second) and the ratio, and checks that both matrices agree.
#
# cwt: the Morlet CWT of one float32 channel of uniform noise (numpy default_rng(42), written to
# .npy for swingpipe) at 2^L samples and S frequencies geometric from fs/256 to fs/4 (fs = 1000),
# complex64 output, T threads (default 2), by fCWT (PyPI fcwt: FFTW wisdom made first with
# FFTW_MEASURE for T threads, as fCWT's own benchmark does; and its default fcwt.cwt() call),
# ssqueezepy (zero padding, L2 norm, float32), PyWavelets (cwt method='fft', complex128; only up
# to 2^pywt-max samples, it is slow) and `swingpipe cwt --output complex|power` (best of R runs
# of one plan, reported by the command; FFTW wisdom kept in out/bench-peers). fCWT and
# swingpipe alternate for 3 rounds and keep their best, so both meet the same load. Every
# library gets the same wavelet: fCWT's Morlet of bandwidth 2 is e^{-t^2/8} e^{i 2 pi t}, i.e.
# w0 = 4 pi, given to the others. Power output for
# the peers is their complex output then |W|^2 in numpy (timed together). Also timed: a numpy
# copy of a complex64 array of the output's size (the memory-bandwidth bound). Prints M
# coefficients/s and the ratios swingpipe / peer. fCWT needs libfftw3-single3 and an importable
# matplotlib: the script installs both when missing.
#
# Needs a built swingpipe: $SWINGPIPE_BIN, or build*/tools/swingpipe. Creates .venv-bench from
# PyPI on first use (dtaidistance, numpy; for cwt also fcwt, ssqueezepy, PyWavelets, matplotlib).
# Output files go to out/bench-peers/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; }
[[ $# -ge 1 ]] || { usage; exit 2; }
what=$1; shift
[[ $what == dtw || $what == cwt ]] ||
  { echo "bench-peers: unknown comparison '$what' (known: dtw, cwt)" >&2; exit 2; }

count=1000 length=128 fraction=1.0 repeat=3
lengths=14,16,18 scales=64,256 threads=2 pywt_max=16
while [[ $# -gt 0 ]]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --length) length=$2; shift 2 ;;
    --band-fraction) fraction=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --lengths) lengths=$2; shift 2 ;;
    --scales) scales=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --pywt-max) pywt_max=$2; shift 2 ;;
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

if [[ $what == cwt ]]; then
  # fCWT's wheel links libfftw3f.so.3 / libfftw3f_omp.so.3 (Debian libfftw3-single3).
  if ! ldconfig -p | grep -q 'libfftw3f_omp.so.3'; then
    echo "bench-peers: installing libfftw3-single3 (fCWT needs it)" >&2
    apt-get install -y -q libfftw3-single3 >/dev/null
  fi
  if ! $venv/bin/python -c 'import fcwt, ssqueezepy, pywt, matplotlib' 2>/dev/null; then
    "$venv/bin/pip" install --quiet fcwt ssqueezepy PyWavelets matplotlib
  fi
  export MPLBACKEND=Agg OMP_NUM_THREADS=$threads NUMBA_NUM_THREADS=$threads
  exec "$venv/bin/python" tools/bench/peers_cwt.py "$bin" "$out" "$lengths" "$scales" "$threads" \
    "$repeat" "$pywt_max"
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
