#!/bin/sh
# Throughput of `occ prep nuscenes` (frames/s) on the round-trip dataset: a
# synthetic world exported in the nuScenes + Occ3D layout (200x200x16 grid),
# read back with images by path and with embedded, resized images; with
# SWEEPS > 0 the world has that many sweeps between keyframes, and the runs
# are repeated with --sweeps (rows then count keyframes and sweeps).
# Usage: scripts/bench_prep_nuscenes.sh [OCC] [FRAMES_PER_SCENE] [IMAGE_SIZE] [SWEEPS]
set -eu
occ=${1:-build/occ}
frames=${2:-20}
size=${3:-450x800}
sweeps=${4:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$occ" prep synth -o "$work/synth.h5" --scenes 2 --frames-per-scene "$frames" --image-size "$size" --sweeps "$sweeps" -q
"$occ" export "$work/synth.h5" --format nuscenes -o "$work/ns" -q
keyframes=$((2 * frames))
run() {
  label=$1
  shift
  total=$keyframes
  case " $* " in *" --sweeps "*) total=$((2 * ((frames - 1) * (sweeps + 1) + 1))) ;; esac
  start=$(date +%s.%N)
  "$occ" prep nuscenes --dataroot "$work/ns" --occ3d "$work/ns/gts" -o "$work/out.h5" -q "$@"
  end=$(date +%s.%N)
  echo "$label: $total frames in $(echo "$end - $start" | bc) s, $(echo "scale=1; $total / ($end - $start)" | bc) frames/s, $(du -k "$work/out.h5" | cut -f1) KiB"
  rm -f "$work/out.h5"
}
run "paths" 
run "paths + lidar" --lidar-points
run "embedded 256x704" --embed-images --image-size 256x704
run "embedded 256x704 + lidar" --embed-images --image-size 256x704 --lidar-points
if [ "$sweeps" -gt 0 ]; then
  run "paths + sweeps" --sweeps
  run "embedded 256x704 + sweeps" --embed-images --image-size 256x704 --sweeps
fi
