// The synthetic ground truth agrees with itself: rendered depth with the
// occupancy, flow with the motion of instances, visibility masks with lines
// of sight, ego poses with timestamps; agents never overlap.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "datasets/synth/agents.h"
#include "datasets/synth/footprint.h"
#include "datasets/synth_support.h"
#include "geom/visibility.h"

namespace occ::synth {
namespace {

using geom::Vec3;
using geom::VoxelIndex;

bool is_ground_class(const Rig& rig, uint8_t id) {
  for (Kind kind : {Kind::road, Kind::sidewalk, Kind::terrain, Kind::other_flat}) {
    if (rig.class_of(kind) == id) return true;
  }
  return false;
}

// Is some voxel within one voxel of `v` occupied by class `id`?
bool near_class(const geom::VoxelGrid& grid, const std::vector<uint8_t>& semantics, const VoxelIndex& v,
                uint8_t id) {
  for (int dx = -1; dx <= 1; ++dx) {
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dz = -1; dz <= 1; ++dz) {
        const VoxelIndex n{v.x + dx, v.y + dy, v.z + dz};
        if (grid.contains(n) && semantics[size_t(grid.linear(n))] == id) return true;
      }
    }
  }
  return false;
}

// Inside the grid and not in its outermost voxels, whose occupied
// neighbours may lie beyond the grid: a wall 3 cm inside the last voxel
// touches none of its sample points.
bool inside_margin(const geom::VoxelGrid& grid, const Vec3& point, VoxelIndex& voxel) {
  if (!grid.voxel_of(point, voxel)) return false;
  return voxel.x > 0 && voxel.y > 0 && voxel.z > 0 && voxel.x + 1 < grid.shape[0] &&
         voxel.y + 1 < grid.shape[1] && voxel.z + 1 < grid.shape[2];
}

void check_depth_against_occupancy(const std::string& rig_name) {
  SynthGenerator generator(test::tiny_options(rig_name));
  const SynthFrame frame = generator.frame(0);
  const auto& grid = generator.grid();
  const auto& rig = generator.rig();
  const auto& semantics = frame.occupancy.semantics;
  const size_t pixels = size_t(generator.image_height()) * size_t(generator.image_width());
  int surface_pixels = 0, surface_in_occupied = 0, object_pixels = 0, object_agree = 0, class_agree = 0;
  for (size_t c = 0; c < generator.cameras().size(); ++c) {
    const auto& camera = generator.cameras()[c];
    const Vec3 origin = camera.ego_from_camera.translation;
    for (int row = 0; row < camera.height; ++row) {
      for (int col = 0; col < camera.width; ++col) {
        const size_t pixel = c * pixels + size_t(row) * size_t(camera.width) + size_t(col);
        const float depth = frame.depth[pixel];
        if (depth <= 0) continue;
        const Vec3 ray = camera.ego_from_camera.rotate(camera.ray_in_camera(col + 0.5, row + 0.5));
        const Vec3 point = origin + ray * depth;
        const double distance = (ray * depth).norm();
        VoxelIndex voxel;
        if (!inside_margin(grid, point, voxel)) continue;
        // The surface the pixel sees is occupied in the ground truth, by its class.
        ++surface_pixels;
        if (near_class(grid, semantics, voxel, frame.pixel_semantics[pixel])) ++surface_in_occupied;
        if (is_ground_class(rig, frame.pixel_semantics[pixel])) continue;
        // The first occupied voxel along the pixel's ray is where the surface
        // is, unless the ray grazes a voxel another solid partly fills.
        ++object_pixels;
        double first_distance = -1, first_same_class = -1;
        const Vec3 direction = ray * (1 / ray.norm());
        const uint8_t pixel_class = frame.pixel_semantics[pixel];
        geom::traverse_voxels(grid, origin, direction, distance + 2 * grid.diagonal_m(),
                              [&](const VoxelIndex& v, double, double) {
                                // The road layer is crossed at grazing angles long before the object.
                                const uint8_t id = semantics[size_t(grid.linear(v))];
                                if (id == rig.free_class || is_ground_class(rig, id)) return true;
                                const double d = (grid.centre(v.x, v.y, v.z) - origin).norm();
                                if (first_distance < 0) first_distance = d;
                                // Things must match by instance: a row of parked cars is one class.
                                const int32_t instance = frame.occupancy.instance[size_t(grid.linear(v))];
                                if (id != pixel_class || instance != frame.pixel_instance[pixel]) return true;
                                first_same_class = d;
                                return false;
                              });
        if (first_distance >= 0 && std::abs(first_distance - distance) <= grid.diagonal_m()) ++object_agree;
        if (first_same_class >= 0 && std::abs(first_same_class - distance) <= grid.diagonal_m())
          ++class_agree;
      }
    }
  }
  ASSERT_GT(surface_pixels, 1000);
  ASSERT_GT(object_pixels, 200);
  EXPECT_GE(double(surface_in_occupied) / surface_pixels, 0.995)
      << surface_in_occupied << "/" << surface_pixels;
  EXPECT_GE(double(class_agree) / object_pixels, 0.97) << class_agree << "/" << object_pixels;
  // Rays skimming past the shoulders of parked cars or along a facade cross
  // voxels those solids partly fill: most rays still meet nothing else first.
  EXPECT_GE(double(object_agree) / object_pixels, 0.8) << object_agree << "/" << object_pixels;
}

