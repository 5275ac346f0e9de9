// Writes the small frames, pred and model files the export interop test
// (tests/python/check_export_interop.py) exports and reads back with numpy
// and torch. Their content is documented there.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "support/export_files.h"

namespace {

size_t occ3d_index(int x, int y, int z) {
  return (static_cast<size_t>(x) * 200 + y) * 16 + z;
}

// Must match sparse_hash in check_export_interop.py.
uint32_t sparse_hash(uint32_t v) {
  return (v * 2654435761u) >> 8;
}

void write_files(const std::string& folder) {
  using namespace occ::test;
  const size_t voxels = 200 * 200 * 16;
  // Two nuScenes-like keyframes 10 m apart; LiDAR 1 m ahead, 2 m up.
  ExportFrames frames;
  frames.tokens = {"sample-a", "sample-b"};
  frames.world_from_ego = {{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
                           {1, 0, 0, 10, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}};
  frames.lidar_origin = {{1, 0, 2}, {1, 0, 2}};
  const std::string uuid = write_export_frames(folder + "/frames.h5", frames);
  // Frame 0: free except a car wall at x index 150 (x in [20, 20.4) m) and
  // one pedestrian voxel at (100, 100, 5). Frame 1: about 3% of the voxels
  // occupied by a hash of their index v, class hash % 17, flow (v % 7 / 2,
  // -(v % 5) / 4) everywhere.
  ExportPred pred;
  pred.semantics.assign(2 * voxels, 17);
  pred.flow.assign(2 * voxels * 2, occ::float_to_half(0.0f));
  for (int y = 0; y < 200; ++y) {
    for (int z = 0; z < 16; ++z) {
      pred.semantics[occ3d_index(150, y, z)] = 4;
      pred.flow[2 * occ3d_index(150, y, z)] = occ::float_to_half(1.5f);
      pred.flow[2 * occ3d_index(150, y, z) + 1] = occ::float_to_half(-0.25f);
    }
  }
  pred.semantics[occ3d_index(100, 100, 5)] = 7;
  for (size_t v = 0; v < voxels; ++v) {
    const uint32_t hash = sparse_hash(static_cast<uint32_t>(v));
    pred.semantics[voxels + v] = hash % 1000 < 30 ? static_cast<uint8_t>(hash % 17) : 17;
    pred.flow[2 * (voxels + v)] = occ::float_to_half(static_cast<float>(v % 7) / 2);
    pred.flow[2 * (voxels + v) + 1] = occ::float_to_half(-static_cast<float>(v % 5) / 4);
  }
  write_export_pred(folder + "/pred.h5", uuid, pred);
  write_export_model(folder + "/model.h5");
  // A scene for the nuscenes layout: keyframe, sweep, keyframe 1 m apart;
  // a camera 1.5 m up looking forward; 8x16 images; occupancy with voxel v
  // of frame i holding class (v + i) % 18 and mask_camera v % 2; one LiDAR
  // point per frame; a car box (instance 3) in both keyframes.
  ExportFrames scene;
  scene.tokens = {"key-0", "sweep-0", "key-1"};
  scene.keyframe = {1, 0, 1};
  for (int i = 0; i < 3; ++i) {
    scene.world_from_ego.push_back({1, 0, 0, 100.0 + i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
    scene.lidar_points.push_back({{5, 0, 1, 0.5f}});
  }
  scene.lidar_origin = std::vector<std::array<double, 3>>(3, {1, 0, 2});
  scene.ego_from_camera = {0, 0, 1, 0.5, -1, 0, 0, 0, 0, -1, 0, 1.5, 0, 0, 0, 1};
  scene.image_height = 8;
  scene.image_width = 16;
  scene.semantics.resize(3 * voxels);
  scene.mask_camera.resize(3 * voxels);
  for (size_t i = 0; i < 3; ++i) {
    for (size_t v = 0; v < voxels; ++v) {
      scene.semantics[i * voxels + v] = static_cast<uint8_t>((v + i) % 18);
      scene.mask_camera[i * voxels + v] = static_cast<uint8_t>(v % 2);
    }
  }
  scene.boxes = {{0, {5, 0, 1}, {2, 4, 2}, 0, 4, 3}, {2, {4, 0, 1}, {2, 4, 2}, 0, 4, 3}};
  write_export_frames(folder + "/scene.h5", scene);
  // SemanticKITTI: one scan, sequence 08, voxel v has learning class v % 20.
  ExportFrames kitti;
  kitti.tokens = {"08/000010"};
  kitti.grid_shape = {256, 256, 32};
  kitti.grid_origin_m = {0, -25.6, -2};
  kitti.voxel_size_m = {0.2, 0.2, 0.2};
  kitti.class_names = semantickitti_names();
  kitti.free_class = 0;
  const std::string kitti_uuid = write_export_frames(folder + "/kitti.h5", kitti);
  ExportPred kitti_pred;
  kitti_pred.frames = {0};
  kitti_pred.grid_shape = kitti.grid_shape;
  kitti_pred.class_names = kitti.class_names;
  kitti_pred.free_class = 0;
  kitti_pred.semantics.resize(256 * 256 * 32);
  for (size_t v = 0; v < kitti_pred.semantics.size(); ++v)
    kitti_pred.semantics[v] = static_cast<uint8_t>(v % 20);
  write_export_pred(folder + "/kitti.pred.h5", kitti_uuid, kitti_pred);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: export_test_writer FOLDER\n");
    return 2;
  }
  try {
    write_files(argv[1]);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "export_test_writer: %s\n", error.what());
    return 1;
  }
  return 0;
}
