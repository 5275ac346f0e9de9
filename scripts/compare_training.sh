#!/usr/bin/env bash
# Two occ binaries (e.g. the last landed build and a refactor) trained with
# the same seed and settings must give the same losses and weights bit for
# bit: baseline, baseline with history frames and temporal fusion, and
# ProtoOcc with masks, 8 steps each with flips. Usage:
#   scripts/compare_training.sh OLD/occ NEW/occ [WORK_DIR]
set -euo pipefail
OLD=${1:?usage: compare_training.sh OLD_OCC NEW_OCC [DIR]} NEW=${2:?usage: compare_training.sh OLD_OCC NEW_OCC [DIR]} D=${3:-$(mktemp -d)}; mkdir -p "$D"
$NEW prep synth -o $D/f.h5 --scenes 1 --frames-per-scene 6 --image-size 48x88 --grid 20,20,4,4.0,-40,-40,-1 -q
$NEW cluster-masks $D/f.h5 -o $D/m.h5 -q
common="--size demo --set model.embed_dims=16 --set model.num_heads=2 --set model.num_points=2 --set model.ffn_dims=32 --set model.decoder_channels=[16,16] --set model.classifier_hidden=16 --set train.steps=8 --set train.log_every=1 --set data.image.flip_probability=0.5 -q"
for arm in "baseline:" "baseline:--set model.history_frames=2 --set model.temporal_fusion=true" "protoocc:--masks $D/m.h5 --set model.proto_hidden_dims=16"; do
  kind=${arm%%:*}; extra=${arm#*:}
  for b in OLD NEW; do
    bin=${!b}
    $bin train --frames $D/f.h5 --model $kind $common $extra --csv $D/$b.$kind.csv -o $D/$b.$kind.h5 > /dev/null
  done
  /usr/bin/python3 - "$D/OLD.$kind.h5" "$D/NEW.$kind.h5" "$D/OLD.$kind.csv" "$D/NEW.$kind.csv" "$kind $extra" <<'PY'
import sys, h5py, numpy as np, csv
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
names = []
a['/weights'].visit(lambda n: names.append(n) if isinstance(a['/weights'][n], h5py.Dataset) else None)
diff = [n for n in names if not np.array_equal(a['/weights'][n][()], b['/weights'][n][()])]
def rows(p):
    r = list(csv.DictReader(open(p)))
    return [{k: v for k, v in x.items() if k != 'seconds_per_step'} for x in r]
same_log = rows(sys.argv[3]) == rows(sys.argv[4])
print(f"{sys.argv[5]}: {len(names)} tensors, {len(diff)} differ; log rows equal: {same_log}; last loss {rows(sys.argv[4])[-1]['loss']}")
PY
done
