#!/usr/bin/env bash
# One check of the GPU kernels on a lent GPU machine (H100/H200) in at most 5 minutes
# (CHECK_BUDGET_S, default 285 s), for every kernel line of tools/device-kernels.txt:
#   1. card and tools (nvidia-smi, nvcc, compute-sanitizer, ncu) into summary.txt
#   2. binaries: those tools/device-prepare.sh carried in .carry, checked against its manifest
#      (sha256 of each binary, and of the sources in this copy: binaries built from other sources
#      are refused and nothing else runs)
#   3. ctest -L gpu: one ctest test per kernel (its test binary and gtest filter); a test that
#      skips for want of a device fails here (SWINGPIPE_REQUIRE_GPU=1)
#   4. compute-sanitizer memcheck (with leak check), synccheck and initcheck on each kernel's short
#      cases (racecheck only checks shared memory, which these kernels do not use)
#   5. each kernel's CUDA benchmarks (`swingpipe bench`): host-to-host GCUPS beside kernel-only
#      figures from CUDA events (kernel_GCUPS, kernel_ms, plan_ms), on batches that fill the card
#   6. one ncu pass (SpeedOfLight, Occupancy, LaunchStats) on each kernel's main kernel, when ncu
#      is present (clock control off: the card's settings are left alone)
#   7. summary.txt: commit, card, each stage's result and time, test counts, sanitizer error
#      summaries, the benchmark table and the ncu headlines
# A failing stage is recorded and the next one runs; a stage that would pass the deadline is
# skipped and says so. The carried libraries apply to the carried binaries only (their wrappers
# in .carry/bin), never to ctest, compute-sanitizer or ncu. Files under $OUT (or
# device-check-logs/): summary.txt, tests.log, sanitizers.log, bench.log, bench.json, ncu.log; each
# cut to its last 2 MiB.
#
# Usage (here): tools/device-prepare.sh, then
#   run(command="bash tools/device-check.sh", carry=[".carry"], timeout_s=330)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
START=$(date +%s)
DEADLINE=$((START + ${CHECK_BUDGET_S:-285}))
LOG=${OUT:-$ROOT/device-check-logs}
mkdir -p "$LOG"
SUMMARY=$LOG/summary.txt
CARRY=$ROOT/.carry
export PATH="$PATH:/usr/local/cuda/bin"
export SWINGPIPE_REQUIRE_GPU=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

declare -A STATUS SECONDS_TAKEN
ORDER=()
record() {
  ORDER+=("$1")
  STATUS[$1]=$2
  SECONDS_TAKEN[$1]=${3:-0}
}

# run_stage NAME LIMIT_S LOGFILE COMMAND...: appends the command's output to LOGFILE under a
# header, with a timeout clipped to the time left; records PASS / FAIL (rc) / TIMEOUT / SKIP.
run_stage() {
  local name=$1 limit=$2 logfile=$3
  shift 3
  local left=$((DEADLINE - $(date +%s)))
  if ((left < 15)); then
    record "$name" "SKIP (out of time)"
    return 0
  fi
  ((limit > left - 5)) && limit=$((left - 5))
  echo "==== $name (limit ${limit}s): $*" | tee -a "$logfile"
  local t0 rc=0
  t0=$(date +%s)
  timeout --kill-after=5 "$limit" "$@" >>"$logfile" 2>&1 || rc=$?
  local took=$(($(date +%s) - t0))
  case $rc in
    0) record "$name" PASS "$took" ;;
    124 | 137) record "$name" "TIMEOUT (${limit}s)" "$took" ;;
    *) record "$name" "FAIL (rc $rc)" "$took" ;;
  esac
  echo "==== $name: ${STATUS[$name]} in ${took}s" | tee -a "$logfile"
}

# ---- the kernels: tools/device-kernels.txt, fields separated by ' | ' ----------------------
NAMES=() BIN=() FILTER=() SAN=() BENCH=() NCU=()
while IFS= read -r line; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  IFS=$'\x1f' read -r n b f s k u <<<"${line// | /$'\x1f'}"
  NAMES+=("$n") BIN+=("$b") FILTER+=("$f") SAN+=("$s") BENCH+=("$k") NCU+=("$u")
