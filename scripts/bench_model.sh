#!/usr/bin/env bash
# Size and speed of the baseline presets (issue 7): parameters, MACs
# (multiply-accumulates, the "FLOPs" of papers) and forward wall time per
# stage, peak memory, one training step; then fused vs reference deformable
# attention. Ratios against the small preset are measured in the same run.
# Usage: [SIZES="tiny small base"] scripts/bench_model.sh [build] [HxW image] [threads]
# base is left out by default: on two cores one forward pass of it takes
# well over ten minutes (small: ~5 min at 224x400).
set -euo pipefail
build=${1:-build}
image=${2:-224x400}
threads=${3:-2}
bench="$build/tests/model_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

SIZES=${SIZES:-"tiny small"}
for size in $SIZES; do
  repeats=2
  [ "$size" = base ] && repeats=1
  "$bench" --size "$size" --image "$image" --repeats "$repeats" --threads "$threads" > "$work/$size.json"
done
# The demo preset on the demo's grid and images, with a training step.
"$bench" --size demo --image 96x176 --grid 100,100,8 --repeats 3 --train-steps 3 --threads "$threads" > "$work/demo.json"

/usr/bin/python3 - "$work" "$image" "$threads" <<'PY'
import json, sys, os
work, image, threads = sys.argv[1:]
rows = {s: json.load(open(os.path.join(work, s + ".json"))) for s in ["tiny", "small", "base", "demo"]
        if os.path.exists(os.path.join(work, s + ".json"))}
print(f"6 cameras, images {image} (demo: 96x176 on a 100x100x8 grid), {threads} threads, CPU\n")
print("| preset | queries | params (M) | view transf. params (M) | GMACs backbone | GMACs view transf. | GMACs decoder | ms backbone | ms view transf. | ms decoder | peak RSS (MiB) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name, r in rows.items():
    p, g, t = r["parameters"], r["gmacs"], r["forward_ms"]
    q = "x".join(str(v) for v in r["query_shape"])
    print(f"| {name} | {q} | {p['total']/1e6:.2f} | {p['encoder']/1e6:.2f} | {g.get('backbone',0):.1f} | {g.get('view_transformation',0):.1f} | {g.get('decoder',0):.1f} | {t.get('backbone',0):.0f} | {t.get('view_transformation',0):.0f} | {t.get('decoder',0):.0f} | {r['peak_rss_mib']:.0f} |")
s = rows["small"]
print("\nratios to small (view transformation): " + ", ".join(
    f"{n} time {rows[n]['forward_ms']['view_transformation']/s['forward_ms']['view_transformation']:.2f}, "
    f"MACs {rows[n]['gmacs']['view_transformation']/s['gmacs']['view_transformation']:.2f}" for n in ["tiny", "base"] if n in rows))
d = rows["demo"]
print(f"\ndemo training step: {d['train_step_s']:.2f} s ({d['train_samples_per_s']:.2f} samples/s)")
PY
echo
echo "multi-scale deformable attention, fused vs reference (Small's cross-attention shapes):"
"$build/tests/msda_bench" --threads "$threads"
