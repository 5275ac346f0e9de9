#!/usr/bin/env bash
# Multi-seed learning experiment of the demo recipe (docs/demo_learning.md):
# trains the demo baseline once per seed on the demo's 6 training scenes and
# scores it on the 2 held-out scenes (another world seed) and on the training
# scenes themselves, beside the untrained model (1 step) and the image-blind
# height-layer prior. Prints one row per seed and the mean and spread.
#
#   scripts/demo_learning.sh [occ] [extra occ train arguments...]
#   SEEDS="0 1 2" STEPS=300 JOBS=2 OUT=demo_learning CONFIG=configs/demo.toml PRETRAIN_STEPS=0
#   TRAIN_SCORE=1 REFERENCE=1
#
# CONFIG empty trains the bare `--size demo` preset; extra arguments (e.g.
# --set train.optimizer.lr=1e-3) are appended to every training run.
# PRETRAIN_STEPS=N first trains each seed's image backbone alone for N steps
# on the camera classes (model.image_pretraining) and starts the full run
# from that file (occ train --init-from).
set -euo pipefail
occ=${1:-build/occ}
shift || true
SEEDS=${SEEDS:-0 1 2}
STEPS=${STEPS:-300}
JOBS=${JOBS:-2}
OUT=${OUT:-demo_learning}
CONFIG=${CONFIG-configs/demo.toml}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-0}
TRAIN_SCORE=${TRAIN_SCORE:-1}  # 0: skip the training-set mIoU (saves a pass over 120 frames)
REFERENCE=${REFERENCE:-1}  # 0: skip the prior and one-step rows (seeds run as parallel instances score them once)
GRID=100,100,8,0.8,-40,-40,-1
mkdir -p "$OUT"

[[ -f $OUT/train.h5 ]] || "$occ" prep synth -o "$OUT/train.h5" --scenes 6 --grid "$GRID" -q -j "$JOBS"
[[ -f $OUT/val.h5 ]] || "$occ" prep synth -o "$OUT/val.h5" --scenes 2 --seed 7 --grid "$GRID" -q -j "$JOBS"

settings=(--size demo)
[[ -n $CONFIG ]] && settings+=(--config "$CONFIG")
settings+=("$@")

# The values of one named column of a training CSV (the columns vary with the loss terms).
column_of() { awk -F, -v name="$1" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == name) c = i; next} {print $c}' "$2"; }

miou() { "$occ" eval "$1" --gt "$2" | awk '$1 == "mIoU" {print $2}'; }

score() {  # model name -> "val_miou train_miou"
  "$occ" predict -j "$JOBS" -q "$1" "$OUT/val.h5" -o "$OUT/$2.val.pred.h5" > /dev/null
  local val train=-
  val=$(miou "$OUT/$2.val.pred.h5" "$OUT/val.h5")
  if [[ $TRAIN_SCORE == 1 ]]; then
    "$occ" predict -j "$JOBS" -q "$1" "$OUT/train.h5" -o "$OUT/$2.train.pred.h5" > /dev/null
    train=$(miou "$OUT/$2.train.pred.h5" "$OUT/train.h5")
  fi
  echo "$val $train"
}

printf '%-10s %8s %8s %8s %10s\n' run val_mIoU train_mIoU s/step final_loss | tee "$OUT/results.txt"
if [[ $REFERENCE == 1 ]]; then
  "$occ" predict --layer-prior "$OUT/train.h5" "$OUT/val.h5" -o "$OUT/prior.val.pred.h5" -q > /dev/null
  prior=$(miou "$OUT/prior.val.pred.h5" "$OUT/val.h5")
  printf '%-10s %8s %8s %8s %10s\n' prior "$prior" - - - | tee -a "$OUT/results.txt"
  "$occ" train -j "$JOBS" -q --frames "$OUT/train.h5" "${settings[@]}" --set train.steps=1 -o "$OUT/untrained.h5"
  read -r val train < <(score "$OUT/untrained.h5" untrained)
  printf '%-10s %8s %8s %8s %10s\n' untrained "$val" "$train" - - | tee -a "$OUT/results.txt"
fi

vals=()
for seed in $SEEDS; do
  init=()
  if ((PRETRAIN_STEPS > 0)); then
    "$occ" train -j "$JOBS" -q --frames "$OUT/train.h5" "${settings[@]}" --set model.image_pretraining=true \
      --set "train.steps=$PRETRAIN_STEPS" --set "train.seed=$seed" -o "$OUT/seed$seed.pre.h5" \
      --csv "$OUT/seed$seed.pre.csv" > /dev/null
    init=(--init-from "$OUT/seed$seed.pre.h5")
  fi
  "$occ" train -j "$JOBS" -q --frames "$OUT/train.h5" "${settings[@]}" "${init[@]}" --set "train.steps=$STEPS" \
    --set "train.seed=$seed" -o "$OUT/seed$seed.h5" --csv "$OUT/seed$seed.csv"
  read -r val train < <(score "$OUT/seed$seed.h5" "seed$seed")
  sps=$(column_of seconds_per_step "$OUT/seed$seed.csv" | awk '{s += $1; n++} END {printf "%.3f", s / n}')
  loss=$(column_of loss "$OUT/seed$seed.csv" | tail -1)
  printf '%-10s %8s %8s %8s %10.4f\n' "seed$seed" "$val" "$train" "$sps" "$loss" | tee -a "$OUT/results.txt"
  vals+=("$val")
done
printf '%s\n' "${vals[@]}" | awk '{s += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1}
  END {printf "held-out mIoU over %d seeds: mean %.2f, min %.2f, max %.2f, spread %.2f\n", NR, s / NR, lo, hi, hi - lo}' |
  tee -a "$OUT/results.txt"
