#!/usr/bin/env bash
# Installs every Debian 12 package occ needs to build, test and run, then the
# Python environment of the interop tests: .venv/ in the checkout, a venv on
# Debian's /usr/bin/python3 with its system site packages (numpy, h5py, torch,
# ... come from Debian) plus the PyPI packages pinned in
# requirements-interop.txt. Idempotent and non-interactive: packages already
# present are skipped, and the venv is rebuilt only when its stamp (a hash of
# the requirements and of the Python it was made with) differs, so `make
# test` can call it on every run at almost no cost.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # toolchain
  build-essential cmake pkg-config ccache clang-format git
  # libraries linked by occ
  libtorch-dev libopencv-dev libopencv-contrib-dev libhdf5-dev hdf5-tools
  libzstd-dev libzip-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libfmt-dev
  # inflates HDF5 deflate chunks (3.3x zlib, docs/reading.md); zlib still compresses
  libdeflate-dev
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
  python3 python3-venv python3-numpy python3-h5py python3-torch python3-torchvision
  # what the nuScenes devkit (requirements-interop.txt) imports, from Debian
  python3-opencv python3-matplotlib python3-sklearn python3-tqdm python3-cachetools
)

# One dpkg-query for all packages (one per package cost 0.5 s a run).
declare -A installed=()
while read -r name state; do
  if [ "$state" = "install ok installed" ]; then installed[$name]=1; fi
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  if [ -z "${installed[$p]:-}" ]; then missing+=("$p"); fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The interop tests' Python: .venv/ (ignored by git), found by CMake as
# OCC_PYTHON. The stamp hashes what the venv is made of; it is written last,
# so an interrupted install is redone on the next run.
venv="${OCC_VENV:-$PWD/.venv}"
requirements=requirements-interop.txt
stamp="$venv/occ-stamp.sha256"
want=$({
  echo "venv recipe 1: --system-site-packages, pip install --no-deps"
  /usr/bin/python3 -c 'import sys; print(sys.version)'
  cat "$requirements"
} | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "install-deps: test venv $venv up to date"
  exit 0
fi
echo "install-deps: making the test venv $venv"
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install -q --no-input --disable-pip-version-check --no-deps -r "$requirements"
# Every module the tests import, so a broken pin fails here and not in ctest.
"$venv/bin/python" -c '
import h5py, hdf5plugin, numpy, plyfile, safetensors.numpy, safetensors.torch, torch, torchvision
from nuscenes.nuscenes import NuScenes
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
'
echo "$want" >"$stamp"
echo "install-deps: test venv ready"
