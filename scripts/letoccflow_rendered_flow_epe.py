#!/usr/bin/python3
"""EPE of Let Occ Flow's rendered flow on the dynamic pixels (issue 18).

  letoccflow_rendered_flow_epe.py PRED.h5 FRAMES.h5 [MIN_SPEED_M_S]

PRED.h5 is `occ predict --depth --rendered-flow` of a stage-2 model:
/pred/rendered_flow [N, C, H, W, 2], each pixel's BEV flow in metres along
the current ego x and y from this keyframe to the next. FRAMES.h5 is the
frames file it was predicted from (the synthetic world: exact depth, instance
ids and boxes).

The true flow of a pixel (ours, exact on the synthetic world): its point
p = depth * K^-1 [u + 0.5, v + 0.5, 1] in the camera, into the ego frame at
t; the box of its instance at t (/boxes/center, /boxes/yaw, ego frame) and
the same instance's box at the next keyframe (following /frames/next over
the sweeps to the first keyframe), into the ego frame at t through the two
frames' /frames/world_from_ego; the point moved rigidly with its box:
flow = (T_{t+1} T_t^-1 p - p)[x, y]. Dynamic pixels: pixels of instances
whose box moves faster than MIN_SPEED_M_S (default 0.1, as the diagnosis of
docs/letoccflow.md) by /boxes/velocity, with a true depth, in keyframes that
have a next keyframe. The flow file's /next/flow is not used: it is the
image-plane optical-flow label (DIS), not the truth.

Prints one line: "EPE ZERO PIXELS" - the mean |rendered - true| (m per
keyframe step) over the dynamic pixels, the same for zero flow (the mean
true displacement), and the number of dynamic pixels.
Run by /usr/bin/python3 (Debian's numpy and h5py); never by occ.
"""
import sys

import h5py
import numpy as np


def fail(message):
    sys.exit("letoccflow_rendered_flow_epe: " + message)


def box_pose(center, yaw):  # ego_from_box, 4x4
    c, s = np.cos(yaw), np.sin(yaw)
    m = np.eye(4)
    m[:2, :2] = [[c, -s], [s, c]]
    m[:3, 3] = center
    return m


def next_keyframe(f, row):
    nxt, key = f["/frames/next"], f["/frames/is_keyframe"]
    row = int(nxt[row])
    while row >= 0 and not key[row]:
        row = int(nxt[row])
    return row


def boxes_of(f, row):
    off = f["/boxes/offsets"]
    s = slice(int(off[row]), int(off[row + 1]))
    return (f["/boxes/instance"][s], f["/boxes/center"][s], f["/boxes/yaw"][s], f["/boxes/velocity"][s])


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    pred_path, frames_path = argv[0], argv[1]
    min_speed = float(argv[2]) if len(argv) > 2 else 0.1
    error = zero = 0.0
    count = 0
    with h5py.File(pred_path, "r") as p, h5py.File(frames_path, "r") as f:
        if "/pred/rendered_flow" not in p:
            fail(f"{pred_path} has no /pred/rendered_flow (occ predict --rendered-flow of a stage-2 model)")
        for name in ("/cameras/depth", "/cameras/instance", "/boxes/center"):
            if name not in f:
                fail(f"{frames_path} has no {name} (the synthetic world's ground truth)")
        rendered = p["/pred/rendered_flow"]
        height, width = f["/cameras/instance"].shape[2:4]
        if tuple(rendered.shape[2:4]) != (height, width):
            fail(f"{pred_path} /pred/rendered_flow is {rendered.shape[2]}x{rendered.shape[3]}, "
                 f"{frames_path} stores {height}x{width} images: predict at the stored size")
        v, u = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
        for i, row in enumerate(p["/pred/frame"][:]):
            row = int(row)
            later = next_keyframe(f, row)
            if later < 0:
                continue
            ids, centers, yaws, velocity = boxes_of(f, row)
            ids1, centers1, yaws1, _ = boxes_of(f, later)
            moving = {int(k): j for j, k in enumerate(ids) if np.linalg.norm(velocity[j]) > min_speed}
            at_later = {int(k): j for j, k in enumerate(ids1)}
            # ego_t_from_ego_t+1
            relative = np.linalg.inv(f["/frames/world_from_ego"][row]) @ f["/frames/world_from_ego"][later]
            instance = f["/cameras/instance"][row]
            depth = f["/cameras/depth"][row]
            for c in range(instance.shape[0]):
                ego_from_camera = f["/cameras/ego_from_camera"][row, c]
                inverse_k = np.linalg.inv(f["/cameras/intrinsics"][row, c])
                for key, j in moving.items():
                    if key not in at_later:
                        continue
                    pixels = (instance[c] == key) & (depth[c] > 1e-3) & np.isfinite(depth[c])
                    if not pixels.any():
                        continue
                    rays = inverse_k @ np.stack([u[pixels], v[pixels], np.ones(pixels.sum())])
                    points = ego_from_camera[:3, :3] @ (rays * depth[c][pixels]) + ego_from_camera[:3, 3:4]
                    k = at_later[key]
                    motion = (relative @ box_pose(centers1[k], yaws1[k])) @ np.linalg.inv(
                        box_pose(centers[j], yaws[j]))
                    moved = motion[:3, :3] @ points + motion[:3, 3:4]
                    truth = (moved - points)[:2].T
                    predicted = rendered[i, c][pixels].astype(np.float64)
                    error += np.linalg.norm(predicted - truth, axis=1).sum()
                    zero += np.linalg.norm(truth, axis=1).sum()
                    count += int(pixels.sum())
    if count == 0:
        print("nan nan 0")
    else:
        print(f"{error / count:.6f} {zero / count:.6f} {count}")


if __name__ == "__main__":
    main(sys.argv[1:])
