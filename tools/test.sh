#!/usr/bin/env bash
# README command 2: set up, build and run the whole test suite:
#   1. formatting check (clang-format, the repo's .clang-format) on our own sources;
#   2. the main build (CUDA backend too when nvcc is present; warnings are errors) and every test
#      label but `long` (GPU tests skip cleanly without a device);
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build (CPU backend) and the same tests.
# Both test runs include label `fuzz`: every fuzz target's invariant checks over its committed
# seeds and regression corpus (tests/fuzz, seconds, no extra build). Fuzzing itself needs a third
# (clang, libFuzzer) build: 21 min on 2 busy cores with a cold ccache, 42 s warm (FUZZING.md), over
# CI's budget from a clean machine, so it is opt-in:
#   4. with --fuzz: tools/fuzz.sh all $FUZZ_SECONDS (default 30 s of fuzzing per target); with
#      --long: 10^6 executions per target (about 5-10 minutes each on a free core; FUZZING.md).
# Options: --no-setup (skip apt), --no-asan, --fuzz, --long (also the `long` label: slow
# validations and the long fuzz runs).
set -euo pipefail
cd "$(dirname "$0")/.."
setup=1 asan=1 fuzz=0 long=0
for a in "$@"; do
  case "$a" in
    --no-setup) setup=0 ;;
    --no-asan) asan=0 ;;
    --fuzz) fuzz=1 ;;
    --long) long=1 fuzz=1 ;;
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
  echo "== build (ASan+UBSan, CPU backend)"
  BUILD_DIR=build-asan BUILD_TYPE=Debug JOBS=$jobs tools/build.sh -DSWINGPIPE_SANITIZE=ON -DSWINGPIPE_CUDA=OFF
  echo "== tests (ASan+UBSan)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest -j "$jobs" -LE "$exclude|^gpu$" --output-on-failure --timeout 1800)
fi
if ((fuzz)); then
  if ((long)); then
    echo "== fuzz (libFuzzer + ASan + UBSan): 10^6 executions per target"
    JOBS=$jobs tools/fuzz.sh --runs 1000000 all
  else
    echo "== fuzz (libFuzzer + ASan + UBSan): ${FUZZ_SECONDS:-30} s per target"
    JOBS=$jobs tools/fuzz.sh all "${FUZZ_SECONDS:-30}"
  fi
fi
echo "== all tests passed"
