#!/usr/bin/env bash
# Prepares what tools/device-check.sh needs on a lent GPU machine, which has nvcc, cmake, ninja and
# compute-sanitizer but no apt and no network: builds build-cuda/ here (CUDA on, sm_90 for
# H100/H200), copies the binaries the check runs into .carry/bin and the shared libraries they
# need that such a machine may lack into .carry/lib (ldd, without libc/libm/ld-linux/libcuda and
# the driver's own libraries). Then carry ".carry" (and nothing else: the build folder itself is
# too big and holds absolute paths) with the device call:
#   run(command="bash tools/device-check.sh", carry=[".carry"])
# Usage: tools/device-prepare.sh [build-dir]   (default build-cuda; ARCH=90 JOBS=2 by default)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build-cuda}
ARCH=${ARCH:-90}
JOBS=${JOBS:-2}
cd "$ROOT"

if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DSWINGPIPE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$ARCH" \
    -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD" -j "$JOBS" --target test_gpu swingpipe

rm -rf .carry/bin .carry/lib
mkdir -p .carry/bin .carry/lib
for bin in "$BUILD/tests/test_gpu" "$BUILD/tools/swingpipe"; do
  [[ -x "$bin" ]] || { echo "missing $bin" >&2; exit 1; }
  cp "$bin" .carry/bin/
  strip --strip-debug ".carry/bin/$(basename "$bin")" 2>/dev/null || true
done

# Shared libraries: everything ldd resolves except the C runtime, the loader and the driver.
# libcufft (~290 MB) is over the carry limit; device-check.sh finds it in the machine's toolkit.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libcuda\.so|libnvidia|libcufft)'
for bin in .carry/bin/*; do
  ldd "$bin" | awk '/=>/ && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  if [[ "$name" =~ $skip ]]; then continue; fi
  cp -L "$path" ".carry/lib/$name"
done

echo "== .carry (carry it with the device call) =="
ls -la .carry/bin .carry/lib
du -sh .carry
