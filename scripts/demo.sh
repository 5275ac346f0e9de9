#!/usr/bin/env bash
# The embedded default pipeline, run by `make demo`. It grows as stages land:
# each stage reads the previous stage's files from $DEMO_DIR and every file
# is shown with `occ inspect`.
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
if /usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null; then
  /usr/bin/python3 "$(dirname "$0")/synth_contact_sheet.py" "$DEMO_DIR/synth.h5" "$DEMO_DIR/synth_frame0.png"
fi
echo
echo "demo: finished; files are in $DEMO_DIR/"
