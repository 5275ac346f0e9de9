#!/usr/bin/python3
"""Stock h5py must read what occ writes: every dtype, strings and attributes,
with deflate and with zstd (through the h5zstd plugin occ builds)."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np


def expected(dtype_name, n):
    i = np.arange(n, dtype=np.int64)
    return {
        "uint8": (i % 251).astype(np.uint8),
        "uint16": (i * 1000 % 65521).astype(np.uint16),
        "int32": (i * 7919 - 100000).astype(np.int32),
        "int64": i * 4000000000 - 7,
        "float16": (i * 0.5 - 3.0).astype(np.float16),
        "float32": (i * 0.5 - 3.0).astype(np.float32),
        "float64": i * 0.5 - 3.0,
    }[dtype_name]


def check(path, compression):
    import h5py  # imported after HDF5_PLUGIN_PATH is set

    with h5py.File(path, "r") as f:
        for name in ["uint8", "uint16", "int32", "int64", "float16", "float32", "float64"]:
            dataset = f["data/" + name]
            values = dataset[()]
            assert values.dtype == np.dtype(name), (name, values.dtype)
            assert values.shape == (3, 4, 5), (name, values.shape)
            want = expected(name, 60).reshape(3, 4, 5)
            assert np.array_equal(values, want), (name, values.ravel()[:8], want.ravel()[:8])
            filters = dataset._filters
            if compression.startswith("zstd"):
                assert "32015" in filters, (name, filters)
            elif compression.startswith("deflate"):
                assert "gzip" in filters and "shuffle" in filters, (name, filters)
        names = [s.decode() if isinstance(s, bytes) else s for s in f["data/names"][()]]
        assert names == ["CAM_FRONT", "Ünïcode", ""], names
        assert f.attrs["text"] == "hello ünïcode", f.attrs["text"]
        assert f.attrs["count"] == 42 and f.attrs["count"].dtype == np.int64
        assert f.attrs["scale"] == 0.25
        assert list(f.attrs["names"]) == ["a", "bb", "ccc"], f.attrs["names"]
        assert list(f.attrs["shape"]) == [200, 200, 16]
        assert list(f.attrs["origin"]) == [-40.0, -40.0, -1.0]
        assert f["data/float32"].attrs["unit"] == "m"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer", required=True)
    parser.add_argument("--plugin-dir", required=True)
    args = parser.parse_args()
    os.environ["HDF5_PLUGIN_PATH"] = args.plugin_dir
    with tempfile.TemporaryDirectory() as folder:
        for compression in ["deflate", "deflate:9", "zstd", "zstd:19", "none"]:
            path = os.path.join(folder, compression.replace(":", "_") + ".h5")
            subprocess.run([args.writer, "dtypes", path, compression], check=True)
            check(path, compression)
            print("ok", compression)
    return 0


if __name__ == "__main__":
    sys.exit(main())
