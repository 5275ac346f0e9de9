#include "metrics/ray_origins.h"

#include <algorithm>
#include <cmath>

namespace occ::metrics {
namespace {

Vec3 transform(const geom::Rigid& transform, const Vec3& p) {
  const geom::Vec3 out = transform.apply({p[0], p[1], p[2]});
  return {out.x, out.y, out.z};
}

}  // namespace

std::vector<int64_t> linspace_pick(int64_t n, int count) {
  std::vector<int64_t> picks;
  if (count <= 0) return picks;
  const double stop = static_cast<double>(n - 1);
  // numpy: step = (stop - start) / (num - 1); y = arange(num) * step; y[-1] = stop.
  const double step = count > 1 ? stop / (count - 1) : 0.0;
  for (int i = 0; i < count; ++i) {
    const double value = (i == count - 1 && count > 1) ? stop : i * step;
    picks.push_back(static_cast<int64_t>(std::nearbyint(value)));  // half to even, as np.round
  }
  return picks;
}

std::vector<Vec3> ray_origins(const std::vector<FramePose>& frames, int64_t row,
                              const OriginOptions& options) {
  const FramePose& reference = frames[static_cast<size_t>(row)];
  std::vector<int64_t> scene_rows;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].scene == reference.scene && (frames[i].keyframe || static_cast<int64_t>(i) == row)) {
      scene_rows.push_back(static_cast<int64_t>(i));
    }
  }
  std::stable_sort(scene_rows.begin(), scene_rows.end(), [&](int64_t a, int64_t b) {
    return frames[static_cast<size_t>(a)].timestamp_us < frames[static_cast<size_t>(b)].timestamp_us;
  });
  const geom::Rigid ego_from_world = geom::Rigid::from_matrix(reference.world_from_ego).inverse();
  std::vector<Vec3> origins;
  for (int64_t other : scene_rows) {
    const FramePose& frame = frames[static_cast<size_t>(other)];
    const Vec3 origin =
        other == row ? frame.lidar_origin_in_ego
                     : transform(ego_from_world, transform(geom::Rigid::from_matrix(frame.world_from_ego),
                                                           frame.lidar_origin_in_ego));
    if (std::abs(origin[0]) < options.range_m && std::abs(origin[1]) < options.range_m)
      origins.push_back(origin);
  }
  if (static_cast<int64_t>(origins.size()) > options.max_origins) {
    std::vector<Vec3> picked;
    for (int64_t index : linspace_pick(static_cast<int64_t>(origins.size()), options.max_origins)) {
      picked.push_back(origins[static_cast<size_t>(index)]);
    }
    origins = picked;
  }
  return origins;
}

}  // namespace occ::metrics
