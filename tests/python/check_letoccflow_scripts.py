"""Known answers for the Let Occ Flow experiment scorers (issue 18).

scripts/letoccflow_rendered_flow_epe.py: a one-pixel camera looks at a box
that turns by 90 degrees about its centre while the ego drives 1 m forward;
the pixel's point (1, 1, 2) in the ego frame ends at (0, 1, 2) of the first
ego frame, so its true BEV flow is (-1, 0) (worked by hand in the comments
below). A parked box, a pixel without depth and the last keyframe (no next
keyframe) are left out.

scripts/letoccflow_motion.py: the truly moving pixels it counts, the image
motion and noise it prints, and --oracle-movable's /movable.

Usage: check_letoccflow_scripts.py --scripts DIR (the repository's scripts/)
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def translation(x, y, z):
    m = np.eye(4)
    m[:3, 3] = [x, y, z]
    return m


def write_frames(path):
    # Rows: 0 keyframe, 1 sweep, 2 keyframe (no next). Ego: world_from_ego
    # identity at row 0, 1 m along x at row 2.
    with h5py.File(path, "w") as f:
        f["/frames/is_keyframe"] = np.array([1, 0, 1], np.uint8)
        f["/frames/next"] = np.array([1, 2, -1], np.int32)
        f["/frames/world_from_ego"] = np.stack([np.eye(4), translation(0.5, 0, 0), translation(1, 0, 0)])
        # One camera, 1 x 3 pixels; camera axes = ego axes, K = identity, so
        # pixel (u, 0) looks along (u + 0.5, 0.5, 1).
        f["/cameras/ego_from_camera"] = np.tile(np.eye(4), (3, 1, 1, 1))
        f["/cameras/intrinsics"] = np.tile(np.eye(3), (3, 1, 1, 1))
        # Pixel 0: the moving box 7, depth 2 -> point (1, 1, 2). Pixel 1:
        # the parked box 8. Pixel 2: box 7 without depth.
        f["/cameras/instance"] = np.tile(np.array([7, 8, 7], np.int32).reshape(1, 1, 1, 3), (3, 1, 1, 1))
        f["/cameras/depth"] = np.tile(np.array([2, 5, 0], np.float32).reshape(1, 1, 1, 3), (3, 1, 1, 1))
        # Boxes per row (ego frame of the row): box 7 at the origin, yaw 0 at
        # row 0; at row 2 at the origin of ego 2 (world (1, 0, 0)), yaw pi/2.
        # Box 8 parked at world (5, 5, 0).
        f["/boxes/offsets"] = np.array([0, 2, 2, 4], np.int64)
        f["/boxes/instance"] = np.array([7, 8, 7, 8], np.int32)
        f["/boxes/center"] = np.array([[0, 0, 0], [5, 5, 0], [0, 0, 0], [4, 5, 0]], np.float64)
        f["/boxes/yaw"] = np.array([0, 0, math.pi / 2, 0], np.float64)
        f["/boxes/velocity"] = np.array([[2, 0], [0, 0], [2, 0], [0, 0]], np.float32)


def write_pred(path, flow):
    with h5py.File(path, "w") as p:
        p["/pred/frame"] = np.array([0, 2], np.int64)
        rendered = np.zeros((2, 1, 1, 3, 2), np.float32)
        rendered[0, 0, 0, 0] = flow
        rendered[1, 0, 0, 0] = [9, 9]  # the last keyframe: not scored
        rendered[0, 0, 0, 1] = [9, 9]  # the parked box: not scored
        rendered[0, 0, 0, 2] = [9, 9]  # no depth: not scored
        p["/pred/rendered_flow"] = rendered


def run(script, *arguments):
    result = subprocess.run([sys.executable, script, *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{os.path.basename(script)} failed: {result.stderr}")
    return result.stdout


def check_rendered_flow_epe(scripts, work):
    script = os.path.join(scripts, "letoccflow_rendered_flow_epe.py")
    frames = os.path.join(work, "frames.h5")
    write_frames(frames)
    # Point (1, 1, 2) in box 7's frame at row 0 (box at the origin, yaw 0) is
    # (1, 1, 2); at row 2 the box is at world (1, 0, 0) turned by 90
    # degrees: (1, 0, 0) + (-1, 1, 2) = (0, 1, 2), i.e. (0, 1, 2) in ego 0
    # (world_from_ego identity). Flow (0, 1) - (1, 1) = (-1, 0).
    cases = [([-1, 0], 0.0), ([0, 0], 1.0), ([-1, 3], 3.0), ([2, 4], 5.0)]
    for flow, expected in cases:
        pred = os.path.join(work, "pred.h5")
        write_pred(pred, flow)
        epe, zero, pixels = run(script, pred, frames).split()
        assert int(pixels) == 1, f"dynamic pixels {pixels}, expected 1"
        assert abs(float(zero) - 1.0) < 1e-6, f"zero-flow EPE {zero}, expected 1"
        assert abs(float(epe) - expected) < 1e-6, f"EPE of {flow}: {epe}, expected {expected}"
    # Faster than 3 m/s only: box 7 (2 m/s) is not dynamic either.
    epe, zero, pixels = run(script, pred, frames, "3").split()
    assert int(pixels) == 0 and epe == "nan", (epe, zero, pixels)
    # A pred file without rendered flow is refused, naming the dataset.
    with h5py.File(os.path.join(work, "empty.h5"), "w") as p:
        p["/pred/frame"] = np.array([0], np.int64)
    result = subprocess.run([sys.executable, script, os.path.join(work, "empty.h5"), frames],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "/pred/rendered_flow" in result.stderr, result.stderr


def check_motion(scripts, work):
    script = os.path.join(scripts, "letoccflow_motion.py")
    frames = os.path.join(work, "frames.h5")
    flow = os.path.join(work, "flow.h5")
    with h5py.File(flow, "w") as g:
        shape = (3, 1, 1, 3)
        g["/movable"] = np.ones(shape, np.uint8)
        valid = np.ones(shape, np.uint8)
        valid[2] = 0  # the last keyframe has no next frame to be labelled from
        g["/next/valid"] = valid
        dynamic = np.zeros(shape, np.uint8)
        dynamic[0, 0, 0, 1] = 1  # the mask marks the parked box only
        g["/next/dynamic"] = dynamic
        labels = np.zeros(shape + (2,), np.float16)
        labels[0, 0, 0, [0, 2]] = [3, 4]  # moving pixels: |label - static| = 5
        labels[0, 0, 0, 1] = [0, 1]  # parked pixel: label error 1
        g["/next/flow"] = labels
        g["/next/static_flow"] = np.zeros(shape + (2,), np.float16)
    oracle = os.path.join(work, "oracle.flow.h5")
    out = run(script, frames, flow, "--oracle-movable", oracle)
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    # Truly moving: row 0's pixels 0 and 2 (box 7); row 2 has no next frame.
    assert lines["moving"] == "0.3333 of keyframe pixels (2 with a label)", out
    assert lines["motion"] == "px p25/50/75/90: [5.0, 5.0, 5.0, 5.0]", out
    assert lines["noise"] == "px p25/50/75/90: [1.0, 1.0, 1.0, 1.0]", out
    assert lines["mask"] == "precision 0.000 recall 0.000 IoU 0.000", out
    with h5py.File(oracle, "r") as g:
        movable = g["/movable"][:]
    # Every row (sweeps too): box 7's pixels; row 1 has no boxes.
    expected = np.zeros((3, 1, 1, 3), np.uint8)
    expected[0, 0, 0, [0, 2]] = 1
    expected[2, 0, 0, [0, 2]] = 1
    assert np.array_equal(movable, expected), movable.reshape(3, 3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scripts", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        check_rendered_flow_epe(args.scripts, work)
        check_motion(args.scripts, work)
    print("letoccflow scripts: known answers hold")


if __name__ == "__main__":
    main()
