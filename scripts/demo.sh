#!/usr/bin/env bash
# The embedded default pipeline, run by `make demo` (training takes about 7
# to 9 minutes on two idle cores: 150 2D pretraining steps and 900 full steps;
# DEMO_STEPS=N trains for N steps, DEMO_PRETRAIN_STEPS=N pretrains for N
# steps, 0 skips the pretraining run, DEMO_CONFIG names another recipe than
# configs/demo.toml). It grows as stages land:
# each stage reads the previous stage's files from $DEMO_DIR and every file
# is validated with `occ inspect`.
set -euo pipefail
occ=${1:-build/occ}
DEMO_DIR=${DEMO_DIR:-demo}
mkdir -p "$DEMO_DIR"

step() { printf '\n== %s\n' "$*"; }

step "occ --version"
"$occ" --version

step "occ --help"
"$occ" --help

step "occ prep synth: the synthetic world (2 scenes x 20 keyframes, 6 cameras at 96x176)"
"$occ" prep synth -o "$DEMO_DIR/synth.h5"
"$occ" inspect --validate "$DEMO_DIR/synth.h5"

step "occ cluster-masks: ProtoOcc's superpixel pseudo masks, scored against the ground truth"
"$occ" cluster-masks "$DEMO_DIR/synth.h5" -o "$DEMO_DIR/synth.masks.h5" --report
"$occ" inspect --frames "$DEMO_DIR/synth.h5" "$DEMO_DIR/synth.masks.h5" > /dev/null

step "occ flow-labels: Let Occ Flow's optical flow, validity and dynamic masks, scored against the true flow"
"$occ" flow-labels "$DEMO_DIR/synth.h5" -o "$DEMO_DIR/synth.flow.h5" --report
"$occ" inspect --frames "$DEMO_DIR/synth.h5" "$DEMO_DIR/synth.flow.h5" > /dev/null

step "occ render: pictures of frame 5"
"$occ" render "$DEMO_DIR/synth.h5" --view bev,voxels,cameras,depth --frame 5 -o "$DEMO_DIR/frame5.png"
"$occ" render "$DEMO_DIR/synth.h5" --view cameras,masks,flow --overlay --masks "$DEMO_DIR/synth.masks.h5" \
  --flow "$DEMO_DIR/synth.flow.h5" --frame 5 -o "$DEMO_DIR/frame5_labels.png"

step "occ render: a video of scene 0 seen from behind the ego"
"$occ" render "$DEMO_DIR/synth.h5" --view voxels --frames 0:19 -o "$DEMO_DIR/scene0.avi" --voxel-size 270x480 -q

step "occ export: the synthetic world as a nuScenes + Occ3D dataset other tools can read"
rm -rf "$DEMO_DIR/nuscenes"
"$occ" export "$DEMO_DIR/synth.h5" --format nuscenes -o "$DEMO_DIR/nuscenes"
ls "$DEMO_DIR/nuscenes"

# Learning: the PanoOcc-style baseline at its demo size (ResNet-18, 64
# channels, one encoder layer) on 6 synthetic scenes, scored on 2 held-out
# scenes of other worlds. The grid is coarsened to 100x100x8 voxels of 0.8 m
# (the same 80 x 80 x 6.4 m volume) so a step takes about a second on two
# cores. The recipe (learning rate, loss weights, the 2D semantic loss on the
# synthetic world's camera classes, the trilinear decoder, 900 steps after a
# 150-step 2D pretraining run) is configs/demo.toml; why each value, and the
# levers that did not help, are in docs/demo_learning.md.
CONFIG=${DEMO_CONFIG:-configs/demo.toml}
PRETRAIN_STEPS=${DEMO_PRETRAIN_STEPS:-150}
GRID=100,100,8,0.8,-40,-40,-1
step "occ prep synth: 6 training scenes and 2 held-out scenes (another seed) on a 100x100x8 grid"
"$occ" prep synth -o "$DEMO_DIR/train.h5" --scenes 6 --grid "$GRID" -q
"$occ" prep synth -o "$DEMO_DIR/val.h5" --scenes 2 --seed 7 --grid "$GRID" -q