TEST(SynthConsistency, RenderedDepthMeetsOccupiedVoxels) {
  check_depth_against_occupancy("nuscenes");
}
TEST(SynthConsistency, RenderedDepthMeetsOccupiedVoxelsKitti) {
  check_depth_against_occupancy("kitti");
}

TEST(SynthConsistency, FlowCarriesVoxelsOntoTheirInstanceNextFrame) {
  SynthGenerator generator(test::tiny_options());
  const auto frames = test::generate(generator, 2);
  const auto& grid = generator.grid();
  const double dt = (frames[1].timestamp_us - frames[0].timestamp_us) * 1e-6;
  ASSERT_NEAR(dt, 0.5, 1e-9);
  const geom::Rigid next_from_this = frames[1].world_from_ego.inverse() * frames[0].world_from_ego;
  const auto& now = frames[0].occupancy;
  const auto& next = frames[1].occupancy.instance;
  int moving = 0, landed = 0, checked = 0;
  for (int x = 0; x < grid.shape[0]; ++x) {
    for (int y = 0; y < grid.shape[1]; ++y) {
      for (int z = 0; z < grid.shape[2]; ++z) {
        const size_t index = size_t(grid.linear(x, y, z));
        const double fx = now.flow[index * 2], fy = now.flow[index * 2 + 1];
        if (fx == 0 && fy == 0) continue;
        ++moving;
        EXPECT_GE(now.instance[index], 0) << "flow on a voxel of no instance";
        const Vec3 moved = next_from_this.apply(grid.centre(x, y, z) + Vec3{fx * dt, fy * dt, 0});
        VoxelIndex target;
        if (!grid.voxel_of(moved, target)) continue;
        ++checked;
        bool found = false;
        for (int dx = -1; dx <= 1 && !found; ++dx) {
          for (int dy = -1; dy <= 1 && !found; ++dy) {
            for (int dz = -1; dz <= 1 && !found; ++dz) {
              const VoxelIndex n{target.x + dx, target.y + dy, target.z + dz};
              found = grid.contains(n) && next[size_t(grid.linear(n))] == now.instance[index];
            }
          }
        }
        if (found) ++landed;
      }
    }
  }
  ASSERT_GT(moving, 100) << "the scene should have moving agents inside the grid";
  ASSERT_GT(checked, 100);
  EXPECT_GE(double(landed) / checked, 0.99) << landed << "/" << checked;
}

