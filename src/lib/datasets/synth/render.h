#pragma once
// Sensors of the synthetic world: ray-cast camera images (RGB, z-depth,
// class and instance per pixel) and LiDAR scans against a Snapshot.
#include <cstdint>
#include <vector>

#include "datasets/synth/rig.h"
#include "datasets/synth/snapshot.h"
#include "geom/pinhole.h"

namespace occ::synth {

// What a ray hit: its class kind, instance, albedo and normal (ego frame).
struct Surface {
  Kind kind = Kind::road;
  int32_t instance = -1;
  geom::Vec3 albedo;
  geom::Vec3 normal;
};
Surface describe_hit(const Snapshot& snapshot, const World& world, const HitRecord& hit);

// Where one camera's maps go: H*W*3 RGB, H*W depth, class and instance.
struct CameraOutput {
  uint8_t* rgb = nullptr;
  float* depth = nullptr;
  uint8_t* semantics = nullptr;
  int32_t* instance = nullptr;
};

// Renders one camera, rows in parallel. `noise_seed` varies the sensor noise
// from image to image.
void render_camera(const Snapshot& snapshot, const World& world, const Rig& rig,
                   const geom::PinholeCamera& camera, uint64_t noise_seed, const CameraOutput& out);

// One LiDAR sweep: x, y, z in the ego frame and intensity (0-255), beam by beam.
std::vector<float> scan_lidar(const Snapshot& snapshot, const World& world, const LidarSpec& lidar);

}  // namespace occ::synth
