#!/usr/bin/env bash
# Installs every Debian 12 package occ needs to build, test and run.
# Idempotent and non-interactive: packages already present are skipped, so
# `make test` can call it on every run at almost no cost.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ccache clang-format git
  # libraries linked by occ
  libtorch-dev libopencv-dev libopencv-contrib-dev libhdf5-dev hdf5-tools
  libzstd-dev libzip-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libfmt-dev
  # an optimised BLAS for LibTorch's linear layers: Debian's libtorch links
  # libblas.so.3, which otherwise resolves to the reference BLAS (0.44 vs 11.3
  # GMAC/s for a 48000x256 by 256x640 linear on 2 cores; README "Speed and
  # size"); the OpenMP build shares LibTorch's libgomp threads
  libopenblas0-openmp
  # headers of the Gloo collectives LibTorch's c10d uses (data-parallel training)
  libgloo-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # interop and parity tests only (never used at run time of occ)
  python3 python3-numpy python3-h5py python3-torch python3-torchvision
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
