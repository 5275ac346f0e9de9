#!/usr/bin/env bash
# Efficiency of ProtoOcc's view transformation against the baseline, like the
# paper's Table 3 (issue 9): parameters, MACs (the papers' "FLOPs") and
# forward time of the view transformation (everything between the image
# features and the decoder: prototype grouping and mapping included) for
# baseline-B, baseline-S and ProtoOcc-S, one image size, measured in one run
# and reported as ratios. Targets: ProtoOcc-S / baseline-S time <= 1.3 (the
# paper: 105/66 = 1.59) and ProtoOcc-S / baseline-B <= 0.35 (105/266 = 0.39).
# Usage: scripts/bench_protoocc.sh [build] [HxW image, default 448x800] [threads] [repeats]
set -euo pipefail
build=${1:-build}
image=${2:-448x800}
threads=${3:-2}
repeats=${4:-1}
bench="$build/tests/model_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for row in "baseline small" "protoocc small" "baseline base"; do
  set -- $row
  echo "model_bench --model $1 --size $2 --image $image ..." >&2
  "$bench" --model "$1" --size "$2" --image "$image" --repeats "$repeats" --threads "$threads" > "$work/$1-$2.json"
done

/usr/bin/python3 - "$work" "$image" "$threads" <<'PY'
import json, os, sys
work, image, threads = sys.argv[1:]
rows = {}
for name, file in [("baseline-B", "baseline-base"), ("baseline-S", "baseline-small"), ("ProtoOcc-S", "protoocc-small")]:
    rows[name] = json.load(open(os.path.join(work, file + ".json")))
def vt_params(r):
    p = r["parameters"]
    return p.get("encoder", 0) + p.get("prototype_mapping", 0)
print(f"6 cameras, images {image}, {threads} threads, CPU; view transformation = encoder (+ prototype grouping and mapping)\n")
print("| model | queries | view transf. params (M) | view transf. GMACs | view transf. ms | total params (M) | peak RSS (MiB) |")
print("|---|---|---|---|---|---|---|")
for name, r in rows.items():
    q = "x".join(str(v) for v in r["query_shape"])
    print(f"| {name} | {q} | {vt_params(r)/1e6:.2f} | {r['gmacs']['view_transformation']:.1f} | "
          f"{r['forward_ms']['view_transformation']:.0f} | {r['parameters']['total']/1e6:.2f} | {r['peak_rss_mib']:.0f} |")
p, s, b = rows["ProtoOcc-S"], rows["baseline-S"], rows["baseline-B"]
def ratio(a, c, key):
    return a[key]["view_transformation"] / c[key]["view_transformation"]
print()
print(f"ProtoOcc-S / baseline-S: time {ratio(p, s, 'forward_ms'):.2f} (target <= 1.3; paper 1.59), "
      f"MACs {ratio(p, s, 'gmacs'):.2f} (paper 378/330 = 1.15), params {vt_params(p)/vt_params(s):.2f} (paper 16.11/15.52 = 1.04)")
print(f"ProtoOcc-S / baseline-B: time {ratio(p, b, 'forward_ms'):.2f} (target <= 0.35; paper 0.39), "
      f"MACs {ratio(p, b, 'gmacs'):.2f} (paper 378/1310 = 0.29), params {vt_params(p)/vt_params(b):.2f} (paper 16.11/46.24 = 0.35)")
PY
