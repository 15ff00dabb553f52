#!/usr/bin/env bash
# Prepares what tools/device-check.sh runs on a lent GPU machine, which has the CUDA toolkit,
# cmake/ctest, compute-sanitizer and ncu, but none of our Debian libraries and no network:
#   .carry/libexec/NAME  the binaries (every test binary of tools/device-kernels.txt, and the
#                        swingpipe CLI for the benchmarks), stripped of debug info
#   .carry/bin/NAME      a wrapper that puts .carry/lib first on LD_LIBRARY_PATH for that binary
#                        only: nvcc, ctest, compute-sanitizer and ncu keep the machine's own
#                        libstdc++ and libraries
#   .carry/lib/          the shared libraries the binaries need (ldd), except libc, the loader,
#                        libcuda and the driver's own, and cuFFT (libcufft.so.12 is ~290 MB, over
#                        the carry limit): the wrapper finds it in the machine's CUDA toolkit
#                        (/usr/local/cuda, or the nvidia-cufft wheel of its Python), after .carry/lib
#   .carry/manifest      the commit, whether the tree was dirty, the CUDA code built, the
#                        sha256 of each binary and of the sources they were built from;
#   .carry/sources.txt   the source files hashed: device-check.sh recomputes the hash in the copy
#                        it runs in and refuses binaries built from other sources
# Usage: tools/device-prepare.sh [build-dir]   (JOBS=2 by default)
#   build-dir: default `build` when it is configured with CUDA for sm_90 (tools/build.sh does:
#   80-real;90), else `build-cuda`, configured here for sm_90 only.
# Then: run(command="bash tools/device-check.sh", carry=[".carry"], timeout_s=330)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-2}

# A build folder whose CUDA objects are built for sm_90 (machine code), as its ninja file says.
cuda_build_for_90() {
  [[ -f "$1/build.ninja" ]] && grep -qE 'arch=compute_90,code=\[[^]]*sm_90' "$1/build.ninja"
}

BUILD=${1:-}
if [[ -z "$BUILD" ]]; then
  if cuda_build_for_90 build; then BUILD=build; else BUILD=build-cuda; fi
fi
if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DSWINGPIPE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_BUILD_TYPE=Release
fi
cuda_build_for_90 "$BUILD" || { echo "$BUILD is not a CUDA build for sm_90" >&2; exit 1; }

# The binaries: every test binary of tools/device-kernels.txt, and the CLI.
mapfile -t TESTS < <(grep -vE '^\s*(#|$)' tools/device-kernels.txt | awk -F' [|] ' '{print $2}' |
  sort -u)
cmake --build "$BUILD" -j "$JOBS" --target swingpipe "${TESTS[@]}"

rm -rf .carry
mkdir -p .carry/bin .carry/libexec .carry/lib
for name in swingpipe "${TESTS[@]}"; do
  src="$BUILD/tools/$name"
  [[ -x "$src" ]] || src="$BUILD/tests/$name"
  [[ -x "$src" ]] || { echo "missing binary $name in $BUILD" >&2; exit 1; }
  cp "$src" ".carry/libexec/$name"
  strip --strip-debug ".carry/libexec/$name"
  cat >".carry/bin/$name" <<EOF
#!/bin/sh
# Runs .carry/libexec/$name with the carried libraries (tools/device-prepare.sh).
here=\$(cd "\$(dirname "\$0")/.." && pwd)
toolkit=
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
  if [ -z "\$toolkit" ] && [ -e "\$d/libcufft.so.12" ]; then toolkit=\$d; fi
done
if [ -z "\$toolkit" ]; then
  toolkit=\$(python3 -c 'import nvidia.cufft, os; print(os.path.join(nvidia.cufft.__path__[0], "lib"))' 2>/dev/null || true)
fi
LD_LIBRARY_PATH="\$here/lib\${toolkit:+:\$toolkit}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/libexec/$name" "\$@"
EOF
  chmod +x ".carry/bin/$name"
done

# Shared libraries: everything ldd resolves except the C runtime, the loader, the driver and cuFFT.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libcuda\.so|libnvidia|libcufft)'
for bin in .carry/libexec/*; do
  ldd "$bin" | awk '/=>/ && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  if [[ "$name" =~ $skip ]]; then continue; fi
  cp -L "$path" ".carry/lib/$name"
done

# Manifest: what the binaries are and which sources they come from.
git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.h' '*CMakeLists.txt' \
  '*.cmake' | LC_ALL=C sort >.carry/sources.txt
{
  echo "commit $(git rev-parse HEAD)"
  if git diff --quiet HEAD -- && [[ -z "$(git ls-files -o --exclude-standard)" ]]; then
    echo "dirty no"
  else
    echo "dirty yes"
  fi
  echo "prepared $(date -u +%FT%TZ) from $BUILD"
  echo "cuda_code $(grep -oE 'generate-code=arch=compute_[0-9]+,code=\[[^]]*\]' "$BUILD/build.ninja" |
    sed 's/generate-code=//' | sort -u | tr '\n' ' ')"
  echo "sources $(tr '\n' '\0' <.carry/sources.txt | xargs -0 cat | sha256sum | cut -d' ' -f1)"
  for bin in .carry/libexec/*; do echo "bin $(basename "$bin") $(sha256sum "$bin" | cut -d' ' -f1)"; done
} >.carry/manifest

echo "== .carry (carry it with the device call) =="
cat .carry/manifest
du -sh .carry/libexec .carry/lib
du -sh .carry
total=$(du -sm .carry | cut -f1)
if ((total > 56)); then
  echo "WARNING: .carry is ${total} MiB; with the working tree it must stay under 64 MiB" >&2
fi
