#!/usr/bin/python3
"""Labels users bring: optical flow saved by numpy (np.save, .npy) for
`occ flow-labels --import` and label maps saved by Pillow (16-bit PNG, as a
Segment Anything script writes them) for `occ cluster-masks --import`, read
back from occ's output with h5py; a misshaped or missing file is an error
naming it and leaves no output."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image


def run(args, expect):
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == expect, (args, result.returncode, result.stderr)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--occ", required=True)
    args = parser.parse_args()
    import h5py

    with tempfile.TemporaryDirectory() as tmp:
        frames = os.path.join(tmp, "frames.h5")
        run([args.occ, "prep", "synth", "-o", frames, "--scenes", "1", "--frames-per-scene", "2",
             "--sweeps", "1", "--image-size", "32x64", "-q"], 0)
        with h5py.File(frames, "r") as f:
            tokens = [t.decode() for t in f["frames/token"][()]]
            keyframe = f["frames/is_keyframe"][()]
            cameras = list(f.attrs["camera_names"])
        assert list(keyframe) == [1, 0, 1], keyframe
        first, last = tokens[0], tokens[2]

        # Flow: keyframe 0 -> 2 as float32, back as float64 (numpy's default).
        flows = os.path.join(tmp, "flows")
        rng = np.random.default_rng(0)
        forward = {}
        for camera in cameras:
            for direction, token in (("next", first), ("prev", last)):
                os.makedirs(os.path.join(flows, direction, token), exist_ok=True)
            f = np.empty((32, 64, 2), np.float32)
            f[..., 0] = rng.uniform(-2, 2)
            f[..., 1] = rng.uniform(-1, 1)
            f[0, 0] = np.nan  # unknown
            forward[camera] = f
            np.save(os.path.join(flows, "next", first, camera + ".npy"), f)
            np.save(os.path.join(flows, "prev", last, camera + ".npy"), -f.astype(np.float64))
        out = os.path.join(tmp, "flow.h5")
        result = run([args.occ, "flow-labels", frames, "-o", out, "--import", flows, "--direct", "-q"], 0)
        assert "imported from" in result.stdout, result.stdout
        with h5py.File(out, "r") as f:
            assert f.attrs["method"] == "import", f.attrs["method"]
            stored = f["next/flow"][0].astype(np.float32)
            valid = f["next/valid"][0]
            back = f["prev/flow"][2].astype(np.float32)
        for c, camera in enumerate(cameras):
            want = np.nan_to_num(forward[camera])
            assert np.allclose(stored[c], want, atol=2e-3), (camera, stored[c][5, 5], want[5, 5])
            assert np.allclose(back[c][1:, 1:], -want[1:, 1:], atol=2e-3), camera
            assert valid[c][0, 0] == 0, "NaN in the file: invalid"
            assert valid[c][10:20, 10:50].all(), (camera, valid[c][10:20, 10:50].mean())

        # A misshaped .npy: an error naming it, no output.
        bad = os.path.join(flows, "prev", last, cameras[3] + ".npy")
        np.save(bad, np.zeros((32, 64, 3), np.float32))
        os.remove(out)
        result = run([args.occ, "flow-labels", frames, "-o", out, "--import", flows, "--direct", "-q"], 1)
        assert result.stderr == "occ flow-labels: '%s' has shape (32, 64, 3), expected (H, W, 2) flow\n" % bad, \
            result.stderr
        assert not os.path.exists(out)
        os.remove(bad)
        result = run([args.occ, "flow-labels", frames, "-o", out, "--import", flows, "--direct", "-q"], 1)
        assert result.stderr == ("occ flow-labels: missing flow file '%s' (or .flo, .npy)\n"
                                 % os.path.join(flows, "prev", last, cameras[3] + ".png")), result.stderr
        assert not os.path.exists(out)

        # Masks: 16-bit label PNGs with sparse ids, keyframes only.
        masks = os.path.join(tmp, "sam")
        written = {}
        for token in (first, last):
            os.makedirs(os.path.join(masks, token))
            for camera in cameras:
                labels = (rng.integers(0, 5, (32, 64)) * 1000 + 7).astype(np.uint16)
                Image.fromarray(labels).save(os.path.join(masks, token, camera + ".png"))
                written[token, camera] = labels
        out = os.path.join(tmp, "masks.h5")
        run([args.occ, "cluster-masks", frames, "-o", out, "--import", masks, "-q"], 0)
        with h5py.File(out, "r") as f:
            assert f.attrs["method"] == "import"
            stored = f["masks/labels"][()]
            counts = f["masks/count"][()]
        for row, token in ((0, first), (2, last)):
            for c, camera in enumerate(cameras):
                ids, inverse = np.unique(written[token, camera], return_inverse=True)
                assert np.array_equal(stored[row, c], inverse.reshape(32, 64)), (token, camera)
                assert counts[row, c] == len(ids)
        assert (counts[1] == 0).all(), "the sweep row has no mask"
        os.remove(os.path.join(masks, last, cameras[5] + ".png"))
        os.remove(out)
        result = run([args.occ, "cluster-masks", frames, "-o", out, "--import", masks, "-q"], 1)
        assert result.stderr == ("occ cluster-masks: missing mask file '%s'\n"
                                 % os.path.join(masks, last, cameras[5] + ".png")), result.stderr
        assert not os.path.exists(out)
    print("label import: numpy flow and Pillow masks read back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
