#!/usr/bin/python3
"""Stock h5py must read what occ writes: every dtype, strings and attributes,
with deflate and with zstd, each chunked dataset with its Fletcher32
checksum; h5dump reads the files too, and both refuse a copy whose stored
bytes were damaged.

zstd comes through the h5zstd plugin occ builds (--plugin-dir) or, with
--hdf5plugin, through the hdf5plugin package alone: HDF5_PLUGIN_PATH then
names an empty folder, and a zstd dataset must fail to read before
hdf5plugin is imported (so the package, not a plugin found elsewhere, did
the work).

Files occ's parallel chunk writer made (h5_test_writer pair) read in h5py
equal to the same data written through HDF5's own H5Dwrite, with the same
filters, and their stored chunks are byte for byte the same."""
import argparse
import os
import shutil
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
            assert dataset.fletcher32, (name, filters)
        names = [s.decode() if isinstance(s, bytes) else s for s in f["data/names"][()]]
        assert names == ["CAM_FRONT", "Ünïcode", ""], names
        assert f.attrs["text"] == "hello ünïcode", f.attrs["text"]
        assert f.attrs["count"] == 42 and f.attrs["count"].dtype == np.int64
        assert f.attrs["scale"] == 0.25
        assert list(f.attrs["names"]) == ["a", "bb", "ccc"], f.attrs["names"]
        assert list(f.attrs["shape"]) == [200, 200, 16]
        assert list(f.attrs["origin"]) == [-40.0, -40.0, -1.0]
        assert f["data/float32"].attrs["unit"] == "m"


def damage(path, dataset_path):
    """Flips one bit in each of four bytes in the middle of the dataset's first stored chunk."""
    import h5py

    with h5py.File(path, "r") as f:
        chunk = f[dataset_path].id.get_chunk_info(0)
    with open(path, "r+b") as stream:
        stream.seek(chunk.byte_offset + chunk.size // 2)
        data = bytearray(stream.read(4))
        stream.seek(chunk.byte_offset + chunk.size // 2)
        stream.write(bytes(b ^ 0x10 for b in data))


def check_h5dump(path, damaged_path):
    h5dump = shutil.which("h5dump")
    assert h5dump is not None, "h5dump not found (Debian hdf5-tools; run scripts/install-deps.sh)"
    good = subprocess.run([h5dump, "-d", "/data/float64", path], capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert "-3, -2.5, -2" in good.stdout, good.stdout[:400]
    bad = subprocess.run([h5dump, "-d", "/data/float64", damaged_path], capture_output=True, text=True)
    assert bad.returncode != 0, "h5dump read damaged data without an error"


def check_damaged(path):
    import h5py

    with h5py.File(path, "r") as f:
        assert np.array_equal(f["data/int32"][()], expected("int32", 60).reshape(3, 4, 5))
        try:
            f["data/float64"][()]
        except OSError as error:
            assert "Fletcher32" in str(error) or "filter" in str(error), error
        else:
            raise AssertionError("h5py read damaged data without an error")


def check_zstd_needs_a_plugin(path):
    """In a fresh interpreter without hdf5plugin, the zstd data must not read."""
    script = ("import sys, h5py\n"
              "try:\n"
              "    h5py.File(sys.argv[1], 'r')['data/float32'][()]\n"
              "except OSError:\n"
              "    sys.exit(0)\n"
              "sys.exit('zstd data read without any plugin')\n")
    result = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def check_pair(parallel, serial, compression):
    import h5py

    with h5py.File(parallel, "r") as p, h5py.File(serial, "r") as s:
        for name in ["uint8", "uint16", "int32", "int64", "float16", "float32", "float64"]:
            ours, theirs = p["data/" + name], s["data/" + name]
            want = expected(name, 12 * 30 * 7).reshape(12, 30, 7)
            assert np.array_equal(ours[()], want), (compression, name)
            assert np.array_equal(ours[()], theirs[()]), (compression, name)
            assert ours._filters == theirs._filters and ours.chunks == theirs.chunks, (name, ours._filters)
            assert ours.fletcher32, (compression, name)
            for row in range(12):
                mask_ours, bytes_ours = ours.id.read_direct_chunk((row, 0, 0))
                mask_theirs, bytes_theirs = theirs.id.read_direct_chunk((row, 0, 0))
                assert mask_ours == mask_theirs and bytes_ours == bytes_theirs, (compression, name, row)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer", required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--plugin-dir", help="folder of occ's h5zstd plugin")
    source.add_argument("--hdf5plugin", action="store_true", help="read zstd through the hdf5plugin package")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.hdf5plugin:
            os.environ["HDF5_PLUGIN_PATH"] = os.path.join(folder, "no-plugins")
            os.mkdir(os.environ["HDF5_PLUGIN_PATH"])
            probe = os.path.join(folder, "probe.h5")
            subprocess.run([args.writer, "dtypes", probe, "zstd"], check=True)
            check_zstd_needs_a_plugin(probe)
            import hdf5plugin  # noqa: F401  registers its filters with h5py's HDF5

            print("hdf5plugin", hdf5plugin.version)
        else:
            os.environ["HDF5_PLUGIN_PATH"] = args.plugin_dir
        for compression in ["deflate", "deflate:9", "zstd", "zstd:19", "none"]:
            path = os.path.join(folder, compression.replace(":", "_") + ".h5")
            subprocess.run([args.writer, "dtypes", path, compression], check=True)
            check(path, compression)
            damaged = path + ".damaged.h5"
            shutil.copy(path, damaged)
            damage(damaged, "data/float64")
            check_damaged(damaged)
            if compression in ("deflate", "none"):
                check_h5dump(path, damaged)
            parallel, serial = path + ".parallel.h5", path + ".serial.h5"
            subprocess.run([args.writer, "pair", parallel, serial, compression], check=True)
            check_pair(parallel, serial, compression)
            print("ok", compression)
    return 0


if __name__ == "__main__":
    sys.exit(main())
