#!/usr/bin/python3
"""Interop test of `occ export`: the tools people read these formats with
(numpy, pickle, torch, the safetensors package, plyfile, the nuScenes devkit)
read every export format and see the right dtypes, shapes and values. Run
with the venv scripts/install-deps.sh makes; a missing package fails.

The input files come from tests/tools/export_test_writer (see its comments):
frames.h5 + pred.h5 (Occ3D grid, two keyframes 10 m apart, LiDAR at (1, 0, 2)
in the ego frame), kitti.h5 + kitti.pred.h5 (SemanticKITTI grid), model.h5 and scene.h5 (a
frames file with images, occupancy, LiDAR and boxes for the nuscenes layout).
The OpenOcc rays are checked against an independent Python port of the
RayIoU ray casting (SparseOcc ray_metrics.py + lib/dvr/dvr.cu, test phase).
"""
import argparse
import gzip
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

OCC3D_FREE = 17
OPENOCC = ['car', 'truck', 'trailer', 'bus', 'construction_vehicle', 'bicycle', 'motorcycle',
           'pedestrian', 'traffic_cone', 'barrier', 'driveable_surface', 'other_flat', 'sidewalk',
           'terrain', 'manmade', 'vegetation', 'free']
OCC3D = ['others', 'barrier', 'bicycle', 'bus', 'car', 'construction_vehicle', 'motorcycle',
         'pedestrian', 'traffic_cone', 'trailer', 'truck', 'driveable_surface', 'other_flat',
         'sidewalk', 'terrain', 'manmade', 'vegetation', 'free']
LEARNING_MAP_INV = [0, 10, 11, 15, 18, 20, 30, 31, 32, 40, 44, 48, 49, 50, 51, 70, 71, 72, 80, 81]


def sparse_hash(v):
    return ((v * 2654435761) & 0xFFFFFFFF) >> 8


def expected_pred():
    """The two frames export_test_writer predicts: semantics and flow."""
    sem = np.full((2, 200, 200, 16), OCC3D_FREE, np.uint8)
    flow = np.zeros((2, 200, 200, 16, 2), np.float16)
    sem[0, 150, :, :] = 4
    flow[0, 150, :, :] = (1.5, -0.25)
    sem[0, 100, 100, 5] = 7
    v = np.arange(200 * 200 * 16, dtype=np.uint64)
    h = sparse_hash(v)
    sem[1] = np.where(h % 1000 < 30, h % 17, OCC3D_FREE).astype(np.uint8).reshape(200, 200, 16)
    flow[1, ..., 0] = ((v % 7) / 2).astype(np.float16).reshape(200, 200, 16)
    flow[1, ..., 1] = (-(v % 5.0) / 4).astype(np.float16).reshape(200, 200, 16)
    return sem, flow


def run(argv):
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"FAIL {' '.join(argv)}: exit {result.returncode}\n{result.stderr}")


def check(condition, message):
    if not condition:
        sys.exit(f"FAIL {message}")


def check_occ3d_npz(folder, sem):
    for i, token in enumerate(['sample-a', 'sample-b']):
        path = os.path.join(folder, token + '.npz')
        with zipfile.ZipFile(path) as archive:
            check([e.compress_type for e in archive.infolist()] == [zipfile.ZIP_DEFLATED],
                  'occ3d-npz entries are deflated like np.savez_compressed')
        # As the challenge code reads a submission: np.load (pickles allowed)
        # and the one unnamed array np.savez_compressed(path, pred) stores.
        with np.load(path, allow_pickle=True) as data:
            check(list(data.keys()) == ['arr_0'], f'{path}: keys {list(data.keys())}')
            array = data['arr_0']
            check(array.dtype != object, f'{path}: a plain array, no pickled object')
            check(array.dtype == np.uint8 and array.shape == (200, 200, 16), f'{path}: {array.dtype} {array.shape}')
            check(np.array_equal(array, sem[i]), f'{path}: values differ')


