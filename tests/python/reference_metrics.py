"""An independent numpy reference of occ eval's metrics, written from the
official definitions (read, not copied):
- Occ3D mIoU: CVPR2023-3D-Occupancy-Prediction occ_metrics.py (Metric_mIoU)
- SemanticKITTI SSC: semantic-kitti-api evaluate_completion.py + np_ioueval.py
- RayIoU / mAVE / OccScore: SparseOcc loaders/ray_metrics.py, ego_pose_dataset.py,
  lib/dvr/dvr.cu (marched here with numpy, all rays of a frame in lock step)
- depth: monodepth2 evaluate_depth.py compute_errors
It mirrors the official float32 roundings so the comparison can be exact."""
import math

import numpy as np

FLOW_CLASSES = ["car", "truck", "trailer", "bus", "construction_vehicle", "bicycle", "motorcycle", "pedestrian"]


# ---------------------------------------------------------------- Occ3D mIoU
def occ3d_miou(gts, preds, masks, n_classes):
    hist = np.zeros((n_classes, n_classes))
    for gt, pred, mask in zip(gts, preds, masks):
        if mask is not None:
            m = mask.astype(bool)
            gt, pred = gt[m], pred[m]
        gt = gt.reshape(-1).astype(int)
        pred = pred.reshape(-1).astype(int)
        k = (gt >= 0) & (gt < n_classes)
        hist += np.bincount(n_classes * gt[k] + pred[k], minlength=n_classes ** 2).reshape(n_classes, n_classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist))
    return iou, np.nanmean(iou[: n_classes - 1])


