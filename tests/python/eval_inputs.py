"""Writes occ frames and pred files with stock h5py, for the evaluation
parity test and the benchmark. Follows data/schemas/frames.json and pred.json
(root provenance attributes included) so `occ eval` accepts them."""
import json
import uuid

import numpy as np

OCC3D_CLASSES = [
    "others", "barrier", "bicycle", "bus", "car", "construction_vehicle", "motorcycle", "pedestrian",
    "traffic_cone", "trailer", "truck", "driveable_surface", "other_flat", "sidewalk", "terrain", "manmade",
    "vegetation", "free",
]


def _provenance(f, schema):
    import h5py

    text = h5py.string_dtype()
    f.attrs.create("schema", schema, dtype=text)
    f.attrs["schema_version"] = np.int64(1)
    file_uuid = str(uuid.uuid4())
    f.attrs.create("uuid", file_uuid, dtype=text)
    f.attrs.create("occ_version", "test", dtype=text)
    f.attrs.create("created_by", "tests/python/eval_inputs.py", dtype=text)
    f.attrs.create("created_at", "2026-01-01T00:00:00Z", dtype=text)
    f.attrs.create("options", json.dumps({}), dtype=text)
    return file_uuid


def _strings(f, path, values):
    import h5py

    f.create_dataset(path, data=np.array(values, dtype=object), dtype=h5py.string_dtype())


def write_frames(path, semantics, mask_camera=None, mask_lidar=None, flow=None, scenes=None, poses=None,
                 lidar_origin=None, tokens=None, keyframe=None, class_names=OCC3D_CLASSES, free_class=17,
                 grid_origin=(-40.0, -40.0, -1.0), voxel_size=0.4, depth=None, compression="gzip"):
    """semantics: (N, X, Y, Z) uint8. poses: (N, 4, 4) world_from_ego. Returns the file's uuid."""
    import h5py

    n = semantics.shape[0]
    scenes = np.zeros(n, np.int32) if scenes is None else np.asarray(scenes, np.int32)
    poses = np.tile(np.eye(4), (n, 1, 1)) if poses is None else poses
    lidar_origin = np.tile([0.9858, 0.0, 1.8402], (n, 1)) if lidar_origin is None else lidar_origin
    tokens = ["t%05d" % i for i in range(n)] if tokens is None else tokens
    keyframe = np.ones(n, np.uint8) if keyframe is None else np.asarray(keyframe, np.uint8)
    text = h5py.string_dtype()
    opts = dict(compression=compression, chunks=(1,) + semantics.shape[1:]) if compression else {}
    cameras = 1 if depth is None else depth.shape[1]
    with h5py.File(path, "w") as f:
        file_uuid = _provenance(f, "occ.frames")
        f.attrs.create("dataset", "synth", dtype=text)
        f.attrs.create("class_names", class_names, dtype=text)
        f.attrs["free_class"] = np.int64(free_class)
        f.attrs["grid_shape"] = np.array(semantics.shape[1:], np.int64)
        f.attrs["grid_origin_m"] = np.array(grid_origin, np.float64)
        f.attrs["voxel_size_m"] = np.array([voxel_size] * 3, np.float64)
        f.attrs.create("camera_names", ["CAM_%d" % c for c in range(cameras)], dtype=text)
        _strings(f, "scenes/name", ["scene-%04d" % s for s in range(int(scenes.max()) + 1)])
        _strings(f, "frames/token", tokens)
        f["frames/scene"] = scenes
        f["frames/timestamp_us"] = np.arange(n, dtype=np.int64) * 500000
        f["frames/is_keyframe"] = keyframe
        prev = np.array([i - 1 if i > 0 and scenes[i - 1] == scenes[i] else -1 for i in range(n)], np.int32)
        nxt = np.array([i + 1 if i + 1 < n and scenes[i + 1] == scenes[i] else -1 for i in range(n)], np.int32)
        f["frames/prev"] = prev
        f["frames/next"] = nxt
        f["frames/world_from_ego"] = np.asarray(poses, np.float64)
        f["cameras/intrinsics"] = np.tile(np.eye(3), (n, cameras, 1, 1))
        f["cameras/ego_from_camera"] = np.tile(np.eye(4), (n, cameras, 1, 1))
        f["lidar/origin"] = np.asarray(lidar_origin, np.float64)
        f.create_dataset("occupancy/semantics", data=semantics.astype(np.uint8), **opts)
        if mask_camera is not None:
            f.create_dataset("occupancy/mask_camera", data=mask_camera.astype(np.uint8), **opts)
        if mask_lidar is not None:
            f.create_dataset("occupancy/mask_lidar", data=mask_lidar.astype(np.uint8), **opts)
        if flow is not None:
            f.create_dataset("occupancy/flow", data=flow.astype(np.float32), compression=compression)
        if depth is not None:
            f.attrs["image_size"] = np.array(depth.shape[2:], np.int64)
            f["cameras/depth"] = depth.astype(np.float32)
    return file_uuid


def write_pred(path, frames_uuid, semantics, frame_rows=None, flow=None, depth=None, class_names=OCC3D_CLASSES,
               free_class=17, compression="gzip"):
    import h5py

    n = semantics.shape[0]
    frame_rows = np.arange(n, dtype=np.int32) if frame_rows is None else np.asarray(frame_rows, np.int32)
    text = h5py.string_dtype()
    opts = dict(compression=compression, chunks=(1,) + semantics.shape[1:]) if compression else {}
    with h5py.File(path, "w") as f:
        _provenance(f, "occ.pred")
        f.attrs.create("frames_uuid", frames_uuid, dtype=text)
        f.attrs.create("class_names", class_names, dtype=text)
        f.attrs["free_class"] = np.int64(free_class)
        f.attrs["grid_shape"] = np.array(semantics.shape[1:], np.int64)
        f["pred/frame"] = frame_rows
        f.create_dataset("pred/semantics", data=semantics.astype(np.uint8), **opts)
        if flow is not None:
            f["pred/flow"] = flow.astype(np.float16)
        if depth is not None:
            f["pred/depth"] = depth.astype(np.float32)
