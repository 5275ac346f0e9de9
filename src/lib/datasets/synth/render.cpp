#include "datasets/synth/render.h"

#include <algorithm>
#include <cmath>

#include "core/threads.h"
#include "datasets/synth/appearance.h"
#include "datasets/synth/random.h"

namespace occ::synth {
namespace {

using geom::Vec3;

constexpr double kFarM = 400.0;             // rays end here: the horizon haze takes over
constexpr double kHazeM = 350.0;            // distance at which 63 % of a colour is haze
constexpr int kSupersampleMaxWidth = 1024;  // wider images get one ray per pixel
constexpr double kPi = 3.14159265358979323846;

uint8_t to_byte(double v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v * 255.0), 0L, 255L));
}

}  // namespace

Surface describe_hit(const Snapshot& snapshot, const World& world, const HitRecord& hit) {
  Surface surface;
  if (hit.primitive < 0) {
    const Vec3 in_layout = snapshot.layout_from_ego().apply(hit.local_point);
    surface.kind = world.road.ground_kind(in_layout.x, in_layout.y);
    surface.albedo = ground_albedo(world.road, surface.kind, in_layout.x, in_layout.y, world.seed);
    surface.normal = {0, 0, 1};
    return surface;
  }
  const Primitive& p = snapshot.primitives()[static_cast<size_t>(hit.primitive)];
  surface.kind = p.kind;
  surface.instance = p.instance;
  surface.albedo = primitive_albedo(p, hit.local_point, hit.local_normal);
  surface.normal = p.direction_from_local(hit.local_normal);
  return surface;
}

void render_camera(const Snapshot& snapshot, const World& world, const Rig& rig,
                   const geom::PinholeCamera& camera, uint64_t noise_seed, const CameraOutput& out) {
  const Vec3 origin = camera.ego_from_camera.translation;
  const Vec3 sun = snapshot.layout_from_ego().inverse().rotate(world.sun_direction);
  const auto free_class = static_cast<uint8_t>(rig.free_class);
  // Colour of the scene along a unit ray: Lambert shading under sky light
  // and the sun (with shadows), then haze. `shadow_hint`, when given, is the
  // sunlit answer already found for a ray that hit the same primitive.
  struct SunTest {
    int primitive = -2;
    bool sunlit = false;
  };
  auto shade = [&](const Vec3& direction, SunTest* shadow_hint, const HitRecord* known_hit) {
    HitRecord hit;
    if (known_hit) {
      hit = *known_hit;
    } else if (!snapshot.cast(origin, direction, kFarM, hit)) {
      return sky_colour(direction);
    }
    const Surface surface = describe_hit(snapshot, world, hit);
    const double facing = surface.normal.dot(sun);
    bool sunlit = false;
    if (facing > 0) {
      if (shadow_hint && shadow_hint->primitive == hit.primitive) {
        sunlit = shadow_hint->sunlit;
      } else {
        const Vec3 point = origin + direction * hit.t;
        sunlit = !snapshot.blocked(point + surface.normal * 1e-4, sun, 200.0);
        if (shadow_hint) *shadow_hint = {hit.primitive, sunlit};
      }
    }
    const double ambient = 0.38 + 0.12 * surface.normal.z;
    const double haze = 1.0 - std::exp(-hit.t / kHazeM);
    return surface.albedo * (ambient + 0.75 * (sunlit ? facing : 0.0)) * (1 - haze) +
           sky_colour({direction.x, direction.y, 0.0}) * haze;
  };
  auto unit_ray = [&](double u, double v) {
    return camera.ego_from_camera.rotate(camera.ray_in_camera(u, v)).normalized();
  };
  // Small images are averaged over 2 x 2 sub-pixel rays, as a real camera
  // integrates light over each pixel: without it edges and road markings
  // alias and optical flow locks onto the staircase. Depth, class and
  // instance come from the ray through the pixel centre.
  const bool supersample = camera.width <= kSupersampleMaxWidth;
  parallel_for(camera.height, [&](int64_t row) {
    for (int col = 0; col < camera.width; ++col) {
      const size_t pixel =
          static_cast<size_t>(row) * static_cast<size_t>(camera.width) + static_cast<size_t>(col);
      const Vec3 ray_camera = camera.ray_in_camera(col + 0.5, double(row) + 0.5);
      const double ray_length = ray_camera.norm();
      const Vec3 direction = camera.ego_from_camera.rotate(ray_camera) * (1.0 / ray_length);
      HitRecord hit;
      const bool found = snapshot.cast(origin, direction, kFarM, hit);
      if (found) {
        const Surface surface = describe_hit(snapshot, world, hit);
        out.depth[pixel] = static_cast<float>(hit.t / ray_length);
        out.semantics[pixel] = rig.class_of(surface.kind);
        out.instance[pixel] = surface.instance;
      } else {
        out.depth[pixel] = 0.0f;
        out.semantics[pixel] = free_class;
        out.instance[pixel] = -1;
      }
      Vec3 colour;
      SunTest shadow_hint;  // sub-pixel rays on one primitive share a shadow test
      if (supersample) {
        for (const double du : {0.25, 0.75}) {
          for (const double dv : {0.25, 0.75})
            colour = colour + shade(unit_ray(col + du, double(row) + dv), &shadow_hint, nullptr) * 0.25;
        }
      } else {
        colour = found ? shade(direction, nullptr, &hit) : sky_colour(direction);
      }
      // Sensor noise: a little grain so no two pixels are exactly alike.
      const uint64_t h = hash_combine(noise_seed, pixel);
      for (int c = 0; c < 3; ++c) {
        const double grain = (double((h >> (16 * c)) & 0xFFFF) / 65535.0 - 0.5) * (3.0 / 255.0);
        const double value = c == 0 ? colour.x : c == 1 ? colour.y : colour.z;
        // Gamma 1/2.2: albedos are linear, images are sRGB-like.
        out.rgb[pixel * 3 + static_cast<size_t>(c)] =
            to_byte(std::pow(std::max(0.0, value), 1 / 2.2) + grain);
      }
    }
  });
}