TEST(SynthConsistency, CameraMaskIsSeenAndWallsHideWhatIsBehind) {
  SynthGenerator generator(test::tiny_options());
  const SynthFrame frame = generator.frame(0);
  const auto& grid = generator.grid();
  const auto& rig = generator.rig();
  const auto& occ = frame.occupancy;
  std::vector<uint8_t> occupied(occ.semantics.size());
  for (size_t i = 0; i < occupied.size(); ++i) occupied[i] = occ.semantics[i] != rig.free_class;
  // Independent check of a sample of the mask: walk finely from each camera
  // to the voxel centre; some camera must see it through free voxels only.
  int in_mask = 0, sampled = 0, confirmed = 0;
  for (size_t i = 0; i < occ.mask_camera.size(); ++i) {
    if (!occ.mask_camera[i]) continue;
    if (in_mask++ % 37 != 0) continue;
    ++sampled;
    const int x = int(i / size_t(grid.shape[1] * grid.shape[2]));
    const int y = int(i / size_t(grid.shape[2]) % size_t(grid.shape[1]));
    const int z = int(i % size_t(grid.shape[2]));
    bool seen = false;
    for (const auto& camera : generator.cameras()) {
      double u, v;
      const Vec3 origin = camera.ego_from_camera.translation;
      const Vec3 centre = grid.centre(x, y, z);
      if (!camera.project(camera.ego_from_camera.inverse().apply(centre), u, v) || !camera.inside_image(u, v))
        continue;
      const auto probes = geom::visibility_probes(grid, {x, y, z}, origin, occupied[i] != 0);
      for (int p = 0; p < probes.count; ++p) {
        const Vec3 delta = probes.points[p] - origin;
        bool clear = true;
        for (int s = 0; s < 4000 && clear; ++s) {
          VoxelIndex step;
          if (!grid.voxel_of(origin + delta * (s / 4000.0), step)) continue;
          if (step.x == x && step.y == y && step.z == z) break;
          clear = !occupied[size_t(grid.linear(step))];
        }
        if (clear) seen = true;
      }
    }
    if (seen) ++confirmed;
  }
  ASSERT_GT(in_mask, 5000);
  EXPECT_EQ(confirmed, sampled);
  // Behind every visible building face the building's inside is unseen.
  int behind_walls = 0, leaks = 0;
  const uint8_t building = rig.class_of(Kind::building);
  const Vec3 eye = generator.cameras()[0].ego_from_camera.translation;
  for (size_t i = 0; i < occ.mask_camera.size(); ++i) {
    if (!occ.mask_camera[i] || occ.semantics[i] != building) continue;
    const int x = int(i / size_t(grid.shape[1] * grid.shape[2]));
    const int y = int(i / size_t(grid.shape[2]) % size_t(grid.shape[1]));
    const int z = int(i % size_t(grid.shape[2]));
    const Vec3 centre = grid.centre(x, y, z);
    const Vec3 beyond = centre + (centre - eye) * (2.0 / (centre - eye).norm());
    VoxelIndex v;
    if (!grid.voxel_of(beyond, v) || occ.semantics[size_t(grid.linear(v))] != building) continue;
    // Two metres deeper into the same building, seen from near the first camera.
    ++behind_walls;
    bool someone_sees = false;
    for (const auto& camera : generator.cameras()) {
      someone_sees =
          someone_sees || geom::voxel_in_sight(grid, occupied, camera.ego_from_camera.translation, v);
    }
    if (occ.mask_camera[size_t(grid.linear(v))] && !someone_sees) ++leaks;
  }
  EXPECT_GT(behind_walls, 20);
  EXPECT_EQ(leaks, 0);
}

TEST(SynthConsistency, LidarMaskAndPointsAgree) {
  SynthGenerator generator(test::tiny_options());
  const SynthFrame frame = generator.frame(0);
  const auto& grid = generator.grid();
  const auto& occ = frame.occupancy;
  ASSERT_GT(frame.lidar_points.size() / 4, 20000u);
  // Every LiDAR return inside the grid falls on (or next to) an occupied
  // voxel that the LiDAR mask marks as seen.
  int inside = 0, ok = 0;
  for (size_t p = 0; p + 3 < frame.lidar_points.size(); p += 4) {
    const Vec3 point{frame.lidar_points[p], frame.lidar_points[p + 1], frame.lidar_points[p + 2]};
    VoxelIndex v;
    if (!inside_margin(grid, point, v)) continue;
    ++inside;
    bool found = false;
    for (int dx = -1; dx <= 1 && !found; ++dx) {
      for (int dy = -1; dy <= 1 && !found; ++dy) {
        for (int dz = -1; dz <= 1 && !found; ++dz) {
          const VoxelIndex n{v.x + dx, v.y + dy, v.z + dz};
          if (!grid.contains(n)) continue;
          const size_t i = size_t(grid.linear(n));
          found = occ.semantics[i] != generator.rig().free_class && occ.mask_lidar[i];
        }
      }
    }
    if (found) ++ok;
  }
  ASSERT_GT(inside, 10000);
  EXPECT_GE(double(ok) / inside, 0.99) << ok << "/" << inside;
  // The masks never mark voxels under the ground.
  for (int x = 0; x < grid.shape[0]; x += 7) {
    for (int y = 0; y < grid.shape[1]; y += 7) {
      EXPECT_FALSE(occ.mask_camera[size_t(grid.linear(x, y, 0))]);
      EXPECT_FALSE(occ.mask_lidar[size_t(grid.linear(x, y, 0))]);
    }
  }
}

