#include "datasets/synth/occupancy.h"

#include <algorithm>
#include <cmath>

#include "core/threads.h"
#include "geom/visibility.h"

namespace occ::synth {
namespace {

using geom::Vec3;

constexpr double kPi = 3.14159265358979323846;

// Occupied when the solid holds one of 3 x 3 x 3 sample points spread over
// the voxel (at 1/6, 1/2 and 5/6 of each edge): like a dense LiDAR
// accumulation, a sliver of a solid grazing the corner of a voxel does not
// fill it, while anything as thick as a lamp post (0.19 m) always does.
bool covers_voxel(const Primitive& p, const Vec3& lower, const Vec3& size) {
  if (!p.overlaps_box(lower, lower + size)) return false;
  // Solids are convex: all eight corners inside means the whole voxel is.
  bool all_corners = true;
  for (int corner = 0; corner < 8 && all_corners; ++corner) {
    all_corners =
        p.contains(lower + Vec3{corner & 1 ? size.x : 0, corner & 2 ? size.y : 0, corner & 4 ? size.z : 0});
  }
  if (all_corners) return true;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) {
        const Vec3 sample{lower.x + size.x * (2 * i + 1) / 6.0, lower.y + size.y * (2 * j + 1) / 6.0,
                          lower.z + size.z * (2 * k + 1) / 6.0};
        if (p.contains(sample)) return true;
      }
    }
  }
  return false;
}

// Higher wins a voxel shared by several solids.
int priority(const Primitive& p, bool moving) {
  if (p.instance < 0) return 1;
  return moving ? 3 : 2;
}

}  // namespace

void voxelize(const Snapshot& snapshot, const World& world, const Rig& rig, const geom::VoxelGrid& grid,
              OccupancyFrame& out) {
  const auto count = static_cast<size_t>(grid.count());
  const auto free_class = static_cast<uint8_t>(rig.free_class);
  out.semantics.assign(count, free_class);
  out.instance.assign(count, -1);
  out.flow.assign(count * 2, 0.0f);
  std::vector<uint8_t> rank(count, 0);
  const double vx = grid.voxel_size_m[0], vy = grid.voxel_size_m[1], vz = grid.voxel_size_m[2];

  // Ground: the layers overlapping the slab just under the surface.
  const double ground_top = snapshot.ground_z(), ground_bottom = ground_top - kGroundSlabM;
  const int z_first = std::max(0, int(std::floor((ground_bottom - grid.origin_m[2]) / vz + 1e-9)));
  const int z_last = std::min(static_cast<int>(grid.shape[2]) - 1,
                              int(std::ceil((ground_top - grid.origin_m[2]) / vz - 1e-9)) - 1);
  parallel_for(grid.shape[0], [&](int64_t x) {
    for (int y = 0; y < grid.shape[1]; ++y) {
      const Vec3 centre = grid.centre(int(x), y, 0);
      const Vec3 in_layout = snapshot.layout_from_ego().apply({centre.x, centre.y, 0});
      const uint8_t ground_class = rig.class_of(world.road.ground_kind(in_layout.x, in_layout.y));
      for (int z = z_first; z <= z_last; ++z) {
        const auto index = static_cast<size_t>(grid.linear(int(x), y, z));
        out.semantics[index] = ground_class;
        rank[index] = 1;  // the lowest rank that is occupied
      }
    }
  });

  const auto& objects = snapshot.objects();
  for (const auto& p : snapshot.primitives()) {
    const int object = p.instance >= 0 ? snapshot.object_of_instance(p.instance) : -1;
    const bool moving = object >= 0 && objects[static_cast<size_t>(object)].moving;
    const auto my_rank = static_cast<uint8_t>(priority(p, moving) + 1);
    const uint8_t my_class = rig.class_of(p.kind);
    const double r = p.bounding_radius_xy();
    const int x0 = std::max(0, int(std::floor((p.centre.x - r - grid.origin_m[0]) / vx)));
    const int x1 = std::min(static_cast<int>(grid.shape[0]) - 1,
                            int(std::floor((p.centre.x + r - grid.origin_m[0]) / vx)));
    const int y0 = std::max(0, int(std::floor((p.centre.y - r - grid.origin_m[1]) / vy)));
    const int y1 = std::min(static_cast<int>(grid.shape[1]) - 1,
                            int(std::floor((p.centre.y + r - grid.origin_m[1]) / vy)));
    const int z0 = std::max(0, int(std::floor((p.bottom() - grid.origin_m[2]) / vz)));
    const int z1 =
        std::min(static_cast<int>(grid.shape[2]) - 1, int(std::floor((p.top() - grid.origin_m[2]) / vz)));
    for (int x = x0; x <= x1; ++x) {
      for (int y = y0; y <= y1; ++y) {
        for (int z = z0; z <= z1; ++z) {
          const auto index = static_cast<size_t>(grid.linear(x, y, z));
          if (rank[index] >= my_rank) continue;
          const Vec3 lower{grid.origin_m[0] + x * vx, grid.origin_m[1] + y * vy, grid.origin_m[2] + z * vz};
          if (!covers_voxel(p, lower, Vec3{vx, vy, vz})) continue;
          rank[index] = my_rank;
          out.semantics[index] = my_class;
          out.instance[index] = p.instance;
          if (moving) {
            // Rigid motion of the instance at the voxel centre: v + w x r.
            const ObjectState& state = objects[static_cast<size_t>(object)];
            const Vec3 centre = grid.centre(x, y, z);
            out.flow[index * 2] = float(state.velocity.x - state.yaw_rate * (centre.y - state.centre.y));
            out.flow[index * 2 + 1] = float(state.velocity.y + state.yaw_rate * (centre.x - state.centre.x));
          }
        }
      }
    }
  }
}

