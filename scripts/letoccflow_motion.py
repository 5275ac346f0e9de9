#!/usr/bin/python3
"""How visible is the motion of the moving objects in a world (issue 18)?

  letoccflow_motion.py FRAMES.h5 FLOW.h5 [--oracle-movable OUT.flow.h5]

FRAMES.h5: a synthetic frames file (exact instance ids and boxes); FLOW.h5:
its `occ flow-labels` file. Truly moving pixels: keyframe pixels of
instances whose box moves faster than 0.1 m/s (/boxes/velocity) that have a
next frame. Prints, as the diagnosis table of docs/letoccflow.md:

  moving      share of keyframe pixels that are truly moving
  motion      |label - static flow| (px at the flow file's size) on the truly
              moving pixels with a valid label, p25/p50/p75/p90: the
              objects' own image motion as the labels see it
  noise       the same on parked movable pixels (/movable, not moving):
              there it is label error
  mask        the flow file's /next/dynamic against the truly moving
              pixels: precision, recall, IoU

--oracle-movable writes a copy of FLOW.h5 whose /movable is the truly moving
pixels (of keyframes and sweeps alike): with model.loss.dynamic_threshold_px
= 0 the model's dynamic rays are then exactly the truly moving rays with a
label (the oracle dynamic-mask ablation; docs/letoccflow.md).
Run by /usr/bin/python3 (Debian's numpy and h5py); never by occ.
"""
import sys

import h5py
import numpy as np

from h5_edited_copy import edited_copy


def fail(message):
    sys.exit("letoccflow_motion: " + message)


def truly_moving(f, keyframes_only):
    offsets, instance, velocity = f["/boxes/offsets"][:], f["/boxes/instance"][:], f["/boxes/velocity"][:]
    key = f["/frames/is_keyframe"][:].astype(bool)
    has_next = f["/frames/next"][:] >= 0
    pixels = f["/cameras/instance"]
    moving = np.zeros(pixels.shape, bool)
    for row in range(pixels.shape[0]):
        if keyframes_only and not (key[row] and has_next[row]):
            continue
        s = slice(offsets[row], offsets[row + 1])
        ids = instance[s][np.linalg.norm(velocity[s], axis=1) > 0.1]
        moving[row] = np.isin(pixels[row], ids)
    return moving, key


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    frames, flow = argv[0], argv[1]
    with h5py.File(frames, "r") as f, h5py.File(flow, "r") as g:
        for name in ("/cameras/instance", "/boxes/velocity"):
            if name not in f:
                fail(f"{frames} has no {name} (the synthetic world's ground truth)")
        if g["/movable"].shape != f["/cameras/instance"].shape:
            fail(f"{flow} /movable {g['/movable'].shape} does not match {frames} {f['/cameras/instance'].shape}")
        moving, key = truly_moving(f, True)
        valid = g["/next/valid"][:].astype(bool)
        movable = g["/movable"][:].astype(bool)
        dynamic = g["/next/dynamic"][:].astype(bool)
        motion = np.linalg.norm(g["/next/flow"][:].astype(np.float32) - g["/next/static_flow"][:].astype(np.float32),
                                axis=-1)
        keyframe = np.broadcast_to(key[:, None, None, None], moving.shape)
        parked = movable & ~moving & valid & keyframe
        print(f"moving {moving[key].mean():.4f} of keyframe pixels ({int((moving & valid).sum())} with a label)")
        q = [25, 50, 75, 90]
        print("motion px p25/50/75/90:", np.round(np.nanpercentile(motion[moving & valid], q), 2).tolist())
        print("noise px p25/50/75/90:", np.round(np.nanpercentile(motion[parked], q), 2).tolist())
        hit = int((dynamic & moving).sum())
        union = int(((dynamic & keyframe) | moving).sum())
        print(f"mask precision {hit / max(1, int((dynamic & keyframe).sum())):.3f} "
              f"recall {hit / max(1, int(moving.sum())):.3f} IoU {hit / max(1, union):.3f}")
        if len(argv) >= 4 and argv[2] == "--oracle-movable":
            every, _ = truly_moving(f, False)
    if len(argv) >= 4 and argv[2] == "--oracle-movable":
        target = argv[3]
        with edited_copy(flow, target) as g:
            data = g["/movable"]
            for row in range(data.shape[0]):
                data[row] = every[row].astype(data.dtype)


if __name__ == "__main__":
    main(sys.argv[1:])
