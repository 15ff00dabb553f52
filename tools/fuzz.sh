#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz (the table is tests/fuzz/targets.txt).
#
#   tools/fuzz.sh [options] [TARGET...|all] [SECONDS]
#
# Each target first replays its seeds (tests/fuzz/seeds/<target>/) and regression corpus
# (tests/fuzz/regress/<target>/), then fuzzes for SECONDS (default 30) or --runs N executions,
# with its dictionary (tests/fuzz/dict/<target>.dict), growing a working corpus in
# <build>/corpus/<target>/. A crash, hang (-timeout) or broken invariant stops the target: the
# input is saved in <build>/artifacts/<target>/ (copy it into tests/fuzz/regress/<target>/ once
# fixed). The last line per target says how many executions ran (also kept in
# <build>/results/<target>.txt).
#
# Options:
#   --runs N          stop after N executions instead of SECONDS
#   --replay          only replay seeds and regression corpus (no fuzzing)
#   --no-build        use the binaries already built
#   --parallel N      run N targets at a time (default 1), each target's output printed whole
#   --build-dir DIR   default $FUZZ_BUILD_DIR, else build-fuzz
# Environment: FUZZ_FLAGS (extra libFuzzer flags), JOBS (build jobs), CXX_FUZZ (default clang++-14).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs="" replay=0 build=1 parallel=1 build_dir=${FUZZ_BUILD_DIR:-build-fuzz} seconds=30
wanted=()
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift ;;
    --replay) replay=1 ;;
    --no-build) build=0 ;;
    --parallel) parallel=$2; shift ;;
    --build-dir) build_dir=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *)
      if [[ $1 =~ ^[0-9]+$ ]]; then seconds=$1; else wanted+=("$1"); fi ;;
  esac
  shift
done

mapfile -t all_targets < <(grep -E '^[a-z]' tests/fuzz/targets.txt | awk '{print $1}')
targets=()
((${#wanted[@]})) || wanted=(all)
for t in "${wanted[@]}"; do
  if [[ $t == all ]]; then
    targets+=("${all_targets[@]}")
  elif printf '%s\n' "${all_targets[@]}" | grep -qx "$t"; then
    targets+=("$t")
  else
    echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2
    exit 2
  fi
done

# HEAD's short hash, +dirty with uncommitted changes.
tree_commit() {
  local c
  c=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  git diff --quiet HEAD -- . 2>/dev/null || c+="+dirty"
  echo "$c"
}

if ((build)); then
  cxx=${CXX_FUZZ:-clang++-14}
  cc=${cxx/clang++/clang}
  # Only the fuzz targets and what they link are built (host, pipeline, CPU kernels); -O1 with
  # line tables keeps compile time small and stack traces readable; assertions stay on.
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" -DCMAKE_C_FLAGS_FUZZ="-O1 -gline-tables-only" \
    -DSWINGPIPE_FUZZ=ON -DSWINGPIPE_BUILD_TESTS=OFF -DSWINGPIPE_CUDA=OFF >/dev/null
  cmake --build "$build_dir" -j "${JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"
  # The commit the binaries were built from, for the results.
  tree_commit >"$build_dir/built-commit"
fi
# A build this script did not make (tools/test.sh's build-asan) has no stamp: name the tree.
built=$(cat "$build_dir/built-commit" 2>/dev/null || echo "the tree at $(tree_commit)")

# The scratch library of the invariant checks lives in memory when it can.
tmp_base=/dev/shm
[[ -d $tmp_base && -w $tmp_base ]] || tmp_base=${TMPDIR:-/tmp}
export SWINGPIPE_FUZZ_TMP=$tmp_base
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export KMP_HOT_TEAMS_MAX_LEVEL=0  # libomp 14 leaks when a team grows (tools/test.sh)

mkdir -p "$build_dir/results"
for t in "${targets[@]}"; do rm -f "$build_dir/results/$t.txt"; done
for t in "${targets[@]}"; do
  [[ -x $build_dir/tests/fuzz/fuzz_$t ]] || { echo "fuzz.sh: $build_dir/tests/fuzz/fuzz_$t is not built" >&2; exit 2; }
done

# One target: replay, then fuzz. Returns non-zero on a failure; the last line is its summary.
run_target() {
  local t=$1
  local summary=$build_dir/results/$t.txt bin=$build_dir/tests/fuzz/fuzz_$t
  local seeds=tests/fuzz/seeds/$t regress=tests/fuzz/regress/$t
  local files
  mapfile -t files < <(find "$seeds" "$regress" -type f 2>/dev/null | sort)
  if ((${#files[@]})); then
    echo "== fuzz $t: replaying ${#files[@]} seed and regression input(s)"
    if ! "$bin" "${files[@]}" >"$build_dir/replay-$t.log" 2>&1; then
      tail -n 40 "$build_dir/replay-$t.log"
      echo "fuzz $t: FAILED replaying the seeds / regression corpus" | tee "$summary"
      return 1
    fi
  fi
  if ((replay)); then
    echo "fuzz $t: replayed ${#files[@]} input(s), 0 failures" | tee "$summary"
    return 0
  fi

  local corpus=$build_dir/corpus/$t artifacts=$build_dir/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  local limit=(-max_total_time="$seconds")
  [[ -n $runs ]] && limit=(-runs="$runs")
  local dict=()
  [[ -f tests/fuzz/dict/$t.dict ]] && dict=(-dict="tests/fuzz/dict/$t.dict")
  if [[ -n $runs ]]; then echo "== fuzz $t: $runs executions"; else echo "== fuzz $t: $seconds s"; fi
  local log=$build_dir/fuzz-$t.log start rc took execs
  start=$(date +%s)
  # libFuzzer stops at a corpus folder that does not exist: only the ones there are.
  local dirs=("$corpus") d
  for d in "$seeds" "$regress"; do [[ -d $d ]] && dirs+=("$d"); done
  set +e
  # shellcheck disable=SC2086
  "$bin" "${limit[@]}" "${dict[@]}" -max_len=4096 -timeout=10 -malloc_limit_mb=512 \
    -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$root/$artifacts/" \
    ${FUZZ_FLAGS:-} "${dirs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  took=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -n1 || true)
  if ((rc != 0)); then
    tail -n 60 "$log"
    echo "fuzz $t: FAILED (exit $rc) after ${execs:-?} executions in ${took} s; input saved in $artifacts/" | tee "$summary"
    return 1
  fi
  echo "fuzz $t: ${execs:-?} executions in ${took} s, 0 crashes, 0 hangs, 0 broken invariants (built from $built)" | tee "$summary"
}

status=0
if ((parallel <= 1)); then
  for t in "${targets[@]}"; do run_target "$t" || status=1; done
  exit $status
fi
# --parallel N: N targets at a time, each printed whole when it ends.
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
  run_target "$t" >"$build_dir/run-$t.txt" 2>&1 &
done
wait
# Each target's verdict is its summary line (wait -n has already collected some exit codes).
for t in "${targets[@]}"; do
  cat "$build_dir/run-$t.txt"
  grep -q '0 crashes\|0 failures' "$build_dir/results/$t.txt" 2>/dev/null || status=1
done
exit $status
