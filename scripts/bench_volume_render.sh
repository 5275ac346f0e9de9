#!/usr/bin/env bash
# Fused vs reference NeuS volume rendering, forward+backward (issue 15), at
# Let Occ Flow's nuScenes training shapes: 6 cameras x 32x88 rays x 256
# samples on a 100x100x10-cell field (vertex grid 101x101x11), SDF and flow.
# Each run is its own process (so its peak memory is its own); the two
# implementations alternate ROUNDS times and the medians are quoted, since the
# machine may be shared with other work.
# Usage: [ROUNDS=5] [REPEATS=3] scripts/bench_volume_render.sh [build] [threads]
set -euo pipefail
build=${1:-build}
threads=${2:-2}
rounds=${ROUNDS:-5}
repeats=${REPEATS:-3}
bench="$build/tests/volume_render_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for round in $(seq "$rounds"); do
  for impl in reference fused; do
    "$bench" --impl "$impl" --threads "$threads" --repeats "$repeats" >> "$work/$impl.jsonl"
  done
done

/usr/bin/python3 - "$work" "$threads" "$rounds" "$repeats" <<'PY'
import json, statistics, sys, os
work, threads, rounds, repeats = sys.argv[1:]
rows = {impl: [json.loads(line) for line in open(os.path.join(work, impl + ".jsonl"))]
        for impl in ["reference", "fused"]}
first = rows["fused"][0]
print(f"NeuS rendering forward+backward: {first['rays']:.0f} rays x {first['samples']} samples, "
      f"{threads} threads, {rounds} interleaved processes x {repeats} repeats (median of medians); "
      f"shared machine: absolute times vary, the ratio is measured in the same run")
print("| implementation | wall ms (median) | wall ms (min) | CPU ms (median) | rays/s | peak extra RSS (MiB) |")
print("|---|---|---|---|---|---|")
summary = {}
for impl, runs in rows.items():
    ms = statistics.median(r["median_ms"] for r in runs)
    low = min(r["min_ms"] for r in runs)
    cpu = statistics.median(r["cpu_ms"] for r in runs)
    mib = statistics.median(r["peak_extra_mib"] for r in runs)
    summary[impl] = (ms, mib, cpu)
    print(f"| {impl} | {ms:.0f} | {low:.0f} | {cpu:.0f} | {first['rays'] / (ms / 1000):.0f} | {mib:.0f} |")
print("per run (wall ms): " + "; ".join(
    impl + " " + ", ".join(f"{r['median_ms']:.0f}" for r in runs) for impl, runs in rows.items()))
print(f"\nspeed-up fused vs reference: {summary['reference'][0] / summary['fused'][0]:.2f}x wall, "
      f"{summary['reference'][2] / summary['fused'][2]:.2f}x CPU time; "
      f"peak memory ratio reference/fused: {summary['reference'][1] / max(summary['fused'][1], 1e-9):.1f}x")
PY
