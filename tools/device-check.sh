#!/usr/bin/env bash
# One check of the CUDA backend on a lent GPU machine (H100/H200), in under 9 minutes:
#   1. device info (nvidia-smi, nvcc, compute-sanitizer)
#   2. binaries: .carry/bin from tools/device-prepare.sh, else a carried build-cuda/, else
#      configure + build with ninja here (needs every dev package; such machines usually lack them)
#   3. `ctest -L gpu --output-on-failure` (or the test_gpu binary itself when the ctest files of
#      the build folder point elsewhere: every test in test_gpu has the label gpu)
#   4. test_gpu under compute-sanitizer --tool memcheck, then --tool racecheck (a small filter)
#   5. device-to-device copy bandwidth (GB/s counting read + write), a tiny CUDA program
#   6. `swingpipe bench dtw --benchmark_format=json --benchmark_out=$OUT/bench_dtw.json`, then
#      the lag-matrix cases (`bench_lag.json`: CUDA, and the CPU on this machine's cores)
#      `swingpipe bench --benchmark_filter='^rqa/cuda/'` (RQA cells/s on the GPU, $OUT/bench_rqa.json)
#   7. a summary table (also $OUT/summary.txt)
# A failing stage is recorded and the next one runs. Logs go to $OUT (or device-check-logs/).
#
# Shared libraries the GPU machine may lack (the image has CUDA, PyTorch, cmake, ninja, but not
# our Debian dev packages): libbenchmark, libsqlite3, libspdlog, libfmt, libgomp, libssl /
# libcrypto, libfftw3, libgtest, libstdc++ newer than its own. tools/device-prepare.sh copies what
# ldd lists into .carry/lib; this script puts that folder first on LD_LIBRARY_PATH.
#
# Usage (here): tools/device-prepare.sh, then run(command="bash tools/device-check.sh",
#                                                 carry=[".carry"], timeout_s=600)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
START=$(date +%s)
DEADLINE=$((START + ${CHECK_BUDGET_S:-530}))
LOG=${OUT:-$ROOT/device-check-logs}
mkdir -p "$LOG"
if [[ -d "$ROOT/.carry/lib" ]]; then
  export LD_LIBRARY_PATH="$ROOT/.carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# cuFFT (libcufft.so.12, ~290 MB) is too big to carry: the machine's CUDA toolkit provides it.
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  [[ -d $d ]] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done
export PATH="$PATH:/usr/local/cuda/bin"

declare -A STATUS SECONDS_TAKEN
ORDER=()

# run_stage NAME LIMIT_S COMMAND...: runs with a timeout clipped to the time left, logs to
# $LOG/NAME.log, prints the log's tail, records PASS / FAIL (rc) / TIMEOUT / SKIP.
run_stage() {
  local name=$1 limit=$2
  shift 2
  ORDER+=("$name")
  local left=$((DEADLINE - $(date +%s)))
  if ((left < 20)); then
    STATUS[$name]="SKIP (out of time)"
    SECONDS_TAKEN[$name]=0
    return 0
  fi
  ((limit > left - 10)) && limit=$((left - 10))
  echo "==== $name (limit ${limit}s) ===="
  local t0 rc=0
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >"$LOG/$name.log" 2>&1 || rc=$?
  SECONDS_TAKEN[$name]=$(($(date +%s) - t0))
  tail -n 30 "$LOG/$name.log" || true
  case $rc in
    0) STATUS[$name]=PASS ;;
    124 | 137) STATUS[$name]="TIMEOUT (${limit}s)" ;;
    *) STATUS[$name]="FAIL (rc $rc)" ;;
  esac
}

# ---- 1. device info -------------------------------------------------------------------------
{
  echo "date: $(date -u +%FT%TZ)  host: $(hostname)  root: $ROOT"
  nvidia-smi || echo "nvidia-smi failed"
  nvcc --version 2>/dev/null | tail -n 2 || echo "no nvcc"
  command -v compute-sanitizer >/dev/null && compute-sanitizer --version | head -n 3 ||
    echo "no compute-sanitizer"
} 2>&1 | tee "$LOG/summary.txt"

# ---- 2. binaries ----------------------------------------------------------------------------
TEST_BIN="" CLI_BIN="" CTEST_DIR=""
find_binaries() {
  if [[ -x .carry/bin/test_gpu ]]; then
    TEST_BIN=$ROOT/.carry/bin/test_gpu
    CLI_BIN=$ROOT/.carry/bin/swingpipe
  elif [[ -x build-cuda/tests/test_gpu ]]; then
    TEST_BIN=$ROOT/build-cuda/tests/test_gpu
    CLI_BIN=$ROOT/build-cuda/tools/swingpipe
  fi
  # ctest only where the build folder was configured for this very checkout path.
  if [[ -f build-cuda/CMakeCache.txt ]] &&
    grep -q "^CMAKE_HOME_DIRECTORY:INTERNAL=$ROOT\$" build-cuda/CMakeCache.txt &&
    [[ -x build-cuda/tests/test_gpu ]]; then
    CTEST_DIR=$ROOT/build-cuda
  fi
}
find_binaries
if [[ -z "$TEST_BIN" ]]; then
  build_here() {
    cmake -S . -B build-cuda -G Ninja -DSWINGPIPE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
      -DCMAKE_BUILD_TYPE=Release &&
      cmake --build build-cuda -j "$(nproc)" --target test_gpu swingpipe
  }
  export -f build_here
  run_stage build 300 bash -c build_here
  find_binaries
