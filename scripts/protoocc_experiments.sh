#!/usr/bin/env bash
# ProtoOcc against the PanoOcc-style baseline on the synthetic world (issues 9
# and 20): the rows of the paper's Table 4 ablation, for today's defaults and
# for the "paper" preset (configs/protoocc_paper.toml), each trained with the
# same recipe, data and seeds, scored on held-out scenes of another world.
#
# Recipe: the demo recipe, `--size demo --config configs/demo.toml` (ResNet-18
# from scratch, 64 channels, one encoder layer, 25x25x4 queries on the demo's
# 100x100x8 grid of 0.8 m, 96x176 images, 600 steps of batch 1, lr 5e-3, 20
# warm-up steps, the 2D camera-class term, the trilinear decoder), started
# from a 150-step 2D pretraining run of the backbone (model.image_pretraining,
# the baseline's; one per seed, shared by every row of that seed through
# `occ train --init-from`: the backbone and neck module paths are the same in
# both models, the voxel heads start as initialised). Its loss
# weights are CE 1 and Lovasz 10, not PanoOcc's CE 10 and Lovasz 1 (Eq. 6's
# lambda1 / lambda2 in protoocc.md): with PanoOcc's weights the masked CE is
# dominated by free voxels and the from-scratch demo model predicts free
# everywhere (configs/demo.toml, docs/demo_learning.md). PANOOCC_WEIGHTS=1
# sets CE 10 / Lovasz 1 on every row instead (the paper's weighting, same
# recipe otherwise).
#
# Rows (ROWS, each optionally suffixed @paper for the paper preset):
#   baseline              --model baseline (Table 4 row 1)
#   mapping               prototype mapping only (row 2)
#   mapping+optimisation  mapping and the contrastive loss (row 3)
#   decoding              multi-perspective decoding only (row 4)
#   protoocc              all three (row 5)
#   baseline-B            the baseline with 4x the queries (50x50x4)
# The paper preset's [model] keys are passed as --set assignments (occ train
# reads one --config, which is the demo recipe here).
#
# Output: $OUT/results.csv (one line per run) and $OUT/results.md (mean,
# min and max over the seeds per row).
#
# PARALLEL=N trains N runs side by side (each with JOBS threads); runs are
# deterministic per seed at a fixed JOBS, so the order does not change a
# number. A row and seed already in results.csv is skipped (rerunning the
# script resumes).
#
# Usage: [STEPS=600] [PRETRAIN_STEPS=150] [SEEDS="0 1 2"] \
#          [ROWS="baseline protoocc protoocc@paper"] [JOBS=1] [PARALLEL=1] \
#          [PANOOCC_WEIGHTS=0] scripts/protoocc_experiments.sh [build/occ] [out dir]
set -euo pipefail
occ=${1:-build/occ}
OUT=${2:-experiments/protoocc}
STEPS=${STEPS:-600}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-150}
PARALLEL=${PARALLEL:-1}
SEEDS=${SEEDS:-"0 1 2"}
ROWS=${ROWS:-"baseline protoocc protoocc@paper"}
JOBS=${JOBS:-1}
PANOOCC_WEIGHTS=${PANOOCC_WEIGHTS:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"

GRID=100,100,8,0.8,-40,-40,-1
[ -f "$OUT/train.h5" ] || "$occ" prep synth -o "$OUT/train.h5" --scenes 6 --grid "$GRID" -q -j "$JOBS"
[ -f "$OUT/val.h5" ] || "$occ" prep synth -o "$OUT/val.h5" --scenes 2 --seed 7 --grid "$GRID" -q -j "$JOBS"
# Superpixels as many as the prototypes (Table 8: aligning S with M matters):
# 96x176 images, stride-8 features 12x22, r = 4 -> 3x6 = 18.
[ -f "$OUT/train.masks.h5" ] ||
  "$occ" cluster-masks "$OUT/train.h5" --match-prototypes 4 -o "$OUT/train.masks.h5" -q

SETTINGS=(--size demo --config "$here/configs/demo.toml" --set "train.steps=$STEPS")
WEIGHTS="demo"
if [ "$PANOOCC_WEIGHTS" = 1 ]; then
  SETTINGS+=(--set model.loss_ce_weight=10.0 --set model.loss_lovasz_weight=1.0)
  WEIGHTS="panoocc"
fi

# configs/protoocc_paper.toml's [model] keys as --set assignments.
paper_assignments() {
  /usr/bin/python3 - "$here/configs/protoocc_paper.toml" <<'PY'
import json, sys, tomllib
for key, value in tomllib.load(open(sys.argv[1], "rb"))["model"].items():
    print(f"--set model.{key}={json.dumps(value)}")
PY
}

row_arguments() {
  case "$1" in
    baseline) echo "--model baseline" ;;
    baseline-B) echo "--model baseline --set model.query_shape=[50,50,4] --set model.decoder_channels=[16]" ;;
    mapping) echo "--model protoocc --set model.proto_optimisation=false --set model.mod=false" ;;
    mapping+optimisation) echo "--model protoocc --set model.mod=false --masks $OUT/train.masks.h5" ;;
    decoding) echo "--model protoocc --set model.proto_mapping=false --set model.proto_optimisation=false" ;;
    protoocc) echo "--model protoocc --masks $OUT/train.masks.h5" ;;
    *)
      echo "protoocc_experiments: unknown row $1" >&2
      exit 2
      ;;
  esac
}

