#!/usr/bin/env bash
# Cost of the Fletcher32 checksums occ puts on every chunked dataset, each
# measurement with the checksums on and off (OCC_H5_FLETCHER32=0 when writing;
# a reader verifies whatever checksums a file has):
# - write: the "writing" stage of `occ prep synth -v` (its own timing);
# - read + write: `occ prep merge` of two such files, which reads every
#   dataset of both and writes them all again.
# Runs are interleaved (on, off, on, off, ...) so a busy machine slows both
# alike; medians are printed with the ratio on/off from the same run.
# usage: scripts/bench_checksums.sh [path/to/occ] [repeats] [image HxW]
set -euo pipefail
occ=${1:-build/occ}
repeats=${2:-5}
size=${3:-96x176}
frames=6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
flag() { [ "$1" = on ] && echo 1 || echo 0; }

# Writes: prep runs, seeds 1.. (the first two of each mode feed the merges).
prep_runs=$(((repeats + 1) / 2 > 2 ? (repeats + 1) / 2 : 2))
for ((i = 1; i <= prep_runs; ++i)); do
  for mode in on off; do
    OCC_H5_FLETCHER32=$(flag $mode) "$occ" prep synth --scenes 1 --frames-per-scene $frames --image-size "$size" \
      --seed "$i" -j 1 -v -o "$work/$mode.$i.h5" 2>"$work/log"
    sed -n 's/^seconds per stage: //p' "$work/log" | tr ',' '\n' | awk '$1 == "writing" { print $2 }' \
      >>"$work/write.$mode"
  done
done
# Reads and writes: merges.
for ((i = 0; i < repeats; ++i)); do
  for mode in on off; do
    rm -f "$work/$mode.merged.h5"
    start=$(date +%s.%N)
    OCC_H5_FLETCHER32=$(flag $mode) "$occ" prep merge "$work/$mode.1.h5" "$work/$mode.2.h5" \
      -o "$work/$mode.merged.h5" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l >>"$work/merge.$mode"
  done
done

echo "Fletcher32 cost: $("$occ" --version | head -1), $(nproc) cores"
echo "files: occ prep synth --scenes 1 --frames-per-scene $frames --image-size $size" \
  "($(stat -c %s "$work/on.1.h5") bytes with checksums, $(stat -c %s "$work/off.1.h5") without)"
printf "%-40s %5s %10s %10s %7s\n" "median seconds" "runs" "checksums" "without" "ratio"
for what in write merge; do
  on=$(median <"$work/$what.on")
  off=$(median <"$work/$what.off")
  label="prep synth, writing stage"
  [ "$what" = merge ] && label="prep merge of two files (read + write)"
  printf "%-40s %5d %10.3f %10.3f %7.3f\n" "$label" "$(wc -l <"$work/$what.on")" "$on" "$off" \
    "$(echo "$on / $off" | bc -l)"
done
