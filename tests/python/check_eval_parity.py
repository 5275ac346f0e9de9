#!/usr/bin/python3
"""occ eval must give the numbers of an independent numpy reference of the
official metric code (reference_metrics.py) on randomised scenes and on the
real Occ3D labels.npz fixture, through pred files and --pred-dir folders."""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_inputs as E  # noqa: E402
import reference_metrics as R  # noqa: E402

FAILURES = []


def close(name, ours, ref, rel=1e-9, abs_tol=1e-9):
    ours = float("nan") if ours is None else float(ours)
    ref = float(ref)
    if math.isnan(ours) and math.isnan(ref):
        return
    if not (abs(ours - ref) <= max(abs_tol, rel * abs(ref))):
        FAILURES.append("%s: occ %r, reference %r" % (name, ours, ref))


def run_eval(occ, args):
    result = subprocess.run([occ, "eval", "--json", "-q"] + args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit("occ eval %s failed (%d): %s" % (" ".join(args), result.returncode, result.stderr))
    return json.loads(result.stdout)


def random_scene(rng, frames, shape, free=17):
    """A ground plane, boxes of random classes, and a noisy prediction."""
    x, y, z = shape
    gts, preds = [], []
    for _ in range(frames):
        gt = np.full(shape, free, np.uint8)
        gt[:, :, :2] = rng.choice([11, 12, 13, 14], size=(x, y, 1))
        for _ in range(25):
            c = rng.integers(0, 17)
            x0, y0 = rng.integers(0, x - 4), rng.integers(0, y - 4)
            gt[x0:x0 + rng.integers(1, 5), y0:y0 + rng.integers(1, 5), 2:2 + rng.integers(1, z - 2)] = c
        pred = gt.copy()
        flip = rng.random(shape) < 0.08
        pred[flip] = rng.integers(0, 18, size=flip.sum())
        pred = np.roll(pred, rng.integers(-1, 2), axis=int(rng.integers(0, 2)))
        gts.append(gt)
        preds.append(pred)
    return np.stack(gts), np.stack(preds)


def poses_along_x(n, step_m, yaw_step):
    poses = []
    for i in range(n):
        c, s = math.cos(i * yaw_step), math.sin(i * yaw_step)
        m = np.eye(4)
        m[:2, :2] = [[c, -s], [s, c]]
        m[0, 3] = i * step_m
        m[1, 3] = 0.1 * i
        poses.append(m)
    return np.stack(poses)


def check_random(occ, tmp, rng):
    shape = (50, 46, 10)
    pc_min = (-10.0, -9.2, -1.0)
    scenes = np.array([0, 0, 0, 1, 1])
    n = len(scenes)
    gts, preds = random_scene(rng, n, shape)
    gts[1, 3, 3, 3] = 255  # an ignore label in the GT
    mask_camera = (rng.random((n,) + shape) < 0.7).astype(np.uint8)
    mask_lidar = (rng.random((n,) + shape) < 0.8).astype(np.uint8)
    gt_flow = rng.normal(0, 2, (n,) + shape + (2,)).astype(np.float32)
    pred_flow = (gt_flow + rng.normal(0, 0.5, gt_flow.shape)).astype(np.float16)
    poses = np.concatenate([poses_along_x(3, 1.5, 0.05), poses_along_x(2, 2.0, -0.1)])
    # Scene 1 starts its LiDAR on voxel corners: rays through edges and corners exercise the tie rules.
    lidar = np.tile([0.9858, 0.0, 1.8402], (n, 1))
    lidar[3] = [0.0, 0.4, 1.4]
    lidar[4] = [0.8, 0.0, 1.0]
    depth_gt = rng.uniform(0.5, 90, (n, 2, 12, 20)).astype(np.float32)
    depth_gt[:, :, :2] = 0  # unknown rows
    depth_gt[2, 1] = 0  # an image without valid GT
    depth_pred = (depth_gt * rng.uniform(0.7, 1.3, depth_gt.shape) + 0.3).astype(np.float32)
    frames = os.path.join(tmp, "frames.h5")
    pred = os.path.join(tmp, "pred.h5")
    uuid = E.write_frames(frames, gts, mask_camera=mask_camera, mask_lidar=mask_lidar, flow=gt_flow, scenes=scenes,
                          poses=poses, lidar_origin=lidar, grid_origin=pc_min, depth=depth_gt)
    E.write_pred(pred, uuid, preds, flow=pred_flow, depth=depth_pred)
    common = ["--gt", frames, "--origin-range", "8", "--max-origins", "2"]
    ours = run_eval(occ, [pred, "--metric", "miou,ssc,rayiou,mave,depth"] + common)
    geo = run_eval(occ, [pred, "--metric", "mave", "--geometry-only", "--flow-scale", "2"] + common)
    every = run_eval(occ, [pred, "--metric", "miou", "--all-voxels"] + common)
    names = E.OCC3D_CLASSES
    nonfree = names[:-1]

    iou, miou = R.occ3d_miou(gts, preds, mask_camera, 18)
    close("miou", ours["miou"]["miou"], 100 * miou, rel=1e-12)
    for c, name in enumerate(nonfree):
        close("miou/" + name, ours["miou"]["class_iou"][name], 100 * iou[c], rel=1e-12)
    close("miou all voxels", every["miou"]["miou"], 100 * R.occ3d_miou(gts, preds, [None] * n, 18)[1], rel=1e-12)

    # SSC treats class 17 here like any class; rebuild with free=17 as "empty" by swapping it to index 0.
    swap = np.arange(256, dtype=np.uint8)
    swap[0], swap[17] = 17, 0
    s = R.ssc(swap[gts], swap[preds], [1 - m for m in mask_lidar], 18)
    close("ssc/miou", ours["ssc"]["miou"], 100 * s["miou"], rel=1e-12)
    close("ssc/completion", ours["ssc"]["completion_iou"], 100 * s["completion"], rel=1e-12)
    close("ssc/precision", ours["ssc"]["precision"], 100 * s["precision"], rel=1e-12)
    close("ssc/recall", ours["ssc"]["recall"], 100 * s["recall"], rel=1e-12)
    for c, name in enumerate(nonfree):
        close("ssc/" + name, ours["ssc"]["class_iou"][name], 100 * s["iou"][swap[c]], rel=1e-12)

    rays = R.lidar_rays()
    times = np.arange(n) * 500000
    keyframe = np.ones(n, bool)
    pcd_p, pcd_g = [], []
    for i in range(n):
        origins = R.ray_origins(poses, lidar, scenes, times, keyframe, i, limit=8, max_origins=2)
        pcd_p.append(R.rays_of_sample(preds[i], pred_flow[i].astype(np.float32), rays, origins, 17, pc_min, 0.4))
        pcd_g.append(R.rays_of_sample(gts[i], gt_flow[i], rays, origins, 17, pc_min, 0.4))
    # The geometry-only run also scales predicted flow by 2 (Let Occ Flow's setting).
    pcd_p2 = [p.copy() for p in pcd_p]
    for p in pcd_p2:
        p[:, 2:4] = (p[:, 2:4] * 2.0).astype(np.float32)
    for geometry, report, preds_pcd in [(False, ours, pcd_p), (True, geo, pcd_p2)]:
        ref = R.rayiou(preds_pcd, pcd_g, names, 17, geometry_only=geometry)
        tag = "geometry " if geometry else ""
        close(tag + "rayiou", report["rayiou"]["rayiou"], 100 * ref["rayiou"], rel=1e-12)
        close(tag + "rays scored", report["rayiou"]["rays_scored"], ref["rays"], rel=0)
        for j, key in enumerate(["rayiou@1", "rayiou@2", "rayiou@4"]):
            close(tag + key, report["rayiou"][key], 100 * ref["at"][j], rel=1e-12)
        for c, name in enumerate(nonfree):
            for j in range(3):
                close("%s%s@%d" % (tag, name, j), report["rayiou"]["class_iou"][name][j], 100 * ref["iou"][j][c],
                      rel=1e-12)
        close(tag + "mave", report["mave"]["mave"], ref["mave"], rel=1e-5)
        close(tag + "occ_score", report["mave"]["occ_score"], 100 * ref["occ_score"], rel=1e-5)
        for c, name in enumerate(nonfree):
            if name in report["mave"]["class_ave"]:
                close("%save/%s" % (tag, name), report["mave"]["class_ave"][name], ref["ave"][c], rel=1e-5)

    flat_gt = [d for frame in depth_gt for d in frame]
    flat_pred = [d for frame in depth_pred for d in frame]
    for variant, median in [("raw", False), ("median_scaled", True)]:
        ref = R.depth(flat_gt, flat_pred, median=median)
        for k, key in enumerate(["abs_rel", "sq_rel", "rmse", "rmse_log", "delta1", "delta2", "delta3"]):
            close("depth/%s/%s" % (variant, key), ours["depth"][variant][key], ref[k], rel=1e-5)
    close("depth images", ours["depth"]["images"], len(flat_gt) - 1, rel=0)


def check_fixture(occ, tmp, fixtures):
    token = "29796060110c4163b07f06eff4af0753"
    labels = np.load(os.path.join(fixtures, "occ3d_nuscenes", "gts", token, "labels.npz"))
    gt = labels["semantics"][None]
    mask = labels["mask_camera"][None]
    frames = os.path.join(tmp, "fixture.h5")
    uuid = E.write_frames(frames, gt, mask_camera=mask, tokens=[token])
    shifted = np.full_like(gt, 17)
    shifted[:, 1:] = gt[:, :-1]  # one voxel along +x, free enters at the border
    rays = R.lidar_rays()
    origins = R.ray_origins(np.eye(4)[None], np.array([[0.9858, 0.0, 1.8402]]), [0], [0], [True], 0)
    pcd_gt = R.rays_of_sample(gt[0], None, rays, origins, 17, (-40, -40, -1), 0.4)
    for name, pred in [("self", gt), ("shifted", shifted)]:
        path = os.path.join(tmp, name + ".h5")
        E.write_pred(path, uuid, pred)
        ours = run_eval(occ, [path, "--gt", frames, "--metric", "miou,rayiou"])
        _, miou = R.occ3d_miou(gt, pred, mask, 18)
        pcd_pred = pcd_gt if name == "self" else R.rays_of_sample(pred[0], None, rays, origins, 17, (-40, -40, -1), 0.4)
        ref = R.rayiou([pcd_pred], [pcd_gt], E.OCC3D_CLASSES, 17)
        if name == "self":
            close("fixture self miou is 100", ours["miou"]["miou"], 100.0, rel=0)
            close("fixture self rayiou is 100", ours["rayiou"]["rayiou"], 100.0, rel=0)
        close("fixture %s miou" % name, ours["miou"]["miou"], 100 * miou, rel=1e-12)
        close("fixture %s rayiou" % name, ours["rayiou"]["rayiou"], 100 * ref["rayiou"], rel=1e-12)
        print("fixture %s: mIoU %.4f RayIoU %.4f (reference %.4f %.4f)" % (
            name, ours["miou"]["miou"], ours["rayiou"]["rayiou"], 100 * miou, 100 * ref["rayiou"]))
        # The same prediction as an Occ3D submission folder: deflated uint8 (arr_0), stored int64 (semantics).
        for compressed in ((True, False) if name == "shifted" else ()):
            folder = os.path.join(tmp, "%s-%d" % (name, compressed))
            os.makedirs(folder)
            if compressed:
                np.savez_compressed(os.path.join(folder, token + ".npz"), pred[0].astype(np.uint8))
            else:
                np.savez(os.path.join(folder, token + ".npz"), semantics=pred[0].astype(np.int64))  # other tools' dtype
            via_dir = run_eval(occ, ["--pred-dir", folder, "--gt", frames, "--metric", "miou"])
            close("pred-dir %s %d" % (name, compressed), via_dir["miou"]["miou"], 100 * miou, rel=1e-12)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--occ", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    rng = np.random.default_rng(20260601)
    with tempfile.TemporaryDirectory() as tmp:
        check_random(args.occ, tmp, rng)
        check_fixture(args.occ, tmp, args.fixtures)
    if FAILURES:
        print("\n".join(FAILURES[:40]))
        print("%d mismatches" % len(FAILURES))
        return 1
    print("occ eval matches the numpy reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