std::vector<float> scan_lidar(const Snapshot& snapshot, const World& world, const LidarSpec& lidar) {
  std::vector<std::vector<float>> rings(static_cast<size_t>(lidar.beams));
  parallel_for(lidar.beams, [&](int64_t beam) {
    const double fraction = lidar.beams > 1 ? double(beam) / (lidar.beams - 1) : 0.5;
    const double elevation =
        (lidar.lowest_elevation_deg + fraction * (lidar.highest_elevation_deg - lidar.lowest_elevation_deg)) *
        kPi / 180;
    auto& ring = rings[static_cast<size_t>(beam)];
    for (int step = 0; step < lidar.azimuth_steps; ++step) {
      const double azimuth = 2 * kPi * step / lidar.azimuth_steps;
      const Vec3 direction{std::cos(elevation) * std::cos(azimuth), std::cos(elevation) * std::sin(azimuth),
                           std::sin(elevation)};
      HitRecord hit;
      if (!snapshot.cast(lidar.origin_in_ego, direction, lidar.max_range_m, hit)) continue;
      const Surface surface = describe_hit(snapshot, world, hit);
      const Vec3 point = lidar.origin_in_ego + direction * hit.t;
      const double brightness = (surface.albedo.x + surface.albedo.y + surface.albedo.z) / 3.0;
      const double intensity =
          std::clamp(255.0 * brightness * std::abs(surface.normal.dot(direction)), 0.0, 255.0);
      ring.insert(ring.end(), {float(point.x), float(point.y), float(point.z), float(std::round(intensity))});
    }
  });
  std::vector<float> points;
  for (const auto& ring : rings) points.insert(points.end(), ring.begin(), ring.end());
  return points;
}

}  // namespace occ::synth