# One 2D pretraining run per seed (the demo recipe's first stage).
pretrain() {
  local seed=$1 file="$OUT/pretrain.seed$1.s$PRETRAIN_STEPS.h5"
  [ -f "$file" ] && return 0
  "$occ" train -j "$JOBS" -q --frames "$OUT/train.h5" "${SETTINGS[@]}" --model baseline \
    --set model.image_pretraining=true --set "train.steps=$PRETRAIN_STEPS" --set "train.seed=$seed" \
    -o "$file.part.h5" --csv "$OUT/pretrain.seed$seed.train.csv"
  mv "$file.part.h5" "$file"
}

# One trained row and seed: train, predict the held-out scenes, score, and
# append a line to results.csv.
run_one() {
  local row=$1 seed=$2 base=${1%@paper} preset=() init=()
  [ "$base" != "$row" ] && mapfile -t preset < <(paper_assignments | tr ' ' '\n')
  ((PRETRAIN_STEPS > 0)) && init=(--init-from "$OUT/pretrain.seed$seed.s$PRETRAIN_STEPS.h5")
  local name="$row.seed$seed.$WEIGHTS.p$PRETRAIN_STEPS.s$STEPS"
  echo "== $name"
  local start seconds miou
  start=$(date +%s)
  # shellcheck disable=SC2046
  "$occ" train -j "$JOBS" --frames "$OUT/train.h5" "${SETTINGS[@]}" $(row_arguments "$base") "${preset[@]}" \
    "${init[@]}" --set "train.seed=$seed" -o "$OUT/$name.model.h5" --csv "$OUT/$name.train.csv" -q
  seconds=$(($(date +%s) - start))
  "$occ" predict -j "$JOBS" "$OUT/$name.model.h5" "$OUT/val.h5" -o "$OUT/$name.pred.h5" -q > /dev/null
  "$occ" eval "$OUT/$name.pred.h5" --gt "$OUT/val.h5" --metric miou --json -o "$OUT/$name.eval.json" > /dev/null
  miou=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['miou']['miou'])" \
    "$OUT/$name.eval.json")
  echo "$row,$seed,$PRETRAIN_STEPS,$STEPS,$WEIGHTS,$miou,$seconds" >> "$OUT/results.csv"
  echo "$row seed $seed: held-out mIoU $miou ($seconds s of training)"
}

# Waits until fewer than PARALLEL (wait_all: no) runs are going; a failed run
# sets failed=1 and the others go on.
failed=0
throttle() {
  while (($(jobs -rp | wc -l) >= PARALLEL)); do wait -n || failed=1; done
}
wait_all() {
  while (($(jobs -rp | wc -l) > 0)); do wait -n || failed=1; done
}

for row in $ROWS; do
  base=${row%@paper}
  if [ "$base" != "$row" ] && { [ "$base" = baseline ] || [ "$base" = baseline-B ]; }; then
    echo "protoocc_experiments: $row: the paper preset is a ProtoOcc preset" >&2
    exit 2
  fi
  row_arguments "$base" > /dev/null
done
[ -f "$OUT/results.csv" ] || echo "row,seed,pretrain_steps,steps,weights,miou,train_seconds" > "$OUT/results.csv"
if ((PRETRAIN_STEPS > 0)); then
  for seed in $SEEDS; do
    throttle
    pretrain "$seed" &
  done
  wait_all
  for seed in $SEEDS; do
    [ -f "$OUT/pretrain.seed$seed.s$PRETRAIN_STEPS.h5" ] || {
      echo "protoocc_experiments: the pretraining run of seed $seed failed" >&2
      exit 1
    }
  done
fi
for row in $ROWS; do
  for seed in $SEEDS; do
    grep -q "^$row,$seed,$PRETRAIN_STEPS,$STEPS,$WEIGHTS," "$OUT/results.csv" && continue
    throttle
    run_one "$row" "$seed" &
  done
done
wait_all

/usr/bin/python3 - "$OUT/results.csv" > "$OUT/results.md" <<'PY'
import csv, sys, collections
rows = collections.OrderedDict()
for r in csv.DictReader(open(sys.argv[1])):
    rows.setdefault((r["row"], r["pretrain_steps"], r["steps"], r["weights"]), []).append(r)
print("| row | seeds | pretraining + steps | loss weights | held-out mIoU (%) per seed | mean | spread (max - min) | s per run |")
print("|---|---|---|---|---|---|---|---|")
for (name, pretrain, steps, weights), runs in rows.items():
    runs.sort(key=lambda r: int(r["seed"]))
    m = [float(r["miou"]) for r in runs]
    t = sum(float(r["train_seconds"]) for r in runs) / len(runs)
    seeds = " / ".join(r["seed"] for r in runs)
    each = " / ".join(f"{v:.2f}" for v in m)
    print(f"| {name} | {seeds} | {pretrain} + {steps} | {weights} | {each} | {sum(m)/len(m):.2f} | {max(m)-min(m):.2f} | {t:.0f} |")
PY
cat "$OUT/results.md"
if ((failed)); then
  echo "protoocc_experiments: a run failed (see above); results.csv holds the others" >&2
  exit 1
fi
