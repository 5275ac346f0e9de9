#!/usr/bin/python3
"""Writes a PNG contact sheet of one frame of an occ frames file: every
camera image (with its semantic map below it) and a bird's-eye view of the
ground-truth occupancy semantics, so a person can look at the synthetic
world until `occ render` exists.

usage: scripts/synth_contact_sheet.py FRAMES.h5 OUT.png [--frame N] [--scale S]
Needs numpy and h5py (Debian python3-numpy, python3-h5py); the PNG encoder
is written here with zlib so nothing else is needed.
"""
import argparse
import struct
import sys
import zlib

import h5py
import numpy as np

# Occ3D-nuScenes colours (the palette of the Occ3D devkit's visualiser).
OCC3D_COLOURS = np.array([
    [0, 0, 0], [255, 120, 50], [255, 192, 203], [255, 255, 0], [0, 150, 245], [0, 255, 255],
    [200, 180, 0], [255, 0, 0], [255, 240, 150], [135, 60, 0], [160, 32, 240], [255, 0, 255],
    [139, 137, 137], [75, 0, 75], [150, 240, 80], [230, 230, 250], [0, 175, 0], [255, 255, 255]], np.uint8)


def palette(count):
    if count == len(OCC3D_COLOURS):
        return OCC3D_COLOURS
    rng = np.random.default_rng(7)
    colours = rng.integers(40, 255, size=(count, 3)).astype(np.uint8)
    colours[0] = 255
    return colours


def write_png(path, rgb):
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        out.write(chunk(b"IEND", b""))


def upscale(image, factor):
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def bev(semantics, free_class, colours):
    """Top-down view: the class of the highest occupied voxel of each column,
    x forward drawn upwards, y left drawn leftwards."""
    occupied = semantics != free_class
    top = np.where(occupied.any(axis=2), semantics.shape[2] - 1 - np.argmax(occupied[:, :, ::-1], axis=2), -1)
    classes = np.take_along_axis(semantics, np.maximum(top, 0)[:, :, None], axis=2)[:, :, 0]
    image = colours[classes]
    image[top < 0] = 255
    return image[::-1, ::-1]  # rows: x descending; columns: y descending (left on the left)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("frames")
    parser.add_argument("output")
    parser.add_argument("--frame", type=int, default=0)
    parser.add_argument("--scale", type=int, default=2, help="pixel repeat factor of the camera tiles")
    args = parser.parse_args()
    with h5py.File(args.frames, "r") as f:
        images = f["/cameras/image"][args.frame]
        semantics = f["/cameras/semantics"][args.frame]
        occupancy = f["/occupancy/semantics"][args.frame]
        free_class = int(f.attrs["free_class"])
        colours = palette(len(f.attrs["class_names"]))
        names = [str(n) for n in f.attrs["camera_names"]]
    # nuScenes' customary layout: front row left to right, then the back row.
    layout = ["CAM_FRONT_LEFT", "CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_BACK_LEFT", "CAM_BACK", "CAM_BACK_RIGHT"]
    order = [names.index(n) for n in layout] if sorted(names) == sorted(layout) else list(range(len(names)))
    tiles = []
    for camera in order:
        tiles.append(np.concatenate([images[camera], colours[semantics[camera]]], axis=0))
    columns = 3 if len(tiles) >= 3 else len(tiles)
    rows = []
    for start in range(0, len(tiles), columns):
        row = tiles[start:start + columns]
        while len(row) < columns:
            row.append(np.zeros_like(tiles[0]))
        rows.append(np.concatenate(row, axis=1))
    cameras = upscale(np.concatenate(rows, axis=0), args.scale)
    view = bev(occupancy, free_class, colours)

    factor = max(1, cameras.shape[0] // view.shape[0])
    view = upscale(view, factor)
    height = max(cameras.shape[0], view.shape[0])
    sheet = np.full((height, cameras.shape[1] + view.shape[1] + 8, 3), 255, np.uint8)
    sheet[:cameras.shape[0], :cameras.shape[1]] = cameras
    sheet[:view.shape[0], cameras.shape[1] + 8:] = view
    write_png(args.output, sheet)
    print(f"wrote {args.output}: frame {args.frame}, {images.shape[0]} cameras and a bird's-eye view")


if __name__ == "__main__":
    sys.exit(main())