TEST(SynthConsistency, EgoMovesPlausiblyWithItsTimestamps) {
  auto options = test::tiny_options();
  options.frames_per_scene = 3;
  options.sweeps = 2;
  options.image_size = "8x16";
  options.grid = "10,10,4,2.0,-10,-10,-1";  // poses do not need the full grid
  SynthGenerator generator(options);
  ASSERT_EQ(generator.frame_count(), 7);
  double last_speed = -1;
  SynthFrame previous = generator.frame(0);
  EXPECT_TRUE(previous.keyframe);
  for (int64_t row = 1; row < generator.frame_count(); ++row) {
    SynthFrame frame = generator.frame(row);
    EXPECT_EQ(frame.keyframe, row % 3 == 0) << row;
    const double dt = (frame.timestamp_us - previous.timestamp_us) * 1e-6;
    EXPECT_NEAR(dt, 1.0 / 6.0, 1e-5);
    const Vec3 moved = frame.world_from_ego.translation - previous.world_from_ego.translation;
    const double speed = moved.norm() / dt;
    EXPECT_GT(speed, 1.0);
    EXPECT_LT(speed, 20.0);  // city driving
    if (last_speed >= 0) {
      EXPECT_NEAR(speed, last_speed, 0.05 * last_speed + 1e-3);
    }
    last_speed = speed;
    // It moves where it faces, stays level and its rotation is a rotation.
    const Vec3 forward = previous.world_from_ego.rotate({1, 0, 0});
    EXPECT_GT(forward.dot(moved) / moved.norm(), 0.99);
    EXPECT_NEAR(moved.z, 0, 1e-9);
    const Vec3 up = frame.world_from_ego.rotate({0, 0, 1});
    EXPECT_NEAR(up.z, 1, 1e-12);
    previous = std::move(frame);
  }
}

TEST(SynthConsistency, AgentsNeverOverlapEachOtherOrStructures) {
  auto options = test::tiny_options();
  options.scenes = 3;
  options.frames_per_scene = 20;  // ten seconds of motion
  std::set<Kind> structures;      // kinds the test met, so it cannot pass vacuously
  for (int scene = 0; scene < options.scenes; ++scene) {
    SynthGenerator generator(options);
    const World& world = generator.world(scene);
    for (const auto& p : world.static_primitives) structures.insert(p.kind);
    // Every pair of things, at closely spaced times over the whole scene.
    for (double t = 0; t <= world.duration_s; t += 0.05) {
      std::vector<Footprint> footprints;
      for (const auto& object : world.objects) footprints.push_back(AgentPlacer::object_footprint(object, t));
      for (size_t a = 0; a < footprints.size(); ++a) {
        EXPECT_FALSE(footprints[a].overlaps(AgentPlacer::ego_footprint(world.ego, t), 0.0))
            << "object " << a << " hits the ego";
        for (size_t b = a + 1; b < footprints.size(); ++b) {
          ASSERT_FALSE(footprints[a].overlaps(footprints[b], 0.0))
              << "scene " << scene << " t " << t << ": instances " << world.objects[a].instance << " and "
              << world.objects[b].instance;
        }
        // Every structure the README names: buildings, trees (trunks and
        // crowns) and hedges, street-light and sign poles, sign plates (bins
        // are objects, checked above). A cylinder's square footprint holds
        // it; structures overhead (a crown or sign plate above a
        // pedestrian) are no collision, so heights must overlap too.
        for (const auto& p : world.static_primitives) {
          if (p.kind != Kind::building && p.kind != Kind::trunk && p.kind != Kind::vegetation &&
              p.kind != Kind::pole && p.kind != Kind::traffic_sign)
            continue;
          if (p.bottom() >= world.objects[a].height) continue;
          const Footprint solid{p.centre.x, p.centre.y, p.half.x, p.half.y, p.yaw};
          ASSERT_FALSE(footprints[a].overlaps(solid, 0.0))
              << "scene " << scene << " t " << t << ": instance " << world.objects[a].instance << " ("
              << static_cast<int>(world.objects[a].kind) << ") in a structure of kind "
              << static_cast<int>(p.kind) << " at " << p.centre.x << ", " << p.centre.y;
        }
      }
    }
  }
  for (const Kind kind : {Kind::building, Kind::trunk, Kind::vegetation, Kind::pole, Kind::traffic_sign})
    EXPECT_TRUE(structures.count(kind))
        << "no structure of kind " << static_cast<int>(kind) << " in the test worlds";
}

}  // namespace
}  // namespace occ::synth
