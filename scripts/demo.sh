#!/usr/bin/env bash
# The embedded default pipeline, run by `make demo`. It grows as stages land:
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

echo
echo "demo: finished; files are in $DEMO_DIR/"