DEMO_SETTINGS=(--size demo --config "$CONFIG")
[[ -n ${DEMO_STEPS:-} ]] && DEMO_SETTINGS+=(--set "train.steps=$DEMO_STEPS")
STEPS=$("$occ" train --frames "$DEMO_DIR/train.h5" "${DEMO_SETTINGS[@]}" --print-config |
  awk '/"steps":/ {gsub(/[^0-9]/, ""); print; exit}')
init=()
if ((PRETRAIN_STEPS > 0)); then
  step "occ train: 2D pretraining of the backbone for $PRETRAIN_STEPS steps on the camera classes"
  "$occ" train --frames "$DEMO_DIR/train.h5" "${DEMO_SETTINGS[@]}" --set model.image_pretraining=true \
    --set "train.steps=$PRETRAIN_STEPS" -o "$DEMO_DIR/pretrain.h5" --csv "$DEMO_DIR/pretrain.csv"
  init=(--init-from "$DEMO_DIR/pretrain.h5")
fi
step "occ train: the baseline for $STEPS steps with $CONFIG (learning curve in $DEMO_DIR/train.csv)"
"$occ" train --frames "$DEMO_DIR/train.h5" --val "$DEMO_DIR/val.h5" "${DEMO_SETTINGS[@]}" "${init[@]}" \
  --set train.val_every=$((STEPS / 3)) -o "$DEMO_DIR/model.h5" --csv "$DEMO_DIR/train.csv"
awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i}
  {print $c["step"], $c["lr"], $c["loss"], $c["val_miou"]}' "$DEMO_DIR/train.csv" | column -t

step "occ predict + occ eval: the held-out scenes"
"$occ" predict "$DEMO_DIR/model.h5" "$DEMO_DIR/val.h5" -o "$DEMO_DIR/val.pred.h5"
"$occ" eval "$DEMO_DIR/val.pred.h5" --gt "$DEMO_DIR/val.h5" | tee "$DEMO_DIR/val.eval.txt"

step "for reference: the same model after one step, and the image-blind layer prior"
"$occ" train --frames "$DEMO_DIR/train.h5" "${DEMO_SETTINGS[@]}" --set train.steps=1 -o "$DEMO_DIR/untrained.h5" -q
"$occ" predict "$DEMO_DIR/untrained.h5" "$DEMO_DIR/val.h5" -o "$DEMO_DIR/untrained.pred.h5" -q > /dev/null
"$occ" eval "$DEMO_DIR/untrained.pred.h5" --gt "$DEMO_DIR/val.h5" > "$DEMO_DIR/untrained.eval.txt"
# Every voxel gets the most frequent class of its height layer in the
# training scenes: what a model scores without looking at an image.
"$occ" predict --layer-prior "$DEMO_DIR/train.h5" "$DEMO_DIR/val.h5" -o "$DEMO_DIR/prior.pred.h5" > /dev/null
"$occ" eval "$DEMO_DIR/prior.pred.h5" --gt "$DEMO_DIR/val.h5" > "$DEMO_DIR/prior.eval.txt"
miou() { awk '$1 == "mIoU" {print $2}' "$1"; }
printf 'held-out mIoU (%%): trained %s | untrained %s | image-blind layer prior %s\n' \
  "$(miou "$DEMO_DIR/val.eval.txt")" "$(miou "$DEMO_DIR/untrained.eval.txt")" "$(miou "$DEMO_DIR/prior.eval.txt")" |
  tee "$DEMO_DIR/summary.txt"

step "occ render: ground truth | prediction | error of a held-out frame"
"$occ" render "$DEMO_DIR/val.pred.h5" --gt "$DEMO_DIR/val.h5" --view compare --frame 10 -o "$DEMO_DIR/compare.png"

echo
echo "demo: finished; files are in $DEMO_DIR/"
