#!/usr/bin/env bash
# ProtoOcc against the PanoOcc-style baseline on the synthetic world (issue 9,
# "Experiments"): the rows of the paper's comparison and of its Table 4
# ablation, each trained with the same budget (steps, learning rate, data,
# augmentation) for every seed, scored on held-out scenes of another world.
#
# Two CPU cores cannot train the paper's Small/Base sizes, so "S" is the demo
# preset (ResNet-18, 64 channels, 25x25x4 queries on a 100x100x8 grid) and
# "B" the same with 4x the queries (50x50x4), the Small -> Base step of the
# paper (50x50 -> 100x100 queries). Budget and settings are the demo's
# (scripts/demo.sh). Output: $OUT/results.csv (one line per run) and
# $OUT/results.md (mean and spread over the seeds per row).
#
# Usage: [STEPS=300] [SEEDS="1 2"] [ROWS="baseline-S mapping ..."] \
#          scripts/protoocc_experiments.sh [build/occ] [out dir]
set -euo pipefail
occ=${1:-build/occ}
OUT=${2:-experiments/protoocc}
STEPS=${STEPS:-300}
SEEDS=${SEEDS:-"1 2"}
ROWS=${ROWS:-"baseline-S mapping mapping+optimisation decoding protoocc-S baseline-B"}
mkdir -p "$OUT"

GRID=100,100,8,0.8,-40,-40,-1
[ -f "$OUT/train.h5" ] || "$occ" prep synth -o "$OUT/train.h5" --scenes 6 --grid "$GRID" -q
[ -f "$OUT/val.h5" ] || "$occ" prep synth -o "$OUT/val.h5" --scenes 2 --seed 7 --grid "$GRID" -q
# Superpixels as many as the prototypes (Table 8: aligning S with M matters):
# 96x176 images, stride-8 features 12x22, r = 4 -> 3x6 = 18.
[ -f "$OUT/train.masks.h5" ] ||
  "$occ" cluster-masks "$OUT/train.h5" --match-prototypes 4 -o "$OUT/train.masks.h5" -q

SETTINGS=(--size demo --set "train.steps=$STEPS" --set train.log_every=50 --set train.optimizer.lr=0.005
  --set train.schedule.warmup_steps=20 --set model.backbone_lr_multiplier=1.0 --set model.loss_lovasz_weight=10.0
  --set model.loss_ce_weight=1.0)

row_arguments() {
  case "$1" in
    baseline-S) echo "--model baseline" ;;
    baseline-B) echo "--model baseline --set model.query_shape=[50,50,4] --set model.decoder_channels=[16]" ;;
    mapping) echo "--model protoocc --set model.proto_optimisation=false --set model.mod=false" ;;
    mapping+optimisation) echo "--model protoocc --set model.mod=false --masks $OUT/train.masks.h5" ;;
    decoding) echo "--model protoocc --set model.proto_mapping=false --set model.proto_optimisation=false" ;;
    protoocc-S) echo "--model protoocc --masks $OUT/train.masks.h5" ;;
    *)
      echo "protoocc_experiments: unknown row $1" >&2
      exit 2
      ;;
  esac
}

[ -f "$OUT/results.csv" ] || echo "row,seed,steps,miou,train_seconds" > "$OUT/results.csv"
for row in $ROWS; do
  for seed in $SEEDS; do
    name="$row.seed$seed"
    if grep -q "^$row,$seed,$STEPS," "$OUT/results.csv"; then continue; fi
    echo "== $name"
    # shellcheck disable=SC2046
    start=$(date +%s)
    "$occ" train --frames "$OUT/train.h5" "${SETTINGS[@]}" $(row_arguments "$row") --set "train.seed=$seed" \
      -o "$OUT/$name.model.h5" --csv "$OUT/$name.train.csv" -q
    seconds=$(($(date +%s) - start))
    "$occ" predict "$OUT/$name.model.h5" "$OUT/val.h5" -o "$OUT/$name.pred.h5" -q > /dev/null
    "$occ" eval "$OUT/$name.pred.h5" --gt "$OUT/val.h5" --metric miou --json -o "$OUT/$name.eval.json" > /dev/null
    miou=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['miou']['miou'])" \
      "$OUT/$name.eval.json")
    echo "$row,$seed,$STEPS,$miou,$seconds" | tee -a "$OUT/results.csv"
  done
done

/usr/bin/python3 - "$OUT/results.csv" > "$OUT/results.md" <<'PY'
import csv, sys, collections
rows = collections.OrderedDict()
for r in csv.DictReader(open(sys.argv[1])):
    rows.setdefault(r["row"], []).append(r)
print("| row | seeds | steps | held-out mIoU (%) mean | min..max | s per run |")
print("|---|---|---|---|---|---|")
for name, runs in rows.items():
    m = [float(r["miou"]) for r in runs]
    t = sum(float(r["train_seconds"]) for r in runs) / len(runs)
    print(f"| {name} | {len(m)} | {runs[0]['steps']} | {sum(m)/len(m):.2f} | {min(m):.2f}..{max(m):.2f} | {t:.0f} |")
PY
cat "$OUT/results.md"
