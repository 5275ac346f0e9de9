#!/usr/bin/env bash
# Let Occ Flow trained on the synthetic world, run on real frames (issue 18,
# item 5): the KITTI tracking fixture (sequence 0001, images 10, 15, 20) and
# the nuScenes fixture image (mmdetection3d's one real CAM_BACK_LEFT JPEG).
# Forward pass, occ predict --depth, occ render --view cameras,depth: the
# pictures of docs/letoccflow.md ("Real frames"). No ground truth on either,
# so nothing is scored: the pictures show what the synth-trained depth does.
#
# KITTI: `occ prep kitti-mot` reads image_02, calib and label_02 of the
# fixture; the fixture has no oxts file, so this script writes the same
# constant pose the tests write (tests/support/kitti_fixture_root.h: the car
# standing, heading 0.7 rad; a single-frame forward pass does not use it
# beyond the history warp). Images embedded at 96x320 (the synth KITTI rig's
# size). The model must be trained on the synth KITTI rig (the SemanticKITTI
# grid, Velodyne frame: the ground at z = -1.73 m).
#
# nuScenes: v1.0-mini tables for the first sample of the mmdet3d info fixture
# (its real calibration and ego pose; no annotations), built by the Python
# below as tests/datasets/nuscenes_prep_test.cpp builds them. The fixture has
# one real image, of another sample; CAM_BACK_LEFT links to it, the five
# other cameras to a uniform grey image of the same size (so no camera shows
# a view that contradicts its pose). Images embedded at 96x176 (the synth
# nuScenes rig's size). The model must be trained on the synth nuScenes rig.
#
# Usage: [PARTS="kitti nuscenes"] scripts/letoccflow_real_frames.sh OCC KITTI_MODEL NUSCENES_MODEL OUT
# Writes OUT/kitti.pred.h5, OUT/kitti_depth_<frame>.png, OUT/nuscenes.pred.h5,
# OUT/nuscenes_depth.png (and the prepped frames files).
set -euo pipefail
occ=${1:?occ binary}
kitti_model=${2:?model trained on occ prep synth --rig kitti}
nuscenes_model=${3:?model trained on occ prep synth (nuScenes rig)}
out=${4:?output folder}
fixtures=${FIXTURES:-$(cd "$(dirname "$0")/.." && pwd)/../shared/fixtures}
python=/usr/bin/python3
mkdir -p "$out"
PARTS=${PARTS:-kitti nuscenes}

# --- KITTI tracking fixture
if [[ " $PARTS " == *" kitti "* ]]; then
root=$out/kitti_root/training
mkdir -p "$root/oxts"
for folder in image_02 calib label_02; do ln -sfn "$fixtures/kitti_tracking/training/$folder" "$root/$folder"; done
"$python" - "$root/oxts/0001.txt" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for frame in range(25):
        f.write(f"{49.0 + frame * 1e-5:.17g} {8.4 + frame * 1e-5:.17g} 110 0 0 0.7" + " 0" * 24 + "\n")
PY
"$occ" prep kitti-mot --dataroot "$root" -o "$out/kitti.h5" --embed-images --image-size 96x320 -q
"$occ" predict "$kitti_model" "$out/kitti.h5" -o "$out/kitti.pred.h5" --depth -q -j 2 > /dev/null
for frame in 0 1 2; do
  "$occ" render "$out/kitti.pred.h5" --gt "$out/kitti.h5" --view cameras depth --frame "$frame" \
    --tile-width 320 -o "$out/kitti_depth_$frame.png" -q
done
fi

# --- nuScenes fixture image
if [[ " $PARTS " == *" nuscenes "* ]]; then
dataroot=$out/nuscenes
"$python" - "$fixtures/nuscenes_mmdet3d" "$dataroot" <<'PY'
import json, os, sys
import cv2
import numpy as np

fixture, root = sys.argv[1:3]
sample = json.load(open(os.path.join(fixture, "nus_info.converted.json")))["data_list"][0]
real = os.path.join(fixture, "samples/CAM_BACK_LEFT/"
                    "n015-2018-07-18-11-07-57+0800__CAM_BACK_LEFT__1531883530447423.jpg")
grey = os.path.join(root, "grey.jpg")
os.makedirs(root, exist_ok=True)
height, width = cv2.imread(real).shape[:2]
cv2.imwrite(grey, np.full((height, width, 3), 128, np.uint8))


def pose(rows):  # 4x4 -> nuScenes translation + rotation (w, x, y, z)
    m = np.asarray(rows, float)
    r = m[:3, :3]
    w = np.sqrt(max(0.0, 1 + np.trace(r))) / 2
    x = np.copysign(np.sqrt(max(0.0, 1 + r[0, 0] - r[1, 1] - r[2, 2])) / 2, r[2, 1] - r[1, 2])
    y = np.copysign(np.sqrt(max(0.0, 1 - r[0, 0] + r[1, 1] - r[2, 2])) / 2, r[0, 2] - r[2, 0])
    z = np.copysign(np.sqrt(max(0.0, 1 - r[0, 0] - r[1, 1] + r[2, 2])) / 2, r[1, 0] - r[0, 1])
    return {"translation": list(m[:3, 3]), "rotation": [w, x, y, z]}


token, timestamp = sample["token"], int(round(sample["timestamp"] * 1e6))
ego = dict(pose(sample["ego2global"]), token="pose", timestamp=timestamp)
tables = {"scene": [{"token": "scene", "name": "scene-0001"}],
          "sample": [{"token": token, "timestamp": timestamp, "scene_token": "scene"}],
          "ego_pose": [ego], "sensor": [], "calibrated_sensor": [], "sample_data": [],
          "category": [], "instance": [], "sample_annotation": []}
for channel, camera in sample["images"].items():
    tables["sensor"].append({"token": channel, "channel": channel, "modality": "camera"})
    tables["calibrated_sensor"].append(dict(pose(camera["cam2ego"]), token="calibration/" + channel,
                                            sensor_token=channel, camera_intrinsic=camera["cam2img"]))
    filename = f"samples/{channel}/{camera['img_path']}"
    tables["sample_data"].append({"token": "data/" + channel, "sample_token": token, "ego_pose_token": "pose",
                                  "calibrated_sensor_token": "calibration/" + channel, "filename": filename,
                                  "timestamp": timestamp, "is_key_frame": True, "prev": "", "next": ""})
    os.makedirs(os.path.join(root, "samples", channel), exist_ok=True)
    link = os.path.join(root, filename)
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(real if channel == "CAM_BACK_LEFT" else grey, link)
os.makedirs(os.path.join(root, "v1.0-mini"), exist_ok=True)
for name, records in tables.items():
    json.dump(records, open(os.path.join(root, "v1.0-mini", name + ".json"), "w"))
PY
"$occ" prep nuscenes --dataroot "$dataroot" --version v1.0-mini -o "$out/nuscenes.h5" --embed-images \
  --image-size 96x176 -q
"$occ" predict "$nuscenes_model" "$out/nuscenes.h5" -o "$out/nuscenes.pred.h5" --depth -q -j 2 > /dev/null
"$occ" render "$out/nuscenes.pred.h5" --gt "$out/nuscenes.h5" --view cameras depth --tile-width 176 \
  -o "$out/nuscenes_depth.png" -q
fi