fi
echo "test binary: ${TEST_BIN:-none}  cli: ${CLI_BIN:-none}  ctest dir: ${CTEST_DIR:-none}"

# ---- 3. GPU tests ---------------------------------------------------------------------------
if [[ -n "$CTEST_DIR" ]]; then
  run_stage gpu_tests 200 ctest --test-dir "$CTEST_DIR" -L gpu --output-on-failure
elif [[ -n "$TEST_BIN" ]]; then
  run_stage gpu_tests 200 "$TEST_BIN" --gtest_color=no
else
  ORDER+=(gpu_tests)
  STATUS[gpu_tests]="FAIL (no test binary)"
  SECONDS_TAKEN[gpu_tests]=0
fi

# ---- 4. compute-sanitizer -------------------------------------------------------------------
# Sanitized kernels run 10-100x slower: the shorter tests only (no 4097-frame pairs, no timing).
SAN_FILTER='*CrossAndOneVsMany*:*AllPairsSymmetric*:*EmptySeriesAndNaN*:*ManyVariableLength*:*PathsEqualReference*:*RejectsBadInputs*:*LagGpu/*.NanConstantAndHugeChannelsMatchTheCpu*:*RqaGpu.EqualsTheDenseReferenceWithTies*'
if ! command -v compute-sanitizer >/dev/null; then
  echo "compute-sanitizer is absent: memcheck and racecheck skipped"
  ORDER+=(memcheck racecheck)
  STATUS[memcheck]="SKIP (no compute-sanitizer)"
  STATUS[racecheck]="SKIP (no compute-sanitizer)"
  SECONDS_TAKEN[memcheck]=0
  SECONDS_TAKEN[racecheck]=0
elif [[ -n "$TEST_BIN" ]]; then
  run_stage memcheck 120 compute-sanitizer --tool memcheck --error-exitcode 99 --leak-check full \
    "$TEST_BIN" --gtest_color=no --gtest_filter="$SAN_FILTER"
  run_stage racecheck 60 compute-sanitizer --tool racecheck --error-exitcode 99 \
    "$TEST_BIN" --gtest_color=no --gtest_filter='*AllPairsSymmetric*:*EmptySeriesAndNaN*:*LagGpu/*.NanConstant*:*RqaGpu.EqualsTheDenseReferenceWithTies*'
fi

# ---- 5. device-to-device bandwidth ----------------------------------------------------------
D2D_DIR=$(mktemp -d)
cat >"$D2D_DIR/d2d.cu" <<'CU'
// Device-to-device copy bandwidth: median of 20 cudaMemcpyAsync of 2 GiB, counting read + write.
#include <cuda_runtime.h>
#include <algorithm>
#include <cstdio>
#include <vector>
#define CK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { \
  std::printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e), __FILE__, __LINE__); return 1; } } while (0)
__global__ void fill(unsigned* p, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    p[i] = unsigned(i * 2654435761u);
}
int main() {
  const size_t bytes = size_t(2) << 30;
  unsigned *a = nullptr, *b = nullptr;
  CK(cudaMalloc(&a, bytes)); CK(cudaMalloc(&b, bytes));
  fill<<<1024, 256>>>(a, bytes / 4); CK(cudaGetLastError());
  cudaEvent_t t0, t1; CK(cudaEventCreate(&t0)); CK(cudaEventCreate(&t1));
  for (int i = 0; i < 3; ++i) CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
  std::vector<float> ms;
  for (int i = 0; i < 20; ++i) {
    CK(cudaEventRecord(t0)); CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
    CK(cudaEventRecord(t1)); CK(cudaEventSynchronize(t1));
    float m = 0; CK(cudaEventElapsedTime(&m, t0, t1)); ms.push_back(m);
  }
  std::sort(ms.begin(), ms.end());
  unsigned probe[2] = {0, 0};
  CK(cudaMemcpy(probe, b + 12345, sizeof probe, cudaMemcpyDeviceToHost));
  if (probe[0] != unsigned(12345u * 2654435761u)) { std::printf("copy check failed\n"); return 1; }
  const double med = ms[ms.size() / 2] * 1e-3;
  std::printf("d2d copy %.1f GiB: median %.3f ms, %.1f GB/s (read + write), best %.1f GB/s\n",
              bytes / double(1 << 30), med * 1e3, 2.0 * bytes / med / 1e9, 2.0 * bytes / (ms[0] * 1e-3) / 1e9);
  return 0;
}
CU
d2d() { nvcc -O2 -arch=native -o "$1/d2d" "$1/d2d.cu" 2>/dev/null ||
  nvcc -O2 -arch=sm_90 -o "$1/d2d" "$1/d2d.cu"; "$1/d2d"; }
