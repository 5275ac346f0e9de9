#!/usr/bin/python3
"""Trivial and oracle predictors of scripts/letoccflow_experiments.sh.

Copies a Let Occ Flow pred file (occ predict --depth of a stage-2 model) and
replaces one of its datasets; the geometry is left as predicted, so the
mAVE of a variant is scored on the same true-positive rays as the model's:

  zero-flow      /pred/flow = 0 (the trivial flow predictor)
  true-flow      /pred/flow = the ground truth's /occupancy/flow (m/s) at the
                 pred file's frames: the upper bound of mAVE through this
                 geometry (it is not 0: a ray that hits the predicted surface
                 within 2 m of the true one reads the flow of another voxel)
  constant-depth /pred/depth = MEDIAN (the training frames' median true depth,
                 see --median-of), the trivial depth predictor

Usage:
  letoccflow_pred_variant.py zero-flow IN.pred.h5 OUT.pred.h5
  letoccflow_pred_variant.py true-flow IN.pred.h5 OUT.pred.h5 FRAMES.h5
  letoccflow_pred_variant.py constant-depth IN.pred.h5 OUT.pred.h5 MEDIAN
  letoccflow_pred_variant.py --median-of TRAIN.h5 [MAX_DEPTH]
  letoccflow_pred_variant.py --moving-epe PRED.h5 FRAMES.h5
    mean |predicted - true| flow (m/s) over the voxels that are truly
    occupied and move faster than 0.1 m/s (the predicted geometry is not
    used: a diagnostic of the flow head alone, ours, not a paper metric),
    then the same for zero flow (the voxels' mean speed), one line "EPE ZERO"
Run by /usr/bin/python3 (Debian's numpy and h5py); never by occ.
"""
import sys

import h5py
import numpy as np

from h5_edited_copy import edited_copy


def fail(message):
    sys.exit("letoccflow_pred_variant: " + message)


def median_depth(frames, max_depth):
    with h5py.File(frames, "r") as f:
        if "/cameras/depth" not in f:
            fail(f"{frames} has no /cameras/depth")
        keyframes = f["/frames/is_keyframe"][:].astype(bool)
        depth = f["/cameras/depth"][np.flatnonzero(keyframes)]
    valid = depth[(depth > 1e-3) & (depth < max_depth) & np.isfinite(depth)]
    if valid.size == 0:
        fail(f"{frames} has no valid depth")
    return float(np.median(valid))


def moving_epe(pred, frames):
    error = speed = 0.0
    count = 0
    with h5py.File(pred, "r") as p, h5py.File(frames, "r") as f:
        if "/pred/flow" not in p:
            fail(f"{pred} has no /pred/flow")
        free = int(np.asarray(f.attrs["free_class"]).reshape(-1)[0])
        for i, row in enumerate(p["/pred/frame"][:]):
            truth = f["/occupancy/flow"][int(row)].astype(np.float64)
            labels = f["/occupancy/semantics"][int(row)]
            occupied = labels != free
            moving = occupied & (np.linalg.norm(truth, axis=-1) > 0.1)
            predicted = p["/pred/flow"][i].astype(np.float64)
            error += np.linalg.norm(predicted - truth, axis=-1)[moving].sum()
            speed += np.linalg.norm(truth, axis=-1)[moving].sum()
            count += int(moving.sum())
    if count == 0:
        print("nan nan")
    else:
        print(f"{error / count:.6f} {speed / count:.6f}")


def main(argv):
    if len(argv) >= 3 and argv[0] == "--moving-epe":
        moving_epe(argv[1], argv[2])
        return
    if len(argv) >= 2 and argv[0] == "--median-of":
        print(f"{median_depth(argv[1], float(argv[2]) if len(argv) > 2 else 80.0):.6f}")
        return
    if len(argv) < 3:
        fail(__doc__)
    kind, source, target = argv[0], argv[1], argv[2]
    need = {"zero-flow": "/pred/flow", "true-flow": "/pred/flow", "constant-depth": "/pred/depth"}
    if kind not in need:
        fail(f"unknown variant {kind!r}")
    with h5py.File(source, "r") as f:
        if need[kind] not in f:
            fail(f"{source} has no {need[kind]}")
    with edited_copy(source, target) as p:
        data = p[need[kind]]
        # Whole frames as arrays: h5py writes a broadcast scalar element by element.
        if kind == "zero-flow":
            for i in range(data.shape[0]):
                data[i] = np.zeros(data.shape[1:], data.dtype)
        elif kind == "constant-depth":
            for i in range(data.shape[0]):
                data[i] = np.full(data.shape[1:], float(argv[3]), data.dtype)
        else:
            with h5py.File(argv[3], "r") as f:
                truth = f["/occupancy/flow"]
                rows = p["/pred/frame"][:]
                if truth.shape[1:] != data.shape[1:]:
                    fail(f"{argv[3]} /occupancy/flow {truth.shape} does not match {source} {data.shape}")
                for i, row in enumerate(rows):
                    data[i] = truth[int(row)].astype(data.dtype)


if __name__ == "__main__":
    main(sys.argv[1:])
