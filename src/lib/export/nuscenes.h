#pragma once
// frames -> a nuScenes-style dataset folder, so occ's synthetic world (or
// any frames file) can be read by nuScenes tools and by `occ prep nuscenes`:
//   <version>/*.json     the 13 tables of the nuScenes v1.0 schema
//                        (nuscenes-devkit docs/schema_nuscenes.md): scene,
//                        sample, sample_data, ego_pose, calibrated_sensor,
//                        sensor, log, map, category, instance,
//                        sample_annotation, attribute, visibility;
//   samples/<CAM>/...jpg keyframe images, sweeps/<CAM>/...jpg the others
//                        (embedded images JPEG-encoded; images referenced by
//                        path copied unchanged);
//   samples/LIDAR_TOP/...pcd.bin  float32 x, y, z, intensity, ring (0) in
//                        the LiDAR frame (origin /lidar/origin, ego axes),
//                        when the frames file has LiDAR points;
//   gts/<scene>/<token>/labels.npz  Occ3D ground truth (semantics,
//                        mask_lidar, mask_camera: uint8 [X, Y, Z], each key
//                        only when the frames file has it), keyframes only.
// Sample tokens are the frames file's tokens; every other token is a stable
// 32-hex hash of what it names. Sweeps belong to the latest keyframe before
// them (the first one after, at the start of a scene). Class names become
// categories; boxes of keyframes become instances and sample_annotations
// (global frame, visibility "4", num_lidar_pts counted from the LiDAR).
#include <cstdint>
#include <string>

namespace occ::exporting {

// Returns the number of frames exported.
int64_t export_nuscenes(const std::string& frames_path, const std::string& output,
                        const std::string& version);

}  // namespace occ::exporting
