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

# No stage that produces data has landed yet: prep synth (issue 3) is next.
echo
echo "demo: finished; files are in $DEMO_DIR/"
