#!/usr/bin/env bash
# Compare swingpipe with peer libraries on identical data. One comparison per analysis; each is a
# script in tools/bench-peers/ run in its own venv of PyPI packages (created on first use).
#
#   tools/bench-peers.sh dtw [--count N] [--length L] [--band-fraction F] [--repeat R]
#   tools/bench-peers.sh lag [--count N] [--joints J] [--frames F] [--max-lag M] [--repeat R]
#   tools/bench-peers.sh rqa [--n N] [--eps E] [--dense-max N] [--no-check] [--no-timing]
#   tools/bench-peers.sh server [--duration D] [--suite-duration D] [--connections C] [--threads T]
#                                   [--workers W] [--recordings N]
#   tools/bench-peers.sh mocap [--mb M] [--repeat R]
#   tools/bench-peers.sh cwt [--lengths 14,16,18] [--scales 64,256] [--threads T] [--repeat R]
#                            [--pywt-max 16]
#   tools/bench-peers.sh iaa [--model FILE] [--repeat R]
#
# dtw: an all-pairs DTW matrix of N random series of length L (default 1000 x 128, full band), by
# dtaidistance (dtw.distance_matrix_fast, C, parallel) and by `swingpipe dtw --all-pairs`, both in
# float64 with all cores, on the same UCR .tsv file (17 significant digits: exact round trip). Only
# the matrix computation is timed on both sides (best of R runs); prints time, GCUPS (in-band cells
# per second) and the ratio, and checks that both matrices agree.
#
# lag: the Python suite's per-pair cross-correlation in a thread pool (numpy and scipy) against
# `swingpipe lag`, on the same .npy files; checks the matrices agree.
#
# rqa: first pyRQA 8.1 (OpenCL on the pocl CPU device, float64) and `swingpipe rqa --convention
# pyrqa` must give equal histograms and measures on 1500 Lorenz points (3 metrics, Theiler 0/1/5,
# auto/cross/joint); then the timings of pyRQA (optimisations on), swingpipe's CPU backend and the
# Python suite's dense numpy method on N points (default 10 000), with each one's peak memory.
#
# server: `swingpipe serve` against the Python suite's stack (FastAPI on uvicorn, W workers) on
# the same library and keys database, under wrk: /health and an authenticated /v1/library/stats
# (both must give the same statistics first); the peer with a verified-key cache like swingpipe's,
# then as the suite runs (bcrypt and a usage write per request). Prints req/s and p99. Needs wrk.
# mocap: import of a ~M MB C3D file (default 100; 150 markers, 32 analog channels at 10 samples
# per frame, float storage, written by ezc3d itself from numpy's default_rng(42)) and a ~M MB .trc
# file (50 markers, six decimals, some blank cells). Peers read the same files: ezc3d (C++ through
# its Python module) the C3D, pandas.read_csv (C parser) the .trc. swingpipe is timed reading only
# (`swingpipe bench` mocap/*_read) and as a whole `library import` into a fresh library. Separate
# processes, best of R, peak RSS from GNU time; stored values are checked against the peer's arrays.
# cwt: the Morlet CWT of one float32 channel of uniform noise (numpy default_rng(42), written to
# .npy for swingpipe) at 2^L samples and S frequencies geometric from fs/256 to fs/4 (fs = 1000),
# complex64 output, T threads (default 2), by fCWT (PyPI fcwt: FFTW wisdom made first with
# FFTW_MEASURE for T threads, as fCWT's own benchmark does; and its default fcwt.cwt() call),
# ssqueezepy (zero padding, L2 norm, float32), PyWavelets (cwt method='fft', complex128; only up
# to 2^pywt-max samples, it is slow) and `swingpipe cwt --output complex|power` (best of R runs
# of one plan, reported by the command; FFTW wisdom kept in out/bench-peers). fCWT and swingpipe
# alternate for 3 rounds and keep their best, so both meet the same load. Every library gets the
# same wavelet: fCWT's Morlet of bandwidth 2 is e^{-t^2/8} e^{i 2 pi t}, i.e. w0 = 4 pi. Power
# output for the peers is their complex output then |W|^2 in numpy (timed together). Also timed:
# a numpy copy of a complex64 array of the output's size (the memory-bandwidth bound). Prints M
# coefficients/s and the ratios swingpipe / peer. fCWT's wheel needs libfftw3-single3 (installed
# here when missing) and an importable matplotlib.
# iaa: induced accelerations of one simulated swing (default configs/models/golfer_full.xml, nv
# 27): the Python suite's pattern with PyPI's mujoco (mj_forward + one mj_solveM per contributor)
# against `swingpipe bench`'s iaa/cpu cases (frames/s, all cores and one); checks closure and that
# the club-head peaks per contributor agree with `swingpipe induced-accel`.
#
# Needs a built swingpipe: $SWINGPIPE_BIN, or build*/tools/swingpipe. Output goes to
# out/bench-peers/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
known="dtw, lag, rqa, server, mocap, cwt, iaa"
[[ $# -ge 1 ]] || { usage; exit 2; }
what=$1; shift
[[ $what == -h || $what == --help ]] && { usage; exit 0; }

bin=${SWINGPIPE_BIN:-}
if [[ -z $bin ]]; then
  for c in build/tools/swingpipe build*/tools/swingpipe; do
    [[ -x $c ]] && { bin=$c; break; }
  done
fi
[[ -n $bin && -x $bin ]] || { echo "bench-peers: no swingpipe binary (build it or set SWINGPIPE_BIN)" >&2; exit 2; }

# venv NAME IMPORT-CHECK PACKAGE...: a venv with the packages, made once; prints its python.
venv() {
  local dir=.venv-bench-$1 check=$2
  shift 2
  if [[ ! -x $dir/bin/python ]] || ! "$dir/bin/python" -c "import $check" 2>/dev/null; then
    python3 -m venv "$dir" >&2
    "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  fi
  echo "$dir/bin/python"
}

out=out/bench-peers
mkdir -p "$out"
case $what in
  dtw) exec "$(venv dtw 'dtaidistance, numpy' dtaidistance numpy)" tools/bench-peers/dtw.py "$bin" "$out" "$@" ;;
  lag)
    mkdir -p "$out/lag"
    exec "$(venv lag 'numpy, scipy' numpy scipy)" tools/bench-peers/lag.py --bin "$bin" --out "$out/lag" "$@" ;;
  rqa)
    exec "$(venv rqa 'pyrqa, pyopencl, numpy' pyrqa==8.1.0 pyopencl pocl-binary-distribution numpy)" \
      tools/bench-peers/rqa.py "$bin" "$out" "$@" ;;
  server)
    exec "$(venv server 'fastapi, uvicorn, bcrypt, uvloop, httptools' fastapi==0.163.2 'uvicorn[standard]==0.54.0' \
      bcrypt==5.0.0)" tools/bench-peers/server.py "$bin" "$out" "$@" ;;
  mocap) exec "$(venv mocap 'ezc3d, pandas, numpy' ezc3d pandas numpy)" tools/bench-peers/mocap.py "$bin" "$out" "$@" ;;
  cwt)
    # fCWT's wheel links libfftw3f.so.3 / libfftw3f_omp.so.3 (Debian libfftw3-single3).
    if ! ldconfig -p | grep -q 'libfftw3f_omp.so.3'; then
      echo "bench-peers: installing libfftw3-single3 (fCWT needs it)" >&2
      apt-get install -y -q libfftw3-single3 >/dev/null
    fi
    exec "$(venv cwt 'fcwt, ssqueezepy, pywt, matplotlib, numpy' fcwt ssqueezepy PyWavelets matplotlib numpy)" \
      tools/bench-peers/cwt.py "$bin" "$out" "$@" ;;
  iaa) exec "$(venv iaa 'mujoco, numpy' mujoco numpy)" tools/bench-peers/iaa.py "$bin" "$out" "$@" ;;
  *) echo "bench-peers: unknown comparison '$what' (known: $known)" >&2; exit 2 ;;
esac