void compute_masks(const Rig& rig, const std::vector<geom::PinholeCamera>& cameras,
                   const geom::VoxelGrid& grid, double ground_z, OccupancyFrame& out) {
  const auto count = static_cast<size_t>(grid.count());
  std::vector<uint8_t> occupied(count);
  for (size_t i = 0; i < count; ++i) occupied[i] = out.semantics[i] != rig.free_class;
  // The ground covers every column of the grid and the sensors are above
  // it, so nothing under the ground slab can be seen: skip those voxels.
  const double lowest_seen_z = ground_z - kGroundSlabM - 0.5 * grid.voxel_size_m[2];
  const geom::FreeSpace free_space(grid, occupied);
  out.mask_camera.assign(count, 0);
  for (const auto& camera : cameras) {
    const geom::Rigid camera_from_ego = camera.ego_from_camera.inverse();
    geom::mark_visible_voxels(
        free_space, occupied, camera.ego_from_camera.translation,
        [&](const Vec3& centre) {
          if (centre.z < lowest_seen_z) return false;
          double u, v;
          return camera.project(camera_from_ego.apply(centre), u, v) && camera.inside_image(u, v);
        },
        out.mask_camera);
  }
  out.mask_lidar.assign(count, 0);
  const LidarSpec& lidar = rig.lidar;
  const double low = lidar.lowest_elevation_deg * kPi / 180, high = lidar.highest_elevation_deg * kPi / 180;
  geom::mark_visible_voxels(
      free_space, occupied, lidar.origin_in_ego,
      [&](const Vec3& centre) {
        if (centre.z < lowest_seen_z) return false;
        const Vec3 d = centre - lidar.origin_in_ego;
        const double range = d.norm();
        const double elevation = std::asin(std::clamp(d.z / std::max(range, 1e-9), -1.0, 1.0));
        return range <= lidar.max_range_m && elevation >= low && elevation <= high;
      },
      out.mask_lidar);
}

}  // namespace occ::synth
