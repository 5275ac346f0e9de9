#!/usr/bin/env bash
# Frames per second of occ render on the 200x200x16 Occ3D grid of the
# synthetic world: the voxels view at 1280x720, the BEV, and a full sheet,
# each written as a video (what `occ render --frames` does).
# Usage: scripts/bench_render.sh [build/occ] [frames] [threads]
set -euo pipefail
occ=${1:-build/occ}
frames=${2:-10}
threads=${3:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$occ" prep synth --scenes 1 --frames-per-scene "$frames" -o "$work/synth.h5" -q
last=$((frames - 1))
printf '| view | output size | frames/s (-j %s) |\n|---|---|---|\n' "$threads"
run() {
  local name=$1; shift
  "$occ" render "$work/synth.h5" --frames "0:$last" -o "$work/out.avi" -j "$threads" -q "$@" > "$work/log"
  /usr/bin/python3 - "$name" "$work/log" <<'PY'
import re, sys
text = open(sys.argv[2]).read()
m = re.search(r"of (\d+)x(\d+) in [\d.]+ s \(([\d.]+) frames/s\)", text)
print(f"| {sys.argv[1]} | {m.group(1)}x{m.group(2)} | {m.group(3)} |")
PY
}
run "voxels 1280x720" --view voxels --voxel-size 720x1280
run "bev" --view bev
run "bev,voxels,cameras,depth sheet" --view bev,voxels,cameras,depth
