#!/usr/bin/env bash
# Cost of Let Occ Flow per size (issue 18, item 6): training step time and
# peak resident memory (/usr/bin/time -v), prediction frames per second, on
# one frames file (default: the experiments' world, nuScenes rig 96x176).
# Sizes run interleaved, ROUNDS times each, each run its own process; the
# quoted step time is the median of seconds_per_step over the steps after the
# first WARM of every run of the size, the memory the median of the runs'
# maximum resident sizes. The load average is printed before and after: on a
# shared machine absolute times move with other work.
# Stage 1 only (the stage-2 step adds the flow head and the flow losses).
# CPU s/step: the training process's user + system time / STEPS, startup
# included (an upper bound; less sensitive to other work than wall time).
# Prediction: `occ predict --depth` of the trained file on the frames file,
# wall time of the whole process (loading included) / frames predicted.
# Rendering share: with RENDER_BENCH (build/tests/volume_render_bench), the
# fused NeuS rendering forward + backward at each size's training ray grid
# (6 cameras x model.render.ray_rows x ray_cols rays x samples, read from
# occ train --print-config), its CPU ms per run against the CPU s/step of
# the size (CPU against CPU: wall times under load mostly measure waiting).
# Usage: [SIZES="demo small"] [STEPS=6] [WARM=2] [ROUNDS=2] [THREADS=2]
#          [RENDER_BENCH=build/tests/volume_render_bench]
#          scripts/letoccflow_cost.sh OCC FRAMES.h5 [extra occ train arguments...]
set -euo pipefail
occ=${1:?occ binary}
frames=${2:?frames file}
shift 2
SIZES=${SIZES:-demo small}
STEPS=${STEPS:-6}
WARM=${WARM:-2}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  for size in $SIZES; do
    echo "round $round: $size" >&2
    /usr/bin/time -v -o "$work/$size.$round.train.time" "$occ" train --frames "$frames" --model letoccflow \
      --size "$size" -o "$work/$size.model.h5" -j "$THREADS" -q --set "train.steps=$STEPS" \
      --set train.log_every=1 --set train.val_every=0 --csv "$work/$size.$round.csv" "$@" > /dev/null
    start=$(date +%s.%N)
    "$occ" predict "$work/$size.model.h5" "$frames" -o "$work/$size.pred.h5" --depth -q -j "$THREADS" > /dev/null
    end=$(date +%s.%N)
    echo "$start $end" > "$work/$size.$round.predict"
    if [[ -n ${RENDER_BENCH:-} ]]; then
      read -r rows cols samples < <("$occ" train --frames "$frames" --model letoccflow --size "$size" \
        -o "$work/unused.h5" --print-config "$@" | /usr/bin/python3 -c 'import json, sys
r = json.load(sys.stdin)["model"]["render"]
print(r["ray_rows"], r["ray_cols"], r["samples"])')
      cameras=$(/usr/bin/python3 -c 'import h5py, sys; print(h5py.File(sys.argv[1], "r")["/cameras/intrinsics"].shape[1])' "$frames")
      "$RENDER_BENCH" --impl fused --cameras "$cameras" --rows "$rows" --cols "$cols" --samples "$samples" \
        --repeats 3 --threads "$THREADS" > "$work/$size.$round.render.json"
    fi
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck disable=SC2086 # SIZES is a list of words
/usr/bin/python3 - "$work" "$frames" "$STEPS" "$WARM" "$ROUNDS" "$THREADS" $SIZES <<'PY'
import csv, h5py, json, os, re, statistics, sys
work, frames, steps, warm, rounds, threads = sys.argv[1:7]
sizes = sys.argv[7:]
with h5py.File(frames, "r") as f:
    keyframes = int(f["/frames/is_keyframe"][:].sum())
print(f"{frames}: stage 1, {steps} steps x {rounds} interleaved runs per size (first {warm} steps of a run "
      f"left out), {threads} threads; prediction of its {keyframes} keyframes")
print("| size | s/step (median) | s/step (min) | CPU s/step (median) | peak RSS GiB (median) | "
      "predict frames/s (median) | rendering CPU ms (median) | rendering share of CPU |")
print("|---|---|---|---|---|---|---|---|")
for size in sizes:
    times, peaks, rates, cpu, render = [], [], [], [], []
    for r in range(1, int(rounds) + 1):
        rows = list(csv.DictReader(open(os.path.join(work, f"{size}.{r}.csv"))))
        times += [float(x["seconds_per_step"]) for x in rows if int(x["step"]) > int(warm)]
        text = open(os.path.join(work, f"{size}.{r}.train.time")).read()
        peaks.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 2**20)
        cpu.append((float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1)) +
                    float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))) / int(steps))
        bench = os.path.join(work, f"{size}.{r}.render.json")
        if os.path.exists(bench):
            render.append(json.load(open(bench))["cpu_ms"])
        start, end = map(float, open(os.path.join(work, f"{size}.{r}.predict")).read().split())
        rates.append(keyframes / (end - start))
    share = "-"
    if render:
        share = f"{statistics.median(render) / 1000 / statistics.median(cpu):.3f}"
    rendering = f"{statistics.median(render):.0f}" if render else "-"
    print(f"| {size} | {statistics.median(times):.2f} | {min(times):.2f} | {statistics.median(cpu):.2f} | "
          f"{statistics.median(peaks):.2f} | {statistics.median(rates):.3f} | {rendering} | {share} |")
PY
