#!/usr/bin/env bash
# Installs (idempotently) every Debian package swingpipe's build, tests and demo need, and says
# what it installs. The CUDA toolkit is not a Debian package here: when nvcc is on the machine
# (/usr/local/cuda), the CUDA backend is built too; without it the CPU backend alone is built.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  libsqlite3-dev sqlite3 libssl-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libhdf5-dev libfftw3-dev libeigen3-dev libmujoco-dev libcpp-httplib-dev libcrypt-dev
  clang libclang-rt-14-dev libomp-dev
  wrk  # tools/bench-server.sh (HTTP server throughput)
  python3 python3-venv
  time  # GNU time: peak memory in tools/bench-peers.sh mocap
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: installed ${#missing[@]} package(s)"
else
  echo "setup: all ${#packages[@]} Debian packages already installed"
fi

if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "setup: CUDA toolkit found ($( (command -v nvcc || echo /usr/local/cuda/bin/nvcc) )): the CUDA backend will be built"
else
  echo "setup: no CUDA toolkit (nvcc) found: building the CPU backend only"
fi
