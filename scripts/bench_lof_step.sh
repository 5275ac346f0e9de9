#!/usr/bin/env bash
# Training step time of Let Occ Flow's network variants (issue 17), demo
# size, stage 1: the first version (no temporal fusion, conv blocks) against
# the temporal modes of Table 4 (over the preset's model.temporal_frames,
# and backward_forward over 2 frames, the paper's queue of 3) and the 3D
# ResNet + FPN3D + occupancy decoder.
# Arms run interleaved, `rounds` times each, `steps` steps per run; the
# reported time is the median of seconds_per_step over every run of the arm
# (the first 3 steps of a run left out: allocation warm-up), with its ratio
# to the first arm.
# Usage: scripts/bench_lof_step.sh [build] [frames.h5] [steps, default 25] [rounds, default 2] [threads, default 2]
set -euo pipefail
build=${1:-build}
frames=${2:?frames file (occ prep synth)}
steps=${3:-25}
rounds=${4:-2}
threads=${5:-2}
occ="$build/occ"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

arms=(
  "first_version model.temporal=none model.refine=conv_blocks"
  "resnet_fpn3d model.temporal=none model.refine=resnet_fpn3d"
  "concat_conv model.temporal=concat_conv model.refine=resnet_fpn3d"
  "bev_forward model.temporal=bev_forward model.refine=resnet_fpn3d"
  "backward_forward model.temporal=backward_forward model.refine=resnet_fpn3d"
  "backward_forward_T2 model.temporal=backward_forward model.refine=resnet_fpn3d model.temporal_frames=2"
)
for round in $(seq 1 "$rounds"); do
  for arm in "${arms[@]}"; do
    set -- $arm
    name=$1
    shift
    sets=()
    for s in "$@"; do sets+=(--set "$s"); done
    echo "round $round: $name" >&2
    "$occ" train --frames "$frames" --model letoccflow --size demo -o "$work/$name.model.h5" -j "$threads" \
      --set train.steps="$steps" --set train.log_every=1 "${sets[@]}" --csv "$work/$name.$round.csv" \
      --quiet > /dev/null
  done
done

/usr/bin/python3 - "$work" "$steps" "$rounds" "$threads" "${arms[@]}" <<'PY'
import csv, glob, os, statistics, sys
work, steps, rounds, threads = sys.argv[1:5]
names = [a.split()[0] for a in sys.argv[5:]]
print(f"demo size, stage 1, {steps} steps x {rounds} interleaved runs per arm, {threads} threads")
print("| arm | median s/step | ratio to first_version |")
print("|---|---|---|")
reference = None
for name in names:
    times = []
    for path in sorted(glob.glob(os.path.join(work, f"{name}.*.csv"))):
        rows = list(csv.DictReader(open(path)))
        times += [float(r["seconds_per_step"]) for r in rows if int(r["step"]) > 3]
    median = statistics.median(times)
    reference = reference or median
    print(f"| {name} | {median:.3f} | {median / reference:.2f} |")
PY
