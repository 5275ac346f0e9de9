#!/usr/bin/env bash
# Let Occ Flow on the synthetic world (issue 18): does it learn, and do the
# paper's ablations hold. Every arm is trained with the same budget and the
# same seeds and scored on held-out scenes of another world seed, beside the
# untrained model and the trivial predictors (docs/letoccflow.md,
# "Experiments").
#
# Setup (the defaults): the nuScenes rig of `occ prep synth` (6 cameras,
# 96x176 images, Occ3D grid 200x200x16 at 0.4 m), keyframes at FPS=6 with
# SWEEPS=2 unannotated frames between them (18 Hz frames); training
# TRAIN_SCENES=2 x FRAMES=10 keyframes (world seed 0), held-out VAL_SCENES=1
# x VAL_FRAMES=4 (world seed 7); flow labels by `occ flow-labels` (DIS)
# composed through the sweeps, movable masks from the flow file; demo size;
# stage 1 STEPS1=300 steps, stage 2 STEPS2=100 more (one run, --stage2-from),
# lr LR=1e-3, 20 warm-up steps, one cosine schedule.
#
# Arms (ARMS, any subset, in this order):
#   untrained       1 step (its flow head at init: ~0 flow)
#   constant        depth = the training frames' median true depth
#   stage1          stage 1 only, STEPS1 steps (no flow)
#   stage12         stage 1 then stage 2 (Table 4's backward_forward, Table
#                   5's two-stage with disentanglement, Table 6's forward)
#   concat_conv, bev_forward
#                   stage12 with model.temporal = that (Table 4)
#   joint           --joint: stage 2 from scratch, STEPS1+STEPS2 (Table 5)
#   no_disentangle  stage12 with --no-disentangle (Table 5)
#   flow_backward, flow_both, flow_none
#                   stage12 with --flow-supervision that (Table 6)
#   oracle          stage12 whose dynamic rays are the truly moving rays with
#                   a label: the flow file's /movable replaced by the pixels
#                   of boxes moving > 0.1 m/s (scripts/letoccflow_motion.py
#                   --oracle-movable) and model.loss.dynamic_threshold_px=0
#                   (an ablation: is the learned mask the blocker?)
#   stage2_restart  stage 2 as its own run of STEPS2 steps from the stage1
#                   arm's model of the same seed (--init-from, model.stage=2):
#                   its own warm-up and cosine schedule at LR, where stage12
#                   runs stage 2 on the tail of one cosine (needs stage1 first)
# Every arm with flow is also scored with its flow replaced by 0 (zero flow
# on the same geometry: mave_zero) and by the true flow (mave_true: the
# best mAVE this geometry allows), and on the truly moving voxels
# (moving_epe against moving_zero: the flow head alone, our diagnostic), and
# its rendered flow (occ predict --rendered-flow) on the dynamic pixels
# against the exact per-pixel flow of the moving boxes (rendered_epe against
# rendered_zero, m per keyframe step: scripts/letoccflow_rendered_flow_epe.py).
#
# Usage: [ARMS="stage1 stage12"] [SEEDS="0 1 2"] [STEPS1=300] [STEPS2=100]
#          [JOBS=2] [OUT=experiments/letoccflow] [FPS=6] [SWEEPS=2] [IMAGE_SIZE=96x176] ...
#          scripts/letoccflow_experiments.sh [build/occ] [extra occ train arguments...]
# Output: $OUT/results.csv (one line per arm and seed; reruns skip the lines
# already there) and $OUT/results.md (mean, min-max spread per arm).
set -euo pipefail
occ=${1:-build/occ}
shift || true
ARMS=${ARMS:-untrained constant stage1 stage12 concat_conv bev_forward joint no_disentangle flow_backward flow_both flow_none}
SEEDS=${SEEDS:-0 1 2}
STEPS1=${STEPS1:-300}
STEPS2=${STEPS2:-100}
JOBS=${JOBS:-2}
OUT=${OUT:-experiments/letoccflow}
FPS=${FPS:-6}
SWEEPS=${SWEEPS:-2}
TRAIN_SCENES=${TRAIN_SCENES:-2}
FRAMES=${FRAMES:-10}
VAL_SCENES=${VAL_SCENES:-1}
VAL_FRAMES=${VAL_FRAMES:-4}
LR=${LR:-1e-3}
WARMUP=${WARMUP:-20}
here=$(cd "$(dirname "$0")" && pwd)
variant=("/usr/bin/python3" "$here/letoccflow_pred_variant.py")
rendered_epe=("/usr/bin/python3" "$here/letoccflow_rendered_flow_epe.py")
mkdir -p "$OUT"

world=(--fps "$FPS" --sweeps "$SWEEPS" -q -j "$JOBS")
[[ -z ${IMAGE_SIZE:-} ]] || world+=(--image-size "$IMAGE_SIZE")
[[ -f $OUT/train.h5 ]] ||
  "$occ" prep synth -o "$OUT/train.h5" --scenes "$TRAIN_SCENES" --frames-per-scene "$FRAMES" "${world[@]}"