done <tools/device-kernels.txt
K=${#NAMES[@]}

# ---- 1. card and tools ---------------------------------------------------------------------
manifest() { awk -v k="$1" '$1 == k {print $2; exit}' "$CARRY/manifest" 2>/dev/null; }
{
  echo "# device check, $(date -u +%FT%TZ), kernels: ${NAMES[*]}"
  echo "commit: $(manifest commit || true) (binaries prepared from a dirty tree: $(manifest dirty || true))"
  echo "checkout here: $(git rev-parse HEAD 2>/dev/null || echo 'no .git in this copy')"
  echo "card: $(nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm \
    --format=csv,noheader 2>&1 | head -n 2)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -n 1 || echo absent)"
  echo "compute-sanitizer: $(compute-sanitizer --version 2>/dev/null | tail -n 1 || echo absent)"
  echo "ncu: $(ncu --version 2>/dev/null | tail -n 1 || echo absent)"
} | tee "$SUMMARY"

# ---- 2. binaries ---------------------------------------------------------------------------
check_binaries() {
  if [[ ! -f "$CARRY/manifest" ]]; then
    echo "no .carry/manifest: run tools/device-prepare.sh here and carry .carry"
    return 1
  fi
  local want got tag name sum
  want=$(manifest sources)
  got=$(tr '\n' '\0' <"$CARRY/sources.txt" | xargs -0 cat | sha256sum | cut -d' ' -f1)
  if [[ "$want" != "$got" ]]; then
    echo "the sources here differ from those the binaries were built from ($want vs $got):"
    echo "rerun tools/device-prepare.sh after the last source change"
    return 1
  fi
  while read -r tag name sum; do
    [[ "$tag" == bin ]] || continue
    got=$(sha256sum "$CARRY/libexec/$name" | cut -d' ' -f1)
    [[ "$got" == "$sum" ]] || {
      echo "binary $name differs from the manifest"
      return 1
    }
  done <"$CARRY/manifest"
  for ((i = 0; i < K; ++i)); do
    [[ -x "$CARRY/bin/${BIN[i]}" ]] || {
      echo "no carried ${BIN[i]} (kernel ${NAMES[i]}): rerun tools/device-prepare.sh"
      return 1
    }
  done
  echo "binaries match the manifest and these sources (commit $(manifest commit))"
}
t0=$(date +%s)
echo "==== binaries" >>"$LOG/tests.log"
if check_binaries >>"$LOG/tests.log" 2>&1; then
  record binaries PASS $(($(date +%s) - t0))
else
  record binaries FAIL $(($(date +%s) - t0))
fi
if [[ "${STATUS[binaries]}" != PASS ]]; then
  tail -n 5 "$LOG/tests.log" | tee -a "$SUMMARY"
  echo "binaries: ${STATUS[binaries]}: nothing else runs" | tee -a "$SUMMARY"
  exit 1
fi

# ---- 3. ctest -L gpu -----------------------------------------------------------------------
mkdir -p "$TMP/ctest"
for ((i = 0; i < K; ++i)); do
  printf 'add_test([=[%s]=] "%s" "--gtest_color=no" "--gtest_filter=%s")\n' \
    "${NAMES[i]}" "$CARRY/bin/${BIN[i]}" "${FILTER[i]}"
  printf 'set_tests_properties([=[%s]=] PROPERTIES LABELS gpu TIMEOUT 150)\n' "${NAMES[i]}"
done >"$TMP/ctest/CTestTestfile.cmake"
run_stage gpu_tests 90 "$LOG/tests.log" ctest --test-dir "$TMP/ctest" -L gpu --output-on-failure

# ---- 4. compute-sanitizer ------------------------------------------------------------------
if command -v compute-sanitizer >/dev/null; then
  for ((i = 0; i < K; ++i)); do
    san=(compute-sanitizer --target-processes all --error-exitcode 99 --print-limit 20)
    run_stage "memcheck:${NAMES[i]}" $((50 / K)) "$LOG/sanitizers.log" "${san[@]}" \
      --tool memcheck --leak-check full "$CARRY/bin/${BIN[i]}" --gtest_color=no \
      --gtest_filter="${SAN[i]}"
    run_stage "synccheck:${NAMES[i]}" $((30 / K)) "$LOG/sanitizers.log" "${san[@]}" \
      --tool synccheck "$CARRY/bin/${BIN[i]}" --gtest_color=no --gtest_filter="${SAN[i]}"
    run_stage "initcheck:${NAMES[i]}" $((35 / K)) "$LOG/sanitizers.log" "${san[@]}" \
      --tool initcheck "$CARRY/bin/${BIN[i]}" --gtest_color=no --gtest_filter="${SAN[i]}"
  done
else
  record sanitizers "SKIP (no compute-sanitizer)"
fi

# ---- 5. CUDA benchmarks --------------------------------------------------------------------
bench_filter=""
for ((i = 0; i < K; ++i)); do bench_filter+="${bench_filter:+|}(${BENCH[i]})"; done
run_stage bench 50 "$LOG/bench.log" "$CARRY/bin/swingpipe" bench \
  --benchmark_filter="$bench_filter" --benchmark_min_time=0.2 \
  --benchmark_out="$LOG/bench.json" --benchmark_out_format=json
if [[ "${STATUS[bench]}" == PASS ]] && ! grep -q '"real_time"' "$LOG/bench.json" 2>/dev/null; then
  STATUS[bench]="FAIL (no results)"
elif [[ "${STATUS[bench]}" == PASS ]] && grep -q '"error_occurred": true' "$LOG/bench.json"; then
  STATUS[bench]="FAIL (a case reported an error)"
fi

# ---- 6. ncu ----------------------------------------------------------------------------------
if command -v ncu >/dev/null; then
  for ((i = 0; i < K; ++i)); do
    [[ "${NCU[i]}" == - ]] && continue
    run_stage "ncu:${NAMES[i]}" 40 "$LOG/ncu.log" ncu --target-processes all --clock-control none \
      --kernel-name "regex:${NCU[i]%%@*}" --launch-count 1 --section SpeedOfLight \
      --section Occupancy --section LaunchStats \
      "$CARRY/bin/swingpipe" bench --benchmark_filter="${NCU[i]#*@}"
  done
else
  record ncu "SKIP (no ncu)"
fi

# ---- 7. summary ----------------------------------------------------------------------------
for f in tests.log sanitizers.log bench.log ncu.log; do
  [[ -f "$LOG/$f" ]] && (($(stat -c %s "$LOG/$f") > 2097152)) &&
    tail -c 2M "$LOG/$f" >"$TMP/cut" && mv "$TMP/cut" "$LOG/$f"
done
{
  echo
  echo "== stages ($(($(date +%s) - START)) s of ${CHECK_BUDGET_S:-285}) =="
  printf '%-26s %-24s %7s\n' stage status seconds
  for s in "${ORDER[@]}"; do printf '%-26s %-24s %7s\n' "$s" "${STATUS[$s]}" "${SECONDS_TAKEN[$s]}"; done
  echo
  echo "== tests =="
  grep -hE '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?|tests passed|tests failed' \
    "$LOG/tests.log" 2>/dev/null || echo "(no test output)"
  grep -hE '^\[  FAILED  \] [A-Za-z]' "$LOG/tests.log" 2>/dev/null | grep -v ' ms)$' | sort -u |
    head -n 20
  echo
  echo "== compute-sanitizer =="
  grep -hE '^==== (memcheck|synccheck|initcheck)|ERROR SUMMARY' "$LOG/sanitizers.log" 2>/dev/null ||
    echo "(none run)"
  echo
  echo "== benchmarks (ms per iteration; GCUPS host to host; kernel-only from CUDA events) =="
  if [[ -s "$LOG/bench.json" ]]; then
    python3 - "$LOG/bench.json" <<'PY' || true
import json, sys
for b in json.load(open(sys.argv[1])).get("benchmarks", []):
    if b.get("error_occurred"):
        print(f"{b['name']:<56} ERROR {b.get('error_message', '')}")
        continue
    def f(key):
        v = b.get(key)
        return f"{v:9.2f}" if isinstance(v, (int, float)) else f"{'-':>9}"
    print(f"{b['name']:<56} {b.get('real_time', 0):9.3f} ms  GCUPS {f('GCUPS')}"
          f"  kernel_GCUPS {f('kernel_GCUPS')}  kernel_ms {f('kernel_ms')}  plan_ms {f('plan_ms')}"
          + (f"  frames/s {b['frames_per_second']:.4g}" if "frames_per_second" in b else ""))
PY
  else
    echo "(no bench.json)"
  fi
  echo
  echo "== ncu =="
  grep -hE '^==== ncu|Duration|Compute \(SM\) Throughput|Memory Throughput|Registers Per Thread|Achieved Occupancy|Theoretical Occupancy|Block Limit Registers' \
    "$LOG/ncu.log" 2>/dev/null | head -n 30 || echo "(none run)"
} 2>&1 | tee -a "$SUMMARY"
for s in "${ORDER[@]}"; do [[ "${STATUS[$s]}" == PASS || "${STATUS[$s]}" == SKIP* ]] || exit 1; done
exit 0
