#!/usr/bin/env bash
# Efficiency of ProtoOcc's view transformation against the baseline, like the
# paper's Table 3 (issue 9): parameters, MACs (the papers' "FLOPs") and
# forward time of the view transformation (everything between the image
# features and the decoder: prototype grouping and mapping included) for
# baseline-B, baseline-S and ProtoOcc-S, one image size, measured in one run
# and reported as ratios. Targets: ProtoOcc-S / baseline-S time <= 1.3 (the
# paper: 105/66 = 1.59) and ProtoOcc-S / baseline-B <= 0.35 (105/266 = 0.39).
# ROUNDS=N (default 1) interleaves: each round runs the three models once,
# one after the other, and every ratio is computed within a round; the
# tables give the median over the rounds and the spread (min..max), so a
# load change during the run moves all three models of a round together
# instead of one row. Run it on an otherwise idle machine.
# Usage: [ROUNDS=1] scripts/bench_protoocc.sh [build] [HxW image, default 448x800] [threads] [repeats]
set -euo pipefail
build=${1:-build}
image=${2:-448x800}
threads=${3:-2}
repeats=${4:-1}
ROUNDS=${ROUNDS:-1}
bench="$build/tests/model_bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for round in $(seq 1 "$ROUNDS"); do
  for row in "baseline small" "protoocc small" "baseline base"; do
    set -- $row
    echo "round $round/$ROUNDS: model_bench --model $1 --size $2 --image $image ..." >&2
    "$bench" --model "$1" --size "$2" --image "$image" --repeats "$repeats" --threads "$threads" \
      > "$work/$1-$2.$round.json"
  done
done

/usr/bin/python3 - "$work" "$image" "$threads" "$ROUNDS" <<'PY'
import json, os, statistics, sys
work, image, threads, rounds = sys.argv[1:]
rounds = int(rounds)
names = [("baseline-B", "baseline-base"), ("baseline-S", "baseline-small"), ("ProtoOcc-S", "protoocc-small")]
runs = {name: [json.load(open(os.path.join(work, f"{file}.{k}.json"))) for k in range(1, rounds + 1)]
        for name, file in names}
def vt_ms(r):
    return r["forward_ms"]["view_transformation"]
def spread(values):
    return f"{min(values):.2f}..{max(values):.2f}" if len(values) > 1 else "-"
# The first round's file for the counts (parameters and MACs do not change);
# the median time over the rounds.
rows = {}
for name, _ in names:
    rows[name] = dict(runs[name][0])
    rows[name]["forward_ms"] = dict(rows[name]["forward_ms"])
    rows[name]["forward_ms"]["view_transformation"] = statistics.median(vt_ms(r) for r in runs[name])
def vt_params(r):
    p = r["parameters"]
    return p.get("encoder", 0) + p.get("prototype_mapping", 0)
print(f"6 cameras, images {image}, {threads} threads, CPU, {rounds} interleaved rounds; "
      "view transformation = encoder (+ prototype grouping and mapping); times: median over the rounds\n")
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
# Time ratios within each round, then their median and spread.
def round_ratios(a, c):
    return [vt_ms(x) / vt_ms(y) for x, y in zip(runs[a], runs[c])]
ps, pb = round_ratios("ProtoOcc-S", "baseline-S"), round_ratios("ProtoOcc-S", "baseline-B")
print(f"ProtoOcc-S / baseline-S: time {statistics.median(ps):.2f} (rounds {spread(ps)}; target <= 1.3; paper 1.59), "
      f"MACs {ratio(p, s, 'gmacs'):.2f} (paper 378/330 = 1.15), params {vt_params(p)/vt_params(s):.2f} (paper 16.11/15.52 = 1.04)")
print(f"ProtoOcc-S / baseline-B: time {statistics.median(pb):.2f} (rounds {spread(pb)}; target <= 0.35; paper 0.39), "
      f"MACs {ratio(p, b, 'gmacs'):.2f} (paper 378/1310 = 0.29), params {vt_params(p)/vt_params(b):.2f} (paper 16.11/46.24 = 0.35)")
for name, _ in names:
    times = [vt_ms(r) / 1000 for r in runs[name]]
    print(f"{name}: view transformation {statistics.median(times):.2f} s median, rounds {spread(times)} s")
PY
