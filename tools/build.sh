#!/usr/bin/env bash
# Configures and builds swingpipe into BUILD_DIR (default build/). Extra arguments go to cmake's
# configure step, e.g. tools/build.sh -DSWINGPIPE_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@" >/dev/null
cmake --build "$build_dir" -j "$jobs"
