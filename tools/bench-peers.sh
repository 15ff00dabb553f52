#!/usr/bin/env bash
# Compare swingpipe with peer libraries on identical data. One comparison per analysis; each is a
# script in tools/bench-peers/ run in its own venv of PyPI packages (created on first use).
#
#   tools/bench-peers.sh dtw [--count N] [--length L] [--band-fraction F] [--repeat R]
#   tools/bench-peers.sh lag [--count N] [--joints J] [--frames F] [--max-lag M] [--repeat R]
#   tools/bench-peers.sh rqa [--n N] [--eps E] [--dense-max N] [--no-check] [--no-timing]
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
# Needs a built swingpipe: $SWINGPIPE_BIN, or build*/tools/swingpipe. Output goes to
# out/bench-peers/.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
known="dtw, lag, rqa"
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
  *) echo "bench-peers: unknown comparison '$what' (known: $known)" >&2; exit 2 ;;
esac