[[ -f $OUT/val.h5 ]] ||
  "$occ" prep synth -o "$OUT/val.h5" --scenes "$VAL_SCENES" --frames-per-scene "$VAL_FRAMES" --seed 7 "${world[@]}"
[[ -f $OUT/train.flow.h5 ]] || "$occ" flow-labels "$OUT/train.h5" -o "$OUT/train.flow.h5" -q -j "$JOBS"
# The world's diagnosis: the moving objects' image motion against the label
# noise, the flow file's dynamic mask against the truly moving pixels; with
# the oracle arm also the oracle flow file.
oracle=()
[[ " $ARMS " != *" oracle "* ]] || oracle=(--oracle-movable "$OUT/train.oracle.flow.h5")
[[ -f $OUT/motion.txt && ( ${#oracle[@]} -eq 0 || -f $OUT/train.oracle.flow.h5 ) ]] ||
  "${variant[0]}" "$here/letoccflow_motion.py" "$OUT/train.h5" "$OUT/train.flow.h5" "${oracle[@]}" > "$OUT/motion.txt"

interval=$(awk -v fps="$FPS" 'BEGIN {printf "%.8f", 1 / fps}')
total=$((STEPS1 + STEPS2))
common=(--model letoccflow --size demo -j "$JOBS" -q --set "train.optimizer.lr=$LR"
  --set "train.schedule.warmup_steps=$WARMUP" --set train.val_every=0
  --set "model.keyframe_interval_s=$interval" "$@")
two_stage=(--flow "$OUT/train.flow.h5" --stage2-from "$STEPS1" --set "train.steps=$total")

arm_arguments() {  # arm -> its occ train arguments
  case "$1" in
    untrained) echo "--flow $OUT/train.flow.h5 --stage2-from 1 --set train.steps=1" ;;
    stage1) echo "--set train.steps=$STEPS1" ;;
    stage12) echo "${two_stage[*]}" ;;
    concat_conv | bev_forward) echo "${two_stage[*]} --set model.temporal=$1" ;;
    joint) echo "--flow $OUT/train.flow.h5 --joint --set train.steps=$total" ;;
    no_disentangle) echo "${two_stage[*]} --no-disentangle" ;;
    flow_backward | flow_both | flow_none) echo "${two_stage[*]} --flow-supervision ${1#flow_}" ;;
    stage2_restart)
      echo "--flow $OUT/train.flow.h5 --init-from $OUT/stage1.seed$seed.model.h5 --set model.stage=2" \
        "--set train.steps=$STEPS2"
      ;;
    oracle)
      echo "--flow $OUT/train.oracle.flow.h5 --stage2-from $STEPS1 --set train.steps=$total" \
        "--set model.loss.dynamic_threshold_px=0"
      ;;
    *)
      echo "letoccflow_experiments: unknown arm $1" >&2
      exit 2
      ;;
  esac
}

# One metric of an `occ eval --csv` report ("section,name" -> value).
metric() { awk -F, -v key="$2" '$1 "," $2 == key {print $3}' "$1"; }
# Parameters of the module whose /weights group starts with $2 (Table 4:
# temporal), batch-norm statistics left out.
parameters() {
  "${variant[0]}" -c 'import sys, h5py, numpy as np
n = 0
def add(name, obj):
    global n
    if isinstance(obj, h5py.Dataset) and name.startswith(sys.argv[2]) and not any(
            b in name for b in ("running_mean", "running_var", "num_batches_tracked")):
        n += int(np.prod(obj.shape))
h5py.File(sys.argv[1], "r")["/weights"].visititems(add)
print(n)' "$1" "$2"
}
has_flow() { "${variant[0]}" -c 'import sys, h5py; sys.exit("/pred/flow" not in h5py.File(sys.argv[1], "r"))' "$1"; }
evaluate() {  # pred file -> its report (CSV); mAVE where the file has flow
  local metrics=depth,rayiou
  if has_flow "$1"; then metrics+=,mave; fi
  "$occ" eval "$1" --gt "$OUT/val.h5" --metric "$metrics" --geometry-only --csv -q -j "$JOBS" > "$1.eval.csv"
}

