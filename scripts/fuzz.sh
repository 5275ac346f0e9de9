#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for a bounded time (not part of
# CI; issue 21, item 6). Builds them with clang in their own build folder
# (-DOCC_FUZZ=ON: ASan + UBSan + libFuzzer coverage, torch-free libraries
# only), makes seed corpora from ../shared/fixtures and small generated
# files, runs each target on one core and prints executions, exec/s, corpus
# size and any crash. A crash input is kept in <build>/fuzz/crashes/; fix it
# and add it as a regression test to the normal suite.
#
#   scripts/fuzz.sh [seconds per target (60)] [build folder (build-fuzz)] [target...]
set -euo pipefail

seconds=${1:-60}
build=${2:-build-fuzz}
shift $(( $# > 2 ? 2 : $# )) || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(fuzz_npy fuzz_npz fuzz_kitti_text fuzz_nuscenes_tables fuzz_schema fuzz_chunk)

here=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${OCC_FIXTURES:-$here/../shared/fixtures}
python=/usr/bin/python3

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCC_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
fi
cmake --build "$build" -j"${JOBS:-2}" --target "${targets[@]}" >/dev/null

work=$build/fuzz
mkdir -p "$work/seeds" "$work/crashes"

# Seeds: the fixtures as they are, plus files numpy writes. A target whose
# first byte picks the reader gets one seed per reader (byte + file).
make_seeds() {
  local seeds=$work/seeds
  rm -rf "$seeds" && mkdir -p "$seeds"/{fuzz_npy,fuzz_npz,fuzz_kitti_text,fuzz_nuscenes_tables,fuzz_schema,fuzz_chunk}
  "$python" - "$fixtures" "$seeds" "$here/data/schemas" <<'PY'
import io, json, os, sys, zipfile
import numpy as np
fixtures, seeds, schemas = sys.argv[1:4]
def put(target, name, data):
    with open(os.path.join(seeds, target, name), 'wb') as f:
        f.write(data)
def npy(array):
    buffer = io.BytesIO(); np.save(buffer, array); return buffer.getvalue()
# .npy: the Occ3D fixture's members and one array of each dtype occ reads.
gt = os.path.join(fixtures, 'occ3d_nuscenes/gts/29796060110c4163b07f06eff4af0753/labels.npz')
with zipfile.ZipFile(gt) as archive:
    for member in archive.namelist():
        put('fuzz_npy', 'occ3d_' + member, archive.read(member)[:4096])
for dtype in ['u1', 'bool', 'i2', 'i4', 'i8', '<u2', '>i4', 'f2', 'f4', '<f8', '>f4']:
    put('fuzz_npy', 'small_' + dtype.replace('<', 'le').replace('>', 'be'),
        npy(np.arange(24).reshape(2, 3, 4).astype(dtype)))
put('fuzz_npy', 'fortran', npy(np.asfortranarray(np.ones((3, 2), 'u1'))))
# .npz: the fixture and small archives, stored and deflated.
put('fuzz_npz', 'occ3d_labels.npz', open(gt, 'rb').read())
for compressed in (False, True):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, semantics=np.full((4, 4, 2), 17, 'u1'),
                                                      mask_camera=np.ones((4, 4, 2), bool))
    put('fuzz_npz', 'small_%s.npz' % ('deflated' if compressed else 'stored'), buffer.getvalue())
# KITTI / SemanticKITTI readers, selected by the first byte (see fuzz_kitti_text.cpp).
text = lambda path, lines=60: b''.join(open(os.path.join(fixtures, path), 'rb').readlines()[:lines])
oxts = ' '.join(['49.011212804408', '8.4228850417969', '112.83492279053', '0', '0', '0.3'] + ['0'] * 24) + '\n'
readers = [
    (0, 'kitti_calib', text('kitti_tracking/training/calib/0001.txt')),
    (1, 'kitti_oxts', (oxts * 3).encode()),
    (2, 'kitti_labels', text('kitti_tracking/training/label_02/0001.txt', 40)),
    (3, 'semantickitti_calib', text('semantickitti/sequences/08/calib.txt')),
    (4, 'semantickitti_poses', text('semantickitti/sequences/08/poses.txt', 20)),
    (5, 'semantickitti_times', text('semantickitti/sequences/08/times.txt', 20)),
    (6, 'packed_voxels', bytes(256 * 256 * 32 // 8)),
    (7, 'voxel_labels', np.arange(64, dtype='<u2').tobytes()),
    (8, 'velodyne_scan', open(os.path.join(fixtures, 'semantickitti/sequences/00/velodyne/000000.bin'), 'rb').read()),
]
for selector, name, data in readers:
    put('fuzz_kitti_text', name, bytes([selector]) + data)
# nuScenes tables, in fuzz_nuscenes_tables.cpp's order.
tables = ['sensor', 'calibrated_sensor', 'ego_pose', 'scene', 'sample', 'sample_data', 'category', 'instance',
          'sample_annotation']
for selector, table in enumerate(tables):
    data = open(os.path.join(fixtures, 'lyft_nuscenes_schema/v1.01-train', table + '.json'), 'rb').read()
    put('fuzz_nuscenes_tables', table, bytes([selector]) + data)
# Schemas: the shipped ones and one that names every dataset of the target file.
for name in os.listdir(schemas):
    if name.endswith('.json'):
        put('fuzz_schema', name, open(os.path.join(schemas, name), 'rb').read())
put('fuzz_schema', 'target.json', json.dumps({
    'schema': 'occ.fuzz', 'version': 1,
    'attributes': {'grid_shape': {'type': 'int[]', 'required': True, 'binds': ['X', 'Y', 'Z']},
                   'class_names': {'type': 'string[]', 'required': True, 'length_binds': 'K'}},
    'datasets': {
        '/names': {'dtype': 'string', 'shape': ['S']},
        '/scene': {'dtype': 'int32', 'shape': ['N'], 'checks': [{'check': 'row_index', 'of': '/names'}]},
        '/time': {'dtype': 'int64', 'shape': ['N'], 'checks': [{'check': 'increasing_within_scene', 'of': '/scene'}]},
        '/pose': {'dtype': 'float64', 'shape': ['N', 4, 4], 'checks': ['finite', 'rotation']},
        '/offsets': {'dtype': 'int64', 'shape': ['N+1'], 'checks': [{'check': 'offsets', 'of': '/points'}]},
        '/points': {'dtype': 'float32', 'shape': ['P', 4], 'checks': [{'check': 'finite', 'when': 'validate'}]},
        '/grid': {'dtype': 'uint8', 'shape': ['N', 'X', 'Y', 'Z'], 'checks': [{'check': 'range', 'below': 'K'}]},
        '/count': {'dtype': 'int32', 'shape': ['N'], 'checks': [{'check': 'range', 'min': 0, 'max': 3}]},
        '/prob': {'dtype': 'float16', 'shape': ['N', 'K'], 'checks': [{'check': 'range', 'min': 0, 'max': 1}]},
        '/empty': {'dtype': 'float32', 'shape': [0, 3], 'checks': ['finite']}}}).encode())
# Stored chunks of 256 bytes (size byte 15) as HDF5's filters make them:
# plain, deflate, fletcher32 (HDF5's sum over big-endian words, stored
# little-endian), and deflate then fletcher32.
import struct, zlib
def fletcher32(b):
    fold = lambda x: (x & 0xffff) + (x >> 16)
    low = high = 0
    words = [b[i] << 8 | b[i + 1] for i in range(0, len(b) - 1, 2)]
    for start in range(0, len(words), 360):
        for w in words[start:start + 360]:
            low += w
            high += low
        low, high = fold(low), fold(high)
    if len(b) % 2:
        low += b[-1] << 8
        high += low
        low, high = fold(low), fold(high)
    return fold(high) << 16 | fold(low)
chunk = bytes(i * 7 % 251 for i in range(256))
for name, pick, stored in [('plain', 0x00, chunk), ('deflate', 0x02, zlib.compress(chunk, 4)),
                           ('fletcher32', 0x08, chunk + struct.pack('<I', fletcher32(chunk))),
                           ('deflate_fletcher32', 0x0a, zlib.compress(chunk, 4)
                            + struct.pack('<I', fletcher32(zlib.compress(chunk, 4))))]:
    put('fuzz_chunk', name, bytes([pick, 0, 15]) + stored)
PY
}
make_seeds

printf '%-22s %12s %10s %8s %s\n' target executions exec/s corpus result
status=0
for target in "${targets[@]}"; do
  corpus=$work/corpus/$target
  mkdir -p "$corpus"
  log=$work/$target.log
  set +e
  "$build/tests/fuzz/$target" "$corpus" "$work/seeds/$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/crashes/$target-" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  if [[ $rc -eq 0 ]]; then
    result=ok
  else
    result="CRASH (exit $rc): $(grep -m1 -E 'ERROR|not an occ::Error|runtime error|Test unit written' "$log" || true)"
    status=1
  fi
  printf '%-22s %12s %10s %8s %s\n' "$target" "${runs:-?}" "${speed:-?}" "$files" "$result"
done
echo "logs: $work/<target>.log; crash inputs: $work/crashes/"
exit $status
