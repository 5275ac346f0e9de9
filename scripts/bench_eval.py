#!/usr/bin/python3
"""Benchmark of `occ eval` (issue 6), every number measured in the same run:

1. mIoU throughput on 200 synthetic 200x200x16 frames against a numpy
   implementation of the official Occ3D code (Metric_mIoU, use_image_mask=True):
   compute only (labels in memory: metrics_bench vs numpy) and end to end
   (`occ eval` on HDF5 files vs h5py + the same numpy code), equal numbers checked.
   End to end runs interleaved, --repeats times each, and reports medians:
   h5py + numpy, `occ eval -j 1`, `occ eval -j 2` (and the same of a
   --reference-occ binary, e.g. an older build), ratios against h5py + numpy,
   the 1 -> 2 thread scaling, and eval's start-up alone (`occ eval` on a
   missing file: the process starts, loads what eval runs in, and exits 1).
   Decoding alone (the same three datasets read in batches of 8 frames by
   tests/h5_read_bench, without occ's start-up) on 1 and 2 threads against
   h5py reading them frame by frame, interleaved the same way.
2. RayIoU rays per second on one core (metrics_bench, 8 origins per frame), and
   the time a full Occ3D val set (6019 frames) would take on 2 cores.
3. Peak memory (max RSS) of `occ eval --metric miou,rayiou` at 50 and 400 frames.

usage: scripts/bench_eval.py [--build build] [--frames 200] [--repeats 5] [--reference-occ OCC]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
import eval_inputs as E  # noqa: E402

SHAPE = (200, 200, 16)


def synthetic_frames(rng, n):
    """Ground classes, buildings at the edges, cars and people, free above; a noisy prediction."""
    gts = np.full((n,) + SHAPE, 17, np.uint8)
    gts[:, :, :, 0:2] = 11
    gts[:, :, 120:, 0:2] = 13
    gts[:, :, :40, 0:2] = 14
    gts[:, :10, :, 2:10] = 15
    gts[:, 190:, :, 2:8] = 16
    for f in range(n):
        for _ in range(30):
            x, y = rng.integers(10, 185, 2)
            gts[f, x:x + rng.integers(3, 12), y:y + rng.integers(2, 6), 2:2 + rng.integers(2, 6)] = rng.choice([4, 10, 7, 1, 8])
    preds = gts.copy()
    flip = rng.random(preds.shape) < 0.05
    preds[flip] = rng.integers(0, 18, flip.sum())
    preds = np.roll(preds, 1, axis=1)
    masks = (rng.random(preds.shape) < 0.6).astype(np.uint8)
    return gts, preds, masks


def official_miou(gts, preds, masks, n=18):
    """Metric_mIoU.add_batch + count_miou of occ_metrics.py, in numpy."""
    hist = np.zeros((n, n))
    for gt, pred, mask in zip(gts, preds, masks):
        m = mask.astype(bool)
        g, p = gt[m], pred[m]
        k = (g >= 0) & (g < n)
        hist += np.bincount(n * g[k].astype(int) + p[k], minlength=n ** 2).reshape(n, n)
    iou = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist))
    return 100 * np.nanmean(iou[: n - 1])


def max_rss_kib(command):
    """Peak resident memory of one command, measured in a fresh Python so children do not mix."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    return int(subprocess.run([sys.executable, "-c", probe] + command, capture_output=True, text=True,
                              check=True).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--ray-frames", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5, help="end-to-end runs of each side (interleaved)")
    parser.add_argument("--reference-occ", help="a second occ binary measured in the same run (e.g. main's)")
    args = parser.parse_args()
    occ = os.path.join(args.build, "occ")
    bench = os.path.join(args.build, "tests", "metrics_bench")
    rng = np.random.default_rng(6)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        gts, preds, masks = synthetic_frames(rng, args.frames)
        for name, array in [("gt", gts), ("pred", preds), ("mask", masks)]:
            np.save(os.path.join(tmp, name + ".npy"), array)

        # 1a. compute only, in CPU seconds on both sides (numpy is single-threaded,
        # metrics_bench times its one thread), so a busy machine does not skew the ratio
        start = time.process_time()
        numpy_miou = official_miou(gts, preds, masks)
        numpy_seconds = time.process_time() - start
        kernels = json.loads(subprocess.run([bench] + [os.path.join(tmp, n + ".npy") for n in ("gt", "pred", "mask")]
                                            + ["8", str(args.ray_frames)], capture_output=True, text=True,
                                            check=True).stdout)
        out["miou_compute"] = dict(frames=args.frames, numpy_s=numpy_seconds, occ_s=kernels["miou_seconds"],
                                   speedup=numpy_seconds / kernels["miou_seconds"], numpy_miou=numpy_miou,
                                   occ_miou=kernels["miou"], equal=bool(numpy_miou == kernels["miou"]))

        # 1b. end to end on HDF5 files as h5py writes them (deflate level 4, one frame per chunk)
        frames, pred = os.path.join(tmp, "frames.h5"), os.path.join(tmp, "pred.h5")
        uuid = E.write_frames(frames, gts, mask_camera=masks)
        E.write_pred(pred, uuid, preds)
        import h5py

        def h5py_numpy():
            with h5py.File(frames, "r") as f, h5py.File(pred, "r") as p:
                hist_inputs = ((f["occupancy/semantics"][i], p["pred/semantics"][i], f["occupancy/mask_camera"][i])
                               for i in range(args.frames))
                n = 18
                hist = np.zeros((n, n))
                for g, q, m in hist_inputs:  # streamed like the official loop over the val set
                    m = m.astype(bool)
                    g, q = g[m], q[m]
                    k = (g >= 0) & (g < n)
                    hist += np.bincount(n * g[k].astype(int) + q[k], minlength=n ** 2).reshape(n, n)
                iou = np.diag(hist) / (hist.sum(1) + hist.sum(0) - np.diag(hist))
                return 100 * np.nanmean(iou[:17])

        def occ_eval(binary, threads):
            return json.loads(subprocess.run([binary, "eval", pred, "--gt", frames, "--metric", "miou", "--json", "-q",
                                              "-j", str(threads)], capture_output=True, text=True,
                                             check=True).stdout)["miou"]["miou"]

        read_bench = os.path.join(args.build, "tests", "h5_read_bench")
        datasets = [frames + ":/occupancy/semantics", pred + ":/pred/semantics", frames + ":/occupancy/mask_camera"]

        def h5py_read():
            with h5py.File(frames, "r") as f, h5py.File(pred, "r") as p:
                for dataset in (f["occupancy/semantics"], p["pred/semantics"], f["occupancy/mask_camera"]):
                    for i in range(args.frames):
                        dataset[i]

        def occ_read(threads):
            subprocess.run([read_bench, str(threads), "8"] + datasets, capture_output=True, check=True)

        missing = os.path.join(tmp, "missing.h5")

        def occ_start(binary):
            # Everything eval pays before reading: the process, the unit eval
            # runs in (the executable, or an older build's data module), parsing.
            result = subprocess.run([binary, "eval", missing, "--gt", missing, "-q"], capture_output=True, text=True)
            if result.returncode != 1 or missing not in result.stderr:
                raise RuntimeError("occ eval on a missing file: %d %s" % (result.returncode, result.stderr))

        sides = {"h5py_numpy": h5py_numpy, "h5py_read": h5py_read, "decode_j1": lambda: occ_read(1),
                 "decode_j2": lambda: occ_read(2)}
        binaries = {"occ": occ}
        if args.reference_occ:
            binaries["reference"] = args.reference_occ
        for label, binary in binaries.items():
            for threads in (1, 2):
                sides["%s_j%d" % (label, threads)] = (lambda b=binary, t=threads: occ_eval(b, t))
            sides[label + "_start_up"] = (lambda b=binary: occ_start(b))
        seconds = {name: [] for name in sides}
        results = {}
        for _ in range(args.repeats):  # interleaved, so a busy moment hits every side alike
            for name, run in sides.items():
                start = time.perf_counter()
                results[name] = run()
                seconds[name].append(time.perf_counter() - start)
        median = {name: float(np.median(values)) for name, values in seconds.items()}
        python_seconds = median["h5py_numpy"]
        end_to_end = dict(repeats=args.repeats, python_s=python_seconds, python_miou=results["h5py_numpy"])
        for label in binaries:
            j1, j2 = median[label + "_j1"], median[label + "_j2"]
            end_to_end[label] = dict(
                j1_s=j1, j2_s=j2, start_up_s=median[label + "_start_up"], speedup_j1=python_seconds / j1,
                speedup_j2=python_seconds / j2, scaling_j1_to_j2=j1 / j2,
                miou=results[label + "_j2"],
                equal=bool(results[label + "_j1"] == results["h5py_numpy"] == results[label + "_j2"]))
        out["miou_end_to_end"] = end_to_end
        out["decode_only"] = dict(h5py_read_s=median["h5py_read"], j1_s=median["decode_j1"], j2_s=median["decode_j2"],
                                  speedup_j1=median["h5py_read"] / median["decode_j1"],
                                  speedup_j2=median["h5py_read"] / median["decode_j2"],
                                  scaling_j1_to_j2=median["decode_j1"] / median["decode_j2"])

        # 2. RayIoU on one core
        rate = kernels["rays_per_second_per_core"]
        rays_per_frame = 8 * 39 * 360
        out["rayiou"] = dict(frames=kernels["ray_frames"], rays=kernels["rays_cast"], seconds=kernels["ray_seconds"],
                             rays_per_second_per_core=rate,
                             occ3d_val_6019_frames_2_cores_minutes=6019 * rays_per_frame / (2 * rate) / 60)

        # 3. peak memory at 50 and 400 frames (frames repeated: memory, not content, is measured)
        memory = {}
        for count in (50, 400):
            reps = -(-count // args.frames)
            tiled = [np.concatenate([a] * reps)[:count] for a in (gts, preds, masks)]
            fpath, ppath = os.path.join(tmp, "f%d.h5" % count), os.path.join(tmp, "p%d.h5" % count)
            uuid = E.write_frames(fpath, tiled[0], mask_camera=tiled[2])
            E.write_pred(ppath, uuid, tiled[1])
            memory[count] = max_rss_kib([occ, "eval", ppath, "--gt", fpath, "--metric", "miou,rayiou",
                                         "--max-origins", "1", "-q"])
            os.remove(fpath)
            os.remove(ppath)
        out["peak_rss_mib"] = {str(k): v / 1024 for k, v in memory.items()}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
