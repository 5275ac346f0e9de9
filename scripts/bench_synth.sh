#!/usr/bin/env bash
# Benchmark of `occ prep synth`: frames per second for each stage (scene
# build, occupancy, masks, rendering, LiDAR, writing) at the default size
# (2 scenes x 20 keyframes, 6 cameras at 96x176) and at full nuScenes size
# (900x1600), plus the speed-up of -j over one thread measured in the same
# run (a ratio, so it means something on a busy machine too).
# usage: scripts/bench_synth.sh [path/to/occ] [threads]
set -euo pipefail
occ=${1:-build/occ}
threads=${2:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs occ prep synth with -v and prints one table row from its stage line.
run() {
  local label=$1
  shift
  local start end log
  log="$work/log"
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%U %S" -o "$work/cpu" "$occ" prep synth -o "$work/out.h5" -v "$@" 2>"$log"
  else
    "$occ" prep synth -o "$work/out.h5" -v "$@" 2>"$log"
    echo "0 0" >"$work/cpu"
  fi
  end=$(date +%s.%N)
  local frames
  frames=$(sed -n 's/^wrote \([0-9]*\) frames.*/\1/p' "$log")
  sed -n 's/^seconds per stage: //p' "$log" | tr ',' '\n' | awk -v label="$label" -v frames="$frames" \
    -v start="$start" -v end="$end" -v cpu="$(awk '{print $1 + $2}' "$work/cpu")" '
    { name = $1; seconds[name] = $2; order[++n] = name }
    END {
      wall = end - start
      printf "%-28s %7d %8.1f %7.1f %9.2f", label, frames, wall, cpu, frames / wall
      for (i = 1; i <= n; ++i) printf " %10.2f", (seconds[order[i]] > 0 ? frames / seconds[order[i]] : 0)
      printf "\n"
    }'
  rm -f "$work/out.h5"
}

echo "occ prep synth benchmark: $("$occ" --version | head -1), $(nproc) cores, -j $threads"
printf "%-28s %7s %8s %7s %9s %10s %10s %10s %10s %10s %10s\n" "run" "frames" "wall_s" "cpu_s" "frames/s" \
  "scene/s" "occ/s" "masks/s" "render/s" "lidar/s" "write/s"
run "default 96x176 -j$threads" --scenes 2 --frames-per-scene 20 -j "$threads"
run "default 96x176 -j1" --scenes 2 --frames-per-scene 20 -j 1
run "900x1600 -j$threads" --scenes 1 --frames-per-scene 3 --image-size 900x1600 -j "$threads"
run "kitti 96x320 -j$threads" --rig kitti --scenes 1 --frames-per-scene 5 -j "$threads"
echo "(cpu_s: user + system seconds of all threads; per-stage columns: frames per second of that stage"
echo " alone; the target is the first row under 60 s; on a shared machine compare cpu_s and the -j ratio)"