header=arm,seed,steps,abs_rel,sq_rel,rmse,rayiou,mave,mave_zero,mave_true,moving_epe,moving_zero,rendered_epe,rendered_zero,temporal_params,seconds_per_step
[[ -f $OUT/results.csv ]] || echo "$header" > "$OUT/results.csv"
median=""
for arm in $ARMS; do
  for seed in $SEEDS; do
    if grep -q "^$arm,$seed,$total," "$OUT/results.csv"; then continue; fi
    name="$arm.seed$seed"
    echo "== $name"
    if [[ $arm == constant ]]; then
      # The trivial depth predictor: the untrained model's pred file with
      # every depth the training median (geometry and flow left as they are).
      [[ -f $OUT/untrained.seed$seed.pred.h5 ]] || {
        echo "letoccflow_experiments: the constant arm needs the untrained arm before it" >&2
        exit 2
      }
      [[ -n $median ]] || median=$("${variant[@]}" --median-of "$OUT/train.h5")
      "${variant[@]}" constant-depth "$OUT/untrained.seed$seed.pred.h5" "$OUT/$name.pred.h5" "$median"
      evaluate "$OUT/$name.pred.h5"
      r=$OUT/$name.pred.h5.eval.csv
      echo "$arm,$seed,$total,$(metric "$r" depth,raw/abs_rel),$(metric "$r" depth,raw/sq_rel),$(metric "$r" depth,raw/rmse),-,-,-,-,-,-,-,-,-,-" >> "$OUT/results.csv"
      continue
    fi
    if [[ $arm == stage2_restart && ! -f $OUT/stage1.seed$seed.model.h5 ]]; then
      echo "letoccflow_experiments: the stage2_restart arm needs the stage1 arm of seed $seed before it" >&2
      exit 2
    fi
    # shellcheck disable=SC2046
    "$occ" train --frames "$OUT/train.h5" "${common[@]}" $(arm_arguments "$arm") --set "train.seed=$seed" \
      -o "$OUT/$name.model.h5" --csv "$OUT/$name.train.csv"
    rendered=()  # every arm but stage1 has a flow field to render
    [[ $arm == stage1 ]] || rendered=(--rendered-flow)
    "$occ" predict "$OUT/$name.model.h5" "$OUT/val.h5" -o "$OUT/$name.pred.h5" --depth "${rendered[@]}" -q -j "$JOBS" > /dev/null
    evaluate "$OUT/$name.pred.h5"
    r=$OUT/$name.pred.h5.eval.csv
    mave=- mave_zero=- mave_true=- moving=- moving_zero=- rendered_epe_value=- rendered_zero=-
    if [[ -n $(metric "$r" mave,mave) ]]; then
      mave=$(metric "$r" mave,mave)
      for kind in zero true; do
        "${variant[@]}" "$kind-flow" "$OUT/$name.pred.h5" "$OUT/$name.$kind.pred.h5" "$OUT/val.h5"
        evaluate "$OUT/$name.$kind.pred.h5"
        printf -v "mave_$kind" '%s' "$(metric "$OUT/$name.$kind.pred.h5.eval.csv" mave,mave)"
        rm -f "$OUT/$name.$kind.pred.h5"
      done
      read -r moving moving_zero < <("${variant[@]}" --moving-epe "$OUT/$name.pred.h5" "$OUT/val.h5")
      read -r rendered_epe_value rendered_zero _ < <("${rendered_epe[@]}" "$OUT/$name.pred.h5" "$OUT/val.h5")
    fi
    sps=$(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "seconds_per_step") c = i; next}
      {s += $c; n++} END {if (n) printf "%.3f", s / n; else print "-"}' "$OUT/$name.train.csv")
    echo "$arm,$seed,$total,$(metric "$r" depth,raw/abs_rel),$(metric "$r" depth,raw/sq_rel),$(metric "$r" depth,raw/rmse),$(metric "$r" rayiou,rayiou),$mave,$mave_zero,$mave_true,$moving,$moving_zero,$rendered_epe_value,$rendered_zero,$(parameters "$OUT/$name.model.h5" temporal),$sps" >> "$OUT/results.csv"
  done
done

# Mean and min-max spread per arm over its seeds, this run's steps only.
awk -F, -v total="$total" -v seeds="$SEEDS" '
  NR == 1 {for (i = 4; i <= NF; i++) name[i] = $i; columns = NF; next}
  $3 != total {next}
  {
    if (!($1 in seen)) {order[++arms] = $1; seen[$1] = 1}
    count[$1]++
    for (i = 4; i <= columns; i++) if ($i != "-" && $i != "nan" && $i != "") {
      k = $1 SUBSEP i; sum[k] += $i; n[k]++
      if (!(k in lo) || $i < lo[k]) lo[k] = $i
      if (!(k in hi) || $i > hi[k]) hi[k] = $i
    }
  }
  END {
    printf "Held-out (%s), %d steps, seeds %s: mean [min, max]\n\n| arm | seeds |", FILENAME, total, seeds
    for (i = 4; i <= columns; i++) printf " %s |", name[i]
    printf "\n|---|---|"; for (i = 4; i <= columns; i++) printf "---|"; printf "\n"
    for (a = 1; a <= arms; a++) {
      arm = order[a]; printf "| %s | %d |", arm, count[arm]
      for (i = 4; i <= columns; i++) {
        k = arm SUBSEP i
        if (!(k in n)) printf " - |"
        else if (name[i] ~ /params/) printf " %d |", sum[k] / n[k]
        else if (n[k] == 1) printf " %.4g |", sum[k]
        else printf " %.4g [%.4g, %.4g] |", sum[k] / n[k], lo[k], hi[k]
      }
      printf "\n"
    }
  }' "$OUT/results.csv" | tee "$OUT/results.md"
