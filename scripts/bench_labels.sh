#!/usr/bin/env bash
# Benchmark of the pseudo-label stages on the synthetic world:
#  1. images per second of cluster-masks and flow-labels at -j 1 and -j 2
#     (the scaling is the ratio, measured in the same run);
#  2. the optical-flow methods against the true flow (EPE, Fl outliers for
#     static and dynamic pixels, seconds per flow field).
# Usage: scripts/bench_labels.sh [build/occ] [frames per scene]
set -euo pipefail
occ=${1:-build/occ}
frames=${2:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$occ" prep synth --scenes 1 --frames-per-scene "$frames" -o "$work/synth.h5" -q
cameras=$("$occ" inspect --json "$work/synth.h5" | /usr/bin/python3 -c \
  'import json,sys; print(len(json.load(sys.stdin)["attributes"]["camera_names"]))')
images=$((frames * cameras))

seconds() { /usr/bin/python3 -c 'import sys,time,subprocess; t=time.time(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(f"{time.time()-t:.3f}")' "$@"; }

echo "## images per second ($images images: $frames frames x $cameras cameras)"
printf '| stage | -j 1 | -j 2 | scaling |\n|---|---|---|---|\n'
for stage in cluster-masks flow-labels; do
  one=$(seconds "$occ" "$stage" "$work/synth.h5" -o "$work/$stage.h5" -q -j 1)
  two=$(seconds "$occ" "$stage" "$work/synth.h5" -o "$work/$stage.h5" -q -j 2)
  /usr/bin/python3 -c "import sys; n=$images; a=$one; b=$two; print(f'| $stage | {n/a:.1f} | {n/b:.1f} | {a/b:.2f}x |')"
done

echo
echo "## optical flow against the true flow (next frame, all pixels with true flow)"
printf '| method | static EPE px | static Fl %% | dynamic EPE px | dynamic Fl %% | consistent | s / flow |\n'
printf '|---|---|---|---|---|---|---|\n'
for method in dis deepflow tvl1 rlof farneback; do
  "$occ" flow-labels "$work/synth.h5" -o "$work/flow-$method.h5" --method "$method" --pairs next --report -q \
    > "$work/$method.txt"
  /usr/bin/python3 - "$method" "$work/$method.txt" <<'PY'
import re, sys
method, path = sys.argv[1], sys.argv[2]
text = open(path).read()
def row(name):
    m = re.search(name + r"\s+EPE\s+([\d.]+) px\s+Fl\s+([\d.]+) %", text)
    return m.group(1), m.group(2)
static, dynamic = row("static pixels"), row("dynamic pixels")
consistent = re.search(r"consistent ([\d.]+)", text).group(1)
seconds = re.search(r", ([\d.]+) s each", text).group(1)
print(f"| {method} | {static[0]} | {static[1]} | {dynamic[0]} | {dynamic[1]} | {consistent} | {seconds} |")
PY
done