def check_semantickitti(folder):
    classes = (np.arange(256 * 256 * 32) % 20).astype(np.uint16)
    label = np.fromfile(os.path.join(folder, 'sequences/08/predictions/000010.label'), dtype=np.uint16)
    check(label.size == 256 * 256 * 32, 'semantickitti .label has one uint16 per voxel')
    check(np.array_equal(label, np.array(LEARNING_MAP_INV, np.uint16)[classes]), '.label holds original ids')
    packed = np.fromfile(os.path.join(folder, 'sequences/08/voxels/000010.bin'), dtype=np.uint8)
    check(packed.size == 256 * 256 * 32 // 8, '.bin is 262,144 bytes, one bit per voxel')
    # semantic-kitti-api io_data.unpack: MSB first.
    check(np.array_equal(np.unpackbits(packed), (classes != 0).astype(np.uint8)), '.bin is the occupancy')
    check(not os.path.exists(os.path.join(folder, 'sequences/08/voxels/000010.invalid')),
          'no .invalid without /occupancy/mask_lidar')


def check_ply_file(path, sem_frame):
    """plyfile reads positions, colours and classes of one exported frame."""
    from plyfile import PlyData
    ply = PlyData.read(path)
    check(not ply.text and ply.byte_order == '<', f'{path}: binary little endian')
    check([e.name for e in ply.elements] == ['vertex'], f'{path}: elements {[e.name for e in ply.elements]}')
    vertex = ply['vertex']
    check([(p.name, p.val_dtype) for p in vertex.properties] ==
          [('x', 'f4'), ('y', 'f4'), ('z', 'f4'), ('red', 'u1'), ('green', 'u1'), ('blue', 'u1'), ('label', 'u1')],
          f'{path}: properties {[(p.name, p.val_dtype) for p in vertex.properties]}')
    check(vertex.count == int((sem_frame != OCC3D_FREE).sum()), f'{path}: one vertex per occupied voxel')
    xyz = np.stack([vertex['x'], vertex['y'], vertex['z']], axis=1)
    # Each vertex sits at its voxel's centre and carries that voxel's class.
    index = np.floor((xyz.astype(np.float64) - [-40, -40, -1]) / 0.4).astype(np.int64)
    check(np.allclose(xyz, (index + 0.5) * 0.4 + [-40, -40, -1], atol=1e-4), f'{path}: vertices at voxel centres')
    check(np.array_equal(vertex['label'], sem_frame[index[:, 0], index[:, 1], index[:, 2]]), f'{path}: labels')
    check(len({tuple(i) for i in index}) == vertex.count, f'{path}: each occupied voxel once')
    colours = np.stack([vertex['red'], vertex['green'], vertex['blue']], axis=1)
    check(np.all(colours[vertex['label'] == 7] == [255, 0, 0]), f'{path}: pedestrian red')
    check(np.all(colours[vertex['label'] == 4] == [0, 150, 245]), f'{path}: car blue')
    # One colour per class: the palette is a function of the label.
    for label in np.unique(vertex['label']):
        check(len(np.unique(colours[vertex['label'] == label], axis=0)) == 1, f'{path}: class {label} one colour')


def check_ply(folder, sem):
    check(sorted(os.listdir(folder)) == ['sample-a.ply', 'sample-b.ply'], f'ply files {sorted(os.listdir(folder))}')
    for i, token in enumerate(['sample-a', 'sample-b']):
        check_ply_file(os.path.join(folder, token + '.ply'), sem[i])
    from plyfile import PlyData
    vertex = PlyData.read(os.path.join(folder, 'sample-a.ply'))['vertex']
    pedestrian = vertex['label'] == 7
    check(pedestrian.sum() == 1, 'sample-a: one pedestrian vertex')
    check(np.allclose([vertex['x'][pedestrian][0], vertex['y'][pedestrian][0], vertex['z'][pedestrian][0]],
                      [0.2, 0.2, 1.2]), 'voxel (100, 100, 5) has its centre at (0.2, 0.2, 1.2)')


def lidar_rays():
    pitches = [-(math.pi / 2 - math.atan(k + 1)) for k in range(10)]
    while pitches[-1] < 0.21:
        pitches.append(pitches[-1] + pitches[-1] - pitches[-2])
    rays = []
    for pitch in pitches:
        for degrees in range(360):
            azimuth = np.deg2rad(degrees)
            rays.append((np.cos(pitch) * np.cos(azimuth), np.cos(pitch) * np.sin(azimuth), np.sin(pitch)))
    return np.array(rays, dtype=np.float32)


def cast(occupied, origin_grid, end_grid):
    """One ray through occupied[x, y, z], grid units: (distance, voxel)."""
    o = [float(c) for c in origin_grid]
    r = [float(end_grid[a]) - o[a] for a in range(3)]
    length = math.sqrt(sum(c * c for c in r))
    d = [c / length for c in r]
    v = [int(c) for c in o]
    step = [1 if c >= 0 else -1 for c in d]
    t_max = [((v[a] + (0 if step[a] < 0 else 1)) - o[a]) / d[a] if d[a] != 0 else sys.float_info.max
             for a in range(3)]
    t_delta = [step[a] / d[a] if d[a] != 0 else sys.float_info.max for a in range(3)]
    size = occupied.shape
    path, exits, was_inside, steps = [], [], False, 0
    while True:
        inside = all(0 <= v[a] < size[a] for a in range(3))
        if inside:
            was_inside = True
            path.append(tuple(v))
        elif was_inside:
            break
        if t_max[0] < t_max[1]:
            axis = 0 if t_max[0] < t_max[2] else 2
        else:
            axis = 1 if t_max[1] < t_max[2] else 2
        distance = t_max[axis]
        v[axis] += step[axis]
        t_max[axis] += t_delta[axis]
        if inside:
            exits.append(distance)
        steps += 1
        if steps > 1000:
            break
    if not path:
        return -1.0, (0, 0, 0)
    for i, voxel in enumerate(path):
        if occupied[voxel]:
            return exits[i], voxel
    return exits[-1], path[-1]


def check_openocc(path, sem, flow):
    with gzip.open(path, 'rb') as f:
        submission = pickle.load(f)
    # The challenge's own tools write and read it as one gzip stream of one pickle.
    with open(path, 'rb') as f:
        check(pickle.loads(gzip.decompress(f.read())).keys() == submission.keys(), 'gzip.decompress + pickle.loads')
    check(set(submission) == {'method', 'team', 'authors', 'e-mail', 'institution / company', 'country / region',
                              'results'}, f'submission keys {sorted(submission)}')
    for token, result in submission['results'].items():
        check(set(result) == {'pcd_cls', 'pcd_dist', 'pcd_flow'}, f'{token}: keys {sorted(result)}')
        for key, array in result.items():
            check(type(array) is np.ndarray and array.flags['C_CONTIGUOUS'], f'{token} {key}: a C-order ndarray')
        check(int(result['pcd_cls'].max()) <= 16 and np.isfinite(result['pcd_dist']).all()
              and (result['pcd_dist'] >= 0).all() and np.isfinite(result['pcd_flow']).all(), f'{token}: values')
    check(submission['method'] == 'occ-test' and submission['team'] == 'T', 'submission header')
    check(submission['authors'] == ['A B', 'C D'], f"authors {submission['authors']}")
    for key in ['e-mail', 'institution / company', 'country / region']:
        check(isinstance(submission[key], str), f'{key} is a str')
    results = submission['results']
    check(sorted(results) == ['sample-a', 'sample-b'], f'tokens {sorted(results)}')
    to_openocc = np.array([OPENOCC.index(n) if n in OPENOCC else 16 for n in OCC3D], np.uint8)
    rays = lidar_rays()
    origins = {'sample-a': [(1, 0, 2), (11, 0, 2)], 'sample-b': [(-9, 0, 2), (1, 0, 2)]}
    offset = np.array([-40, -40, -1], np.float32).astype(np.float64)
    scale = np.float64(np.float32(0.4))
    for i, token in enumerate(['sample-a', 'sample-b']):
        result = results[token]
        n = rays.shape[0] * 2
        check(result['pcd_cls'].dtype == np.uint8 and result['pcd_cls'].shape == (n,), 'pcd_cls uint8 [N]')
        check(result['pcd_dist'].dtype == np.float16 and result['pcd_dist'].shape == (n,), 'pcd_dist float16 [N]')
        check(result['pcd_flow'].dtype == np.float16 and result['pcd_flow'].shape == (n, 2), 'pcd_flow [N, 2]')
        labels = to_openocc[sem[i]]
        occupied = labels != 16
        for t, origin in enumerate(origins[token]):
            origin = np.array(origin, np.float64)
            origin_grid = ((origin - offset) / scale).astype(np.float32)
            ends = ((rays.astype(np.float64) + origin - offset) / scale).astype(np.float32)
            for k in range(0, rays.shape[0], 23):  # every 23rd ray keeps the test fast
                distance, voxel = cast(occupied, origin_grid, ends[k])
                expected_dist = np.float16(np.float32(distance) * np.float32(0.4))
                index = t * rays.shape[0] + k
                check(result['pcd_cls'][index] == labels[voxel], f'{token} ray {index}: class')
                check(result['pcd_dist'][index] == expected_dist,
                      f"{token} ray {index}: distance {result['pcd_dist'][index]} != {expected_dist}")
                check(np.array_equal(result['pcd_flow'][index], flow[i][voxel]), f'{token} ray {index}: flow')
    level = 18 * 360  # the level ray along +x from (1, 0, 2) stops at the car wall's far side
    check(results['sample-a']['pcd_cls'][level] == 0, 'car is OpenOcc class 0')
    check(abs(float(results['sample-a']['pcd_dist'][level]) - 19.4) < 0.02, 'wall at 20.4 m, LiDAR at 1 m')


def check_torch(path):
    import torch
    for weights_only in (False, True):
        state = torch.load(path, weights_only=weights_only) if weights_only else torch.load(path)
        check(sorted(state) == ['encoder.bias', 'encoder.weight', 'head.scale', 'head.steps'], f'keys {sorted(state)}')
        check(state['encoder.weight'].dtype == torch.float32 and tuple(state['encoder.weight'].shape) == (2, 3),
              'encoder.weight float32 [2, 3]')
        check(torch.equal(state['encoder.weight'], torch.arange(6, dtype=torch.float32).reshape(2, 3)), 'weight')
        check(state['encoder.bias'].dtype == torch.float16, 'bias float16')
        check(state['encoder.bias'].tolist() == [0.5, -1.0, 2.0], 'bias values')
        check(state['head.steps'].dtype == torch.int64 and state['head.steps'].tolist() == [7], 'steps int64')
        check(torch.equal(state['head.scale'], torch.eye(2, dtype=torch.float64)), 'scale float64 identity')
        check(not state['encoder.weight'].requires_grad, 'no grad')


def check_safetensors(path):
    data = open(path, 'rb').read()
    (size,) = struct.unpack('<Q', data[:8])
    check((8 + size) % 8 == 0, 'header keeps the data 8-byte aligned')
    header = json.loads(data[8:8 + size])
    check(header['__metadata__']['format'] == 'pt', 'metadata format pt')
    buffer = data[8 + size:]
    dtypes = {'F16': np.float16, 'F32': np.float32, 'F64': np.float64, 'I64': np.int64}
    tensors, end = {}, 0
    for name, info in sorted(((k, v) for k, v in header.items() if k != '__metadata__'),
                             key=lambda item: item[1]['data_offsets'][0]):
        begin, stop = info['data_offsets']
        check(begin == end, f'{name}: offsets are contiguous')
        end = stop
        tensors[name] = np.frombuffer(buffer[begin:stop], dtype=np.dtype(dtypes[info['dtype']]).newbyteorder('<'))
        tensors[name] = tensors[name].reshape(info['shape'])
    check(end == len(buffer), 'the tensors cover the whole byte buffer')
    check(np.array_equal(tensors['encoder.weight'], np.arange(6, dtype=np.float32).reshape(2, 3)), 'weight')
    check(tensors['encoder.bias'].dtype == np.float16 and tensors['encoder.bias'].tolist() == [0.5, -1.0, 2.0], 'bias')
    check(tensors['head.steps'].tolist() == [7], 'steps')
    # Hugging Face's own loader, both front ends, and its metadata reader.
    import torch
    from safetensors import safe_open
    from safetensors.numpy import load_file as load_numpy
    from safetensors.torch import load_file as load_torch
    by_numpy = load_numpy(path)
    by_torch = load_torch(path)
    check(sorted(by_numpy) == sorted(tensors) and sorted(by_torch) == sorted(tensors), f'names {sorted(by_numpy)}')
    for name, expected in tensors.items():
        check(by_numpy[name].dtype == expected.dtype and np.array_equal(by_numpy[name], expected),
              f'safetensors.numpy {name}')
        check(tuple(by_torch[name].shape) == expected.shape, f'safetensors.torch {name} shape')
        check(np.array_equal(by_torch[name].numpy(), expected), f'safetensors.torch {name} values')
    check(by_torch['encoder.weight'].dtype == torch.float32 and by_torch['encoder.bias'].dtype == torch.float16
          and by_torch['head.steps'].dtype == torch.int64 and by_torch['head.scale'].dtype == torch.float64,
          'safetensors.torch dtypes')
    with safe_open(path, framework='pt') as f:
        check(f.metadata()['format'] == 'pt', f'metadata {f.metadata()}')
        check(sorted(f.keys()) == sorted(tensors), 'safe_open keys')
        check(torch.equal(f.get_slice('encoder.weight')[1:, :2], torch.tensor([[3.0, 4.0]])), 'safe_open slice')


def quaternion_matrix(q):
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def check_nuscenes(folder, frames_path):
    """Every token a table names exists; files, poses and Occ3D labels match the frames file."""
    import h5py
    tables = {}
    for name in ['scene', 'sample', 'sample_data', 'ego_pose', 'calibrated_sensor', 'sensor', 'log', 'map',
                 'category', 'instance', 'sample_annotation', 'attribute', 'visibility']:
        with open(os.path.join(folder, 'v1.0-trainval', name + '.json')) as f:
            tables[name] = {record['token']: record for record in json.load(f)}
    links = {'scene': {'log_token': 'log', 'first_sample_token': 'sample', 'last_sample_token': 'sample'},
             'sample': {'scene_token': 'scene'},
             'sample_data': {'sample_token': 'sample', 'ego_pose_token': 'ego_pose',
                             'calibrated_sensor_token': 'calibrated_sensor'},
             'calibrated_sensor': {'sensor_token': 'sensor'},
             'instance': {'category_token': 'category', 'first_annotation_token': 'sample_annotation',
                          'last_annotation_token': 'sample_annotation'},
             'sample_annotation': {'sample_token': 'sample', 'instance_token': 'instance',
                                   'visibility_token': 'visibility'}}
    for table, fields in links.items():
        for record in tables[table].values():
            for field, target in fields.items():
                check(record[field] in tables[target], f'{table}.{field} -> {target}')
            for chain in ('prev', 'next'):
                if chain in record and record[chain]:
                    check(record[chain] in tables[table], f'{table}.{chain}')
    check(sorted(tables['sample']) == ['key-0', 'key-1'], 'keyframes are the samples')
    with h5py.File(frames_path, 'r') as frames:
        ego_from_camera = frames['/cameras/ego_from_camera'][0, 0]
        semantics = frames['/occupancy/semantics'][()]
        mask_camera = frames['/occupancy/mask_camera'][()]
    sensors = tables['sensor']
    for record in tables['sample_data'].values():
        path = os.path.join(folder, record['filename'])
        check(os.path.exists(path), f"{record['filename']} exists")
        calibration = tables['calibrated_sensor'][record['calibrated_sensor_token']]
        if sensors[calibration['sensor_token']]['channel'] == 'CAM_FRONT':
            check(open(path, 'rb').read(2) == b'\xff\xd8', 'camera images are JPEG')
            check((record['width'], record['height']) == (16, 8), 'image size')
            check(np.allclose(quaternion_matrix(calibration['rotation']), ego_from_camera[:3, :3]), 'camera rotation')
            check(np.allclose(calibration['translation'], ego_from_camera[:3, 3]), 'camera translation')
        else:
            points = np.fromfile(path, dtype=np.float32).reshape(-1, 5)
            check(np.allclose(points[0, :3], [4, 0, -1]), 'LiDAR points in the sensor frame')
        pose = tables['ego_pose'][record['ego_pose_token']]
        check(pose['rotation'] == [1, 0, 0, 0] and 100 <= pose['translation'][0] <= 102, 'ego pose')
    for i, token in [(0, 'key-0'), (2, 'key-1')]:
        with np.load(os.path.join(folder, 'gts/scene-0', token, 'labels.npz')) as labels:
            check(sorted(labels.keys()) == ['mask_camera', 'semantics'], f'labels.npz keys {sorted(labels.keys())}')
            check(labels['semantics'].dtype == np.uint8 and labels['semantics'].shape == (200, 200, 16), 'semantics')
            check(np.array_equal(labels['semantics'], semantics[i]), 'semantics values')
            check(np.array_equal(labels['mask_camera'], mask_camera[i]), 'mask_camera values')
    annotations = sorted(tables['sample_annotation'].values(), key=lambda a: a['translation'][0])
    check([a['translation'] for a in annotations] == [[105, 0, 1], [106, 0, 1]], 'boxes in the global frame')
    check([a['num_lidar_pts'] for a in annotations] == [1, 1], 'LiDAR points inside each box')


def match_boxes(boxes, transform, centres):
    """Pairs each devkit box with the frames-file box whose centre, moved by
    `transform`, it sits on (1e-6 m): (box, index into centres), each index once."""
    moved = centres @ transform[:3, :3].T + transform[:3, 3]
    pairs = []
    for box in boxes:
        distance = np.linalg.norm(moved - box.center, axis=1)
        pairs.append((box, int(np.argmin(distance))))
        check(distance.min() < 1e-6, f'box at {box.center}: nearest frames box {distance.min()} m away')
    check(len({b for _, b in pairs}) == len(pairs), 'each frames box once')
    return pairs


def check_nuscenes_devkit(folder, frames_path, velocity=None):
    """The nuScenes devkit opens the export and walks it: scenes, samples,
    sample_data chains, calibrations, poses, LiDAR and boxes equal the frames file's."""
    import h5py
    from nuscenes.nuscenes import NuScenes
    from nuscenes.utils.data_classes import LidarPointCloud
    from nuscenes.utils.geometry_utils import BoxVisibility, transform_matrix
    from pyquaternion import Quaternion

    nusc = NuScenes(version='v1.0-trainval', dataroot=folder, verbose=False)
    with h5py.File(frames_path, 'r') as f:
        tokens = [t.decode() if isinstance(t, bytes) else t for t in f['/frames/token'][()]]
        keyframe = f['/frames/is_keyframe'][()].astype(bool)
        timestamps = f['/frames/timestamp_us'][()]
        scene_of = f['/frames/scene'][()]
        scene_names = [n.decode() if isinstance(n, bytes) else n for n in f['/scenes/name'][()]]
        world_from_ego = f['/frames/world_from_ego'][()]
        ego_from_camera = f['/cameras/ego_from_camera'][()]
        intrinsics = f['/cameras/intrinsics'][()]
        camera_names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs['camera_names']]
        lidar_origin = f['/lidar/origin'][()]
        lidar_offsets = f['/lidar/offsets'][()]
        lidar_points = f['/lidar/points'][()]
        box_offsets = f['/boxes/offsets'][()]
        box_center = f['/boxes/center'][()]
        box_wlh = f['/boxes/size_wlh'][()]
        box_yaw = f['/boxes/yaw'][()]
        box_instance = f['/boxes/instance'][()]
        class_names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs['class_names']]
        box_class = f['/boxes/class'][()]
    row_of = {token: row for row, token in enumerate(tokens)}
    channels = camera_names + ['LIDAR_TOP']

    # Scenes and their sample chains: every keyframe once, in time order.
    check(sorted(s['name'] for s in nusc.scene) == sorted({scene_names[i] for i in scene_of}), 'scene names')
    walked = []
    for scene in nusc.scene:
        token, samples = scene['first_sample_token'], []
        while token:
            sample = nusc.get('sample', token)
            check(sample['scene_token'] == scene['token'], f'{token}: scene')
            samples.append(token)
            token = sample['next']
        check(samples[-1] == scene['last_sample_token'] and len(samples) == scene['nbr_samples'], 'sample chain')
        expected = [tokens[r] for r in range(len(tokens)) if keyframe[r] and scene_names[scene_of[r]] == scene['name']]
        check(samples == expected, f"{scene['name']}: samples {samples} != keyframes {expected}")
        walked += samples
    check(sorted(walked) == sorted(s['token'] for s in nusc.sample), 'every sample is on a scene chain')

    annotations_seen = 0
    for token in walked:
        sample = nusc.get('sample', token)
        row = row_of[token]
        check(sample['timestamp'] == timestamps[row], f'{token}: timestamp')
        check(sorted(sample['data']) == sorted(channels), f"{token}: channels {sorted(sample['data'])}")
        for channel in channels:
            data = nusc.get('sample_data', sample['data'][channel])
            check(data['is_key_frame'] and data['timestamp'] == timestamps[row], f'{token} {channel}: keyframe data')
            if token == nusc.get('scene', sample['scene_token'])['first_sample_token']:
                # The sensor's whole sample_data chain: every frame of the
                # scene (keyframes and sweeps) once, in time order.
                record = data
                while record['prev']:
                    record = nusc.get('sample_data', record['prev'])
                chain = []
                while True:
                    chain.append((record['timestamp'], record['is_key_frame']))
                    if not record['next']:
                        break
                    record = nusc.get('sample_data', record['next'])
                scene_rows = [r for r in range(len(tokens)) if scene_of[r] == scene_of[row]]
                check(chain == [(timestamps[r], bool(keyframe[r])) for r in scene_rows],
                      f'{channel}: sample_data chain {chain}')
            calibration = nusc.get('calibrated_sensor', data['calibrated_sensor_token'])
            check(nusc.get('sensor', calibration['sensor_token'])['channel'] == channel, f'{channel}: sensor')
            sensor_to_ego = transform_matrix(calibration['translation'], Quaternion(calibration['rotation']))
            pose = nusc.get('ego_pose', data['ego_pose_token'])
            ego_to_world = transform_matrix(pose['translation'], Quaternion(pose['rotation']))
            check(np.allclose(ego_to_world, world_from_ego[row]), f'{token} {channel}: ego pose')
            path = nusc.get_sample_data_path(data['token'])
            check(os.path.isfile(path), f'{path} exists')
            if channel != 'LIDAR_TOP':
                camera = camera_names.index(channel)
                check(np.allclose(sensor_to_ego, ego_from_camera[row, camera]), f'{token} {channel}: extrinsics')
                check(np.allclose(calibration['camera_intrinsic'], intrinsics[row, camera]), f'{channel}: intrinsics')
                _, boxes, camera_intrinsic = nusc.get_sample_data(data['token'], box_vis_level=BoxVisibility.NONE)
                check(np.allclose(camera_intrinsic, intrinsics[row, camera]), f'{channel}: get_sample_data intrinsic')
            else:
                check(np.allclose(sensor_to_ego[:3, 3], lidar_origin[row]), f'{token}: LiDAR origin')
                cloud = LidarPointCloud.from_file(path)
                ego_points = sensor_to_ego[:3, :3] @ cloud.points[:3] + sensor_to_ego[:3, 3:4]
                want = lidar_points[lidar_offsets[row]:lidar_offsets[row + 1]]
                check(np.allclose(ego_points.T, want[:, :3], atol=1e-5), f'{token}: LiDAR points')
                check(np.array_equal(cloud.points[3], want[:, 3]), f'{token}: LiDAR intensity')
                _, boxes, _ = nusc.get_sample_data(data['token'])
            # Boxes of this keyframe in the sensor frame, as the devkit moves them.
            begin, end = box_offsets[row], box_offsets[row + 1]
            check(len(boxes) == end - begin, f'{token} {channel}: {len(boxes)} boxes, frames file {end - begin}')
            ego_to_sensor = np.linalg.inv(sensor_to_ego)
            for box, b in match_boxes(boxes, ego_to_sensor, box_center[begin:end]):
                b += begin
                check(np.allclose(box.wlh, box_wlh[b]), f'{token} {channel}: box size')
                heading = ego_to_sensor[:3, :3] @ [np.cos(box_yaw[b]), np.sin(box_yaw[b]), 0]
                check(np.allclose(box.rotation_matrix[:, 0], heading), f'{token} {channel}: box heading')
                check(box.name == class_names[box_class[b]], f'{token}: box category {box.name}')
        # Global-frame boxes, straight from sample_annotation.
        begin, end = box_offsets[row], box_offsets[row + 1]
        boxes = [nusc.get_box(a) for a in sample['anns']]
        check(len(boxes) == end - begin, f'{token}: annotations')
        for box, b in match_boxes(boxes, world_from_ego[row], box_center[begin:end]):
            b += begin
            heading = world_from_ego[row][:3, :3] @ [np.cos(box_yaw[b]), np.sin(box_yaw[b]), 0]
            check(np.allclose(box.rotation_matrix[:, 0], heading), f'{token}: global box heading')
            check(np.allclose(box.wlh, box_wlh[b]), f'{token}: global box size')
        annotations_seen += len(boxes)
    # Instances: one per frames-file instance of a scene, annotations chained in time.
    check(annotations_seen == len(nusc.sample_annotation), 'every annotation belongs to a walked sample')
    instances = {(scene_names[scene_of[r]], int(box_instance[b]))
                 for r in range(len(tokens)) if keyframe[r] for b in range(box_offsets[r], box_offsets[r + 1])}
    check(len(nusc.instance) == len(instances), f'{len(nusc.instance)} instances, frames file {len(instances)}')
    for instance in nusc.instance:
        token, count = instance['first_annotation_token'], 0
        while token:
            annotation = nusc.get('sample_annotation', token)
            check(annotation['instance_token'] == instance['token'], 'annotation chain stays on its instance')
            count += 1
            last, token = token, annotation['next']
        check(count == instance['nbr_annotations'] and last == instance['last_annotation_token'], 'instance chain')
        category = nusc.get('category', instance['category_token'])['name']
        check(category in class_names, f'category {category}')
    if velocity is not None:
        # The devkit's own velocity estimate from the chained annotations (m/s, global frame).
        first = nusc.get('sample_annotation', nusc.instance[0]['first_annotation_token'])
        check(np.allclose(nusc.box_velocity(first['token'])[:2], velocity), 'box_velocity')