export -f d2d
run_stage d2d 60 bash -c 'd2d "$0"' "$D2D_DIR"

# ---- 6. benchmarks --------------------------------------------------------------------------
if [[ -n "$CLI_BIN" && -x "$CLI_BIN" ]]; then
  run_stage bench "${BENCH_LIMIT_S:-150}" "$CLI_BIN" bench dtw --benchmark_format=json \
    --benchmark_out="$LOG/bench_dtw.json"
  run_stage bench_lag "${BENCH_LAG_LIMIT_S:-90}" "$CLI_BIN" bench \
    --benchmark_filter='^lag/matrices/(cuda|cpu)/f(32|64)/joints:30/frames:2000/recordings:1000/real_time$' \
    --benchmark_format=json --benchmark_out="$LOG/bench_lag.json"
  run_stage bench_rqa "${BENCH_RQA_LIMIT_S:-90}" "$CLI_BIN" bench --benchmark_filter='^rqa/cuda/' \
    --benchmark_format=json --benchmark_out="$LOG/bench_rqa.json"
else
  ORDER+=(bench)
  STATUS[bench]="FAIL (no swingpipe binary)"
  SECONDS_TAKEN[bench]=0
fi

# ---- 7. summary -----------------------------------------------------------------------------
# Local-memory traffic in the DTW kernels (the build machine has no cuobjdump): LDL/STL per kernel.
if [[ -n "$TEST_BIN" ]] && command -v cuobjdump >/dev/null; then
  {
    echo "== local memory (LDL/STL instructions) in the sm_90 SASS of the DTW kernels =="
    timeout 60 cuobjdump -sass -arch sm_90 "$TEST_BIN" 2>/dev/null | awk '
      /Function : .*dtw_kernel/ { name = $3; n[name] = 0; next }
      /Function :/ { name = "" }
      name != "" && /(LDL|STL)/ { n[name]++ }
      END { for (k in n) printf "%5d  %s\n", n[k], k }' |
      { if command -v c++filt >/dev/null; then c++filt; else cat; fi; } | sort -rn | head -n 40
  } 2>&1 | tee -a "$LOG/summary.txt" || true
fi
{
  echo
  echo "== summary ($(($(date +%s) - START)) s) =="
  printf '%-10s %-30s %7s\n' stage status seconds
  for s in "${ORDER[@]}"; do printf '%-10s %-30s %7s\n' "$s" "${STATUS[$s]}" "${SECONDS_TAKEN[$s]}"; done
  echo
  grep -hE '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ tests?|tests passed|tests failed' \
    "$LOG/gpu_tests.log" 2>/dev/null || true
  grep -q 'no CUDA device' "$LOG/gpu_tests.log" 2>/dev/null &&
    echo "WARNING: the GPU tests skipped: the binary saw no CUDA device" || true
  grep -hE '^\[  FAILED  \] [A-Za-z]' "$LOG/gpu_tests.log" 2>/dev/null | sort -u | head -n 20 || true
  grep -h '\[ rate' "$LOG/gpu_tests.log" 2>/dev/null | sort -u || true
  grep -h 'ERROR SUMMARY' "$LOG/memcheck.log" "$LOG/racecheck.log" 2>/dev/null || true
  grep -h 'GB/s' "$LOG/d2d.log" 2>/dev/null || true
  if [[ -s "$LOG/bench_dtw.json" || -s "$LOG/bench_lag.json" ]]; then
    python3 - "$LOG/bench_dtw.json" "$LOG/bench_lag.json" <<'PY' || true
import json, os, sys
keys = ("gcups", "items_per_second", "bytes_per_second", "recordings_per_s", "s_per_recording")
for b in [b for f in sys.argv[1:] if os.path.exists(f) for b in json.load(open(f)).get("benchmarks", [])]:
    extra = {k: v for k, v in b.items() if k.lower() in keys}
    print(f"{b['name']:<48} {b.get('real_time', 0):12.3f} {b.get('time_unit', '')} {extra}")
PY
  fi
  if [[ -s "$LOG/bench_rqa.json" ]]; then
    python3 - "$LOG/bench_rqa.json" <<'PY' || true
import json, sys
for b in json.load(open(sys.argv[1])).get("benchmarks", []):
    keep = {k: b[k] for k in ("Gcells/s", "RR", "peak_MB") if k in b}
    print(f"{b['name']:<48} {b.get('real_time', 0):12.3f} {b.get('time_unit', '')} {keep}")
PY
  fi
} 2>&1 | tee -a "$LOG/summary.txt"