# ------------------------------------------------------------ SemanticKITTI SSC
def ssc(gts, preds, invalids, n_classes):
    conf = np.zeros((n_classes, n_classes), dtype=np.int64)
    for gt, pred, invalid in zip(gts, preds, invalids):
        keep = np.ones(gt.shape, bool)
        keep[gt == 255] = False
        if invalid is not None:
            keep[invalid == 1] = False
        np.add.at(conf, (pred[keep].astype(np.int64), gt[keep].astype(np.int64)), 1)
    tp = np.diag(conf)
    fp = conf.sum(axis=1) - tp
    fn = conf.sum(axis=0) - tp
    iou = tp / (tp + fp + fn + 1e-15)
    eps = np.finfo(np.float32).eps
    precision = np.sum(conf[1:, 1:]) / (np.sum(conf[1:, :]) + eps)
    recall = np.sum(conf[1:, 1:]) / (np.sum(conf[:, 1:]) + eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        completion = np.sum(conf[1:, 1:]) / (np.sum(conf) - conf[0, 0])
    return dict(iou=iou, miou=iou[1:].mean(), precision=precision, recall=recall, completion=completion)


# ------------------------------------------------------------------ RayIoU
def lidar_rays():
    pitch = [-(math.pi / 2 - math.atan(k + 1)) for k in range(10)]
    while pitch[-1] < 0.21:
        pitch.append(pitch[-1] + (pitch[-1] - pitch[-2]))
    rays = []
    for p in pitch:
        for a in np.arange(0, 360, 1):
            a = np.deg2rad(a)
            rays.append((np.cos(p) * np.cos(a), np.cos(p) * np.sin(a), np.sin(p)))
    return np.array(rays, dtype=np.float32)


def ray_origins(poses, lidar_origin, scenes, times, keyframe, row, limit=39.0, max_origins=8):
    """EgoPoseDataset: every keyframe of the scene, in time order, in this frame's ego frame."""
    rows = [j for j in range(len(scenes)) if scenes[j] == scenes[row] and (keyframe[j] or j == row)]
    rows.sort(key=lambda j: times[j])
    ego_from_world = np.linalg.inv(poses[row])
    out = []
    for j in rows:
        o = lidar_origin[j] if j == row else (ego_from_world @ poses[j] @ np.append(lidar_origin[j], 1.0))[:3]
        if abs(o[0]) < limit and abs(o[1]) < limit:
            out.append(np.asarray(o, np.float64))
    if len(out) > max_origins:
        pick = np.round(np.linspace(0, len(out) - 1, max_origins)).astype(np.int64)
        out = [out[i] for i in pick]
    return np.stack(out)


def march(occupied, origin_g, points_g, max_step=1000):
    """dvr.cu render_forward ("test"): returns (distance in voxels, voxel index xyz) per ray.
    All rays step together; finished rays drop out of the working set."""
    nx, ny, nz = occupied.shape
    o = origin_g.astype(np.float64)
    e = points_g.astype(np.float64)
    r = e - o[None, :]
    length = np.sqrt(r[:, 0] * r[:, 0] + r[:, 1] * r[:, 1] + r[:, 2] * r[:, 2])
    d = r / length[:, None]
    n = len(d)
    v = np.tile(np.trunc(o).astype(np.int64), (n, 1))
    step = np.where(d >= 0, 1, -1)
    with np.errstate(divide="ignore"):
        boundary = v + (step > 0)
        t_max = np.where(d != 0, (boundary - o[None, :]) / d, np.finfo(np.float64).max)
        t_delta = np.where(d != 0, step / d, np.finfo(np.float64).max)
    was_inside = np.zeros(n, bool)
    found = np.zeros(n, bool)
    hit_d = np.full(n, -1.0)
    hit_v = np.zeros((n, 3), np.int64)
    last_d = np.full(n, -1.0)
    last_v = np.zeros((n, 3), np.int64)
    live = np.arange(n)  # rays still marching
    upper = np.array([nx, ny, nz])
    for s in range(max_step + 1):
        vl = v[live]
        inside = (vl >= 0).all(1) & (vl < upper).all(1)
        keep = ~(~inside & was_inside[live])  # left the grid: done
        live, vl, inside = live[keep], vl[keep], inside[keep]
        if len(live) == 0:
            break
        tm = t_max[live]
        x_lt_y = tm[:, 0] < tm[:, 1]
        pick_x = x_lt_y & (tm[:, 0] < tm[:, 2])
        pick_y = ~x_lt_y & (tm[:, 1] < tm[:, 2])
        axis = np.where(pick_x, 0, np.where(pick_y, 1, 2))
        dist = tm[np.arange(len(live)), axis]
        rec = live[inside]
        was_inside[rec] = True
        last_d[rec] = dist[inside]
        last_v[rec] = vl[inside]
        cur = vl[inside]
        occ = occupied[cur[:, 0], cur[:, 1], cur[:, 2]]
        hit = rec[occ]
        hit_d[hit] = dist[inside][occ]
        hit_v[hit] = cur[occ]
        found[hit] = True
        v[live, axis] += step[live, axis]
        t_max[live, axis] += t_delta[live, axis]
        live = live[~found[live]]
        if s + 1 > max_step:
            break
    out_d = np.where(found, hit_d, np.where(was_inside, last_d, -1.0))
    out_v = np.where(found[:, None], hit_v, np.where(was_inside[:, None], last_v, 0))
    return out_d, out_v


def rays_of_sample(sem, flow, rays, origins, free_id, pc_min, voxel):
    """process_one_sample: per ray [label, dist(m), flow_x, flow_y] as float32 rows."""
    occupied = sem != free_id
    offset = np.array(pc_min, np.float32).astype(np.float64)
    scaler = np.float64(np.float32(voxel))
    rows = []
    for origin in origins:
        endpts = rays.astype(np.float64) + origin[None, :]
        origin_g = ((origin - offset) / scaler).astype(np.float32)
        points_g = ((endpts - offset) / scaler).astype(np.float32)
        dist, vox = march(occupied, origin_g, points_g)
        dist = dist.astype(np.float32) * np.float32(voxel)
        label = sem[vox[:, 0], vox[:, 1], vox[:, 2]].astype(np.float32)
        f = flow[vox[:, 0], vox[:, 1], vox[:, 2]] if flow is not None else np.zeros((len(dist), 2), np.float32)
        rows.append(np.concatenate([label[:, None], dist[:, None], f.astype(np.float32)], axis=1))
    return np.concatenate(rows, 0)


def rayiou(pcd_preds, pcd_gts, class_names, free_id, geometry_only=False):
    thresholds = [1, 2, 4]
    k = len(class_names)
    gt_cnt = np.zeros(k)
    pred_cnt = np.zeros(k)
    tp_cnt = np.zeros((3, k))
    ave = np.zeros((3, k))
    ave[:, [i for i, c in enumerate(class_names) if c not in FLOW_CLASSES]] = np.nan
    ave_count = np.zeros((3, k))
    for pred, gt in zip(pcd_preds, pcd_gts):
        valid = gt[:, 0].astype(np.int32) != free_id
        pred, gt = pred[valid], gt[valid]
        err = np.abs(pred[:, 1] - gt[:, 1])
        for j, thr in enumerate(thresholds):
            tp_dist = err < thr
            for i, name in enumerate(class_names):
                m_gt = gt[:, 0] == i
                m_pred = m_gt if geometry_only else pred[:, 0] == i
                if j == 0:
                    gt_cnt[i] += m_gt.sum()
                    pred_cnt[i] += m_pred.sum()
                tp = m_gt & m_pred & tp_dist
                tp_cnt[j][i] += tp.sum()
                if name in FLOW_CLASSES and tp.sum() > 0:
                    e = np.linalg.norm(gt[tp, 2:4] - pred[tp, 2:4], axis=1)
                    ave[j][i] += np.sum(e)
                    ave_count[j][i] += e.shape[0]
    keep = [i for i in range(k) if i != free_id]
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.stack([(tp_cnt[j] / (gt_cnt + pred_cnt - tp_cnt[j]))[keep] for j in range(3)])
        ave_list = (ave[1] / ave_count[1])[keep]
    out = dict(iou=iou, rayiou=np.nanmean(iou), at=[np.nanmean(iou[j]) for j in range(3)],
               rays=int(sum((g[:, 0].astype(np.int32) != free_id).sum() for g in pcd_gts)))
    with np.errstate(invalid="ignore"):
        out["ave"] = ave_list
        out["mave"] = np.nanmean(ave_list) if np.any(~np.isnan(ave_list)) else np.nan
    out["occ_score"] = out["rayiou"] * 0.9 + max(1 - out["mave"], 0.0) * 0.1
    return out


# ------------------------------------------------------------------- depth
def compute_errors(gt, pred):
    thresh = np.maximum((gt / pred), (pred / gt))
    a1 = (thresh < 1.25).mean()
    a2 = (thresh < 1.25 ** 2).mean()
    a3 = (thresh < 1.25 ** 3).mean()
    rmse = np.sqrt(((gt - pred) ** 2).mean())
    rmse_log = np.sqrt(((np.log(gt) - np.log(pred)) ** 2).mean())
    abs_rel = np.mean(np.abs(gt - pred) / gt)
    sq_rel = np.mean(((gt - pred) ** 2) / gt)
    return np.array([abs_rel, sq_rel, rmse, rmse_log, a1, a2, a3])


def depth(gts, preds, min_depth=1e-3, max_depth=80.0, median=False):
    errors = []
    for gt, pred in zip(gts, preds):
        mask = (gt > min_depth) & (gt < max_depth)
        if not mask.any():
            continue
        p, g = pred[mask], gt[mask]
        if median:
            p = p * (np.median(g) / np.median(p))
        p = np.clip(p, 1e-3, max_depth)
        errors.append(compute_errors(g.astype(np.float64), p.astype(np.float64)))
    return np.mean(errors, axis=0)
