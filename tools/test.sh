#!/usr/bin/env bash
# README command 2: set up, build and run the whole test suite:
#   1. formatting check (clang-format, the repo's .clang-format) on our own sources;
#   2. the main build (CUDA backend too when nvcc is present; warnings are errors) and every test
#      label but `long` (GPU tests skip cleanly without a device);
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build (CPU backend) and the same tests.
#   4. fuzzing: every libFuzzer target of tests/fuzz for $FUZZ_SECONDS (default 30) seconds, as
#      many at a time as there are cores. Step 3's build is compiled by clang with
#      -fsanitize=fuzzer-no-link,address,undefined, so the same build holds the ASan+UBSan tests
#      and the fuzz targets; no third build.
# Both test runs include label `fuzz`: every fuzz target's invariant checks over its committed
# seeds and regression corpus (tests/fuzz, seconds).
# Options: --no-setup (skip apt), --no-asan (skip steps 3 and 4), --no-fuzz (skip step 4),
# --long (also the `long` label: slow validations; and 10^6 fuzz executions per target in the
# -O1 fuzz-only build of tools/fuzz.sh, build-fuzz/: about 5-10 minutes per target on a free core).
set -euo pipefail
cd "$(dirname "$0")/.."
setup=1 asan=1 fuzz=1 long=0
for a in "$@"; do
  case "$a" in
    --no-setup) setup=0 ;;
    --no-asan) asan=0 ;;
    --no-fuzz) fuzz=0 ;;
    --fuzz) fuzz=1 ;;  # the default; kept for old command lines
    --long) long=1 ;;
    *) echo "test.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
((setup)) && tools/setup.sh
tools/test-venv.sh
jobs=${JOBS:-$(nproc)}
exclude='^long$'
((long)) && exclude='^$'

echo "== clang-format"
files=$(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.h' 2>/dev/null || true)
if [ -n "$files" ]; then
  # shellcheck disable=SC2086
  clang-format --dry-run -Werror $files
fi

echo "== build (release)"
BUILD_DIR=build JOBS=$jobs tools/build.sh
echo "== tests (release)"
(cd build && ctest -j "$jobs" -LE "$exclude" --output-on-failure --timeout 900)

if ((asan)); then
  echo "== build (ASan+UBSan + libFuzzer coverage, clang, CPU backend)"
  # A build-asan/ from before the switch to clang (GCC in its cache) cannot change compiler.
  if [[ -f build-asan/CMakeCache.txt ]] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' build-asan/CMakeCache.txt; then
    rm -rf build-asan
  fi
  # -O0 (Debug): at -O1, clang 14 with ASan spends 12 minutes on test_dtw_cuda_logic.cpp alone
  # (7 s at -O0).
  BUILD_DIR=build-asan BUILD_TYPE=Debug JOBS=$jobs tools/build.sh \
    -DCMAKE_C_COMPILER="${CC_ASAN:-clang-14}" -DCMAKE_CXX_COMPILER="${CXX_ASAN:-clang++-14}" \
    -DSWINGPIPE_SANITIZE=ON -DSWINGPIPE_FUZZ=ON -DSWINGPIPE_CUDA=OFF
  echo "== tests (ASan+UBSan)"
  # KMP_HOT_TEAMS_MAX_LEVEL=0: libomp 14 (clang's OpenMP runtime) leaks 1440 bytes of a team's
  # bookkeeping when a parallel region asks for more threads than an earlier one (three
  # `omp parallel num_threads(2 / 16 / 2)` regions in a 10-line program reproduce it); without
  # "hot" (kept) teams it does not, and nothing is suppressed from LeakSanitizer.
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    KMP_HOT_TEAMS_MAX_LEVEL=0 ctest -j "$jobs" -LE "$exclude|^gpu$" --output-on-failure --timeout 1800)
  if ((fuzz)); then
    echo "== fuzz (libFuzzer + ASan + UBSan): ${FUZZ_SECONDS:-30} s per target, $jobs at a time"
    tools/fuzz.sh --no-build --build-dir build-asan --parallel "$jobs" all "${FUZZ_SECONDS:-30}"
  fi
fi
if ((long)); then
  # 10^6 executions need speed: the -O1 fuzz-only build (build-fuzz/), not build-asan's -O0.
  echo "== fuzz (libFuzzer + ASan + UBSan, build-fuzz/): 10^6 executions per target"
  JOBS=$jobs tools/fuzz.sh --parallel "$jobs" --runs 1000000 all
fi
echo "== all tests passed"