def export_and_check(fmt, occ, folder, sem, flow):
    def at(name):
        return os.path.join(folder, name)
    if fmt == 'occ3d-npz':
        run([occ, 'export', '-q', at('pred.h5'), '--gt', at('frames.h5'), '-f', fmt, '-o', at('npz')])
        check_occ3d_npz(at('npz'), sem)
    elif fmt == 'semantickitti':
        run([occ, 'export', '-q', at('kitti.pred.h5'), '--gt', at('kitti.h5'), '-f', fmt, '-o', at('kitti')])
        check_semantickitti(at('kitti'))
    elif fmt == 'ply':
        run([occ, 'export', '-q', at('pred.h5'), '--gt', at('frames.h5'), '-f', fmt, '-o', at('ply')])
        check_ply(at('ply'), sem)
        run([occ, 'export', '-q', at('pred.h5'), '--gt', at('frames.h5'), '-f', fmt, '-o', at('one.ply'),
             '--frame', '1'])
        check_ply_file(at('one.ply'), sem[1])
    elif fmt == 'openocc':
        run([occ, 'export', '-q', at('pred.h5'), '--gt', at('frames.h5'), '-f', fmt, '-o', at('submission.gz'),
             '--method', 'occ-test', '--team', 'T', '--authors', 'A B,C D'])
        check_openocc(at('submission.gz'), sem, flow)
    elif fmt == 'torch':
        run([occ, 'export', '-q', at('model.h5'), '-f', fmt, '-o', at('model.pt')])
        check_torch(at('model.pt'))
    elif fmt == 'nuscenes':
        run([occ, 'export', '-q', at('scene.h5'), '-f', fmt, '-o', at('nuscenes')])
        check_nuscenes(at('nuscenes'), at('scene.h5'))
        # The test boxes move +1 m in x over 1 s.
        check_nuscenes_devkit(at('nuscenes'), at('scene.h5'), velocity=[1.0, 0.0])
        # occ's synthetic world: six rotated cameras, a turning ego, LiDAR and
        # boxes of every heading.
        run([occ, 'prep', 'synth', '-q', '-o', at('synth.h5'), '--scenes', '2', '--frames-per-scene', '3',
             '--image-size', '32x56', '--grid', '20,20,4,4.0,-40,-40,-1'])
        run([occ, 'export', '-q', at('synth.h5'), '-f', fmt, '-o', at('nuscenes-synth')])
        check_nuscenes_devkit(at('nuscenes-synth'), at('synth.h5'))
    elif fmt == 'safetensors':
        run([occ, 'export', '-q', at('model.h5'), '-f', fmt, '-o', at('model.safetensors')])
        check_safetensors(at('model.safetensors'))
    else:
        sys.exit(f'unknown format {fmt}')


FORMATS = ['occ3d-npz', 'semantickitti', 'ply', 'openocc', 'torch', 'safetensors', 'nuscenes']


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--occ', required=True)
    parser.add_argument('--writer', required=True)
    parser.add_argument('--format', action='append', choices=FORMATS,
                        help='check only this format (repeatable); default: all')
    args = parser.parse_args()
    formats = args.format or FORMATS
    with tempfile.TemporaryDirectory() as folder:
        run([args.writer, folder])
        sem, flow = expected_pred()
        for fmt in formats:
            export_and_check(fmt, args.occ, folder, sem, flow)
    print(f"export interop: {', '.join(formats)} ok")


if __name__ == '__main__':
    main()
