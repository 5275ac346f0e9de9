#include "datasets/synth/snapshot.h"

#include <algorithm>
#include <cmath>

namespace occ::synth {

using geom::Vec3;

Snapshot::Snapshot(const World& world, double time_s, double ego_height_m, double range_m)
    : time_s_(time_s), ground_z_(-ego_height_m), range_m_(range_m) {
  const Vec3 ego_position = world.ego.position(time_s);
  layout_from_ego_ =
      geom::Rigid::from_yaw(world.ego.yaw(time_s), {ego_position.x, ego_position.y, ego_height_m});
  const geom::Rigid ego_from_layout = layout_from_ego_.inverse();
  const double keep = range_m + 10.0;
  auto in_range = [&](const Vec3& p, double radius) {
    return std::abs(p.x) - radius < keep && std::abs(p.y) - radius < keep;
  };
  for (const auto& primitive : world.static_primitives) {
    Primitive moved = transformed(primitive, ego_from_layout);
    if (in_range(moved.centre, moved.bounding_radius_xy())) primitives_.push_back(moved);
  }
  for (const auto& object : world.objects) {
    const Vec3 position = object.motion.position(time_s);
    const double yaw = object.motion.yaw(time_s);
    const geom::Rigid layout_from_object = geom::Rigid::from_yaw(yaw, position);
    const geom::Rigid ego_from_object = ego_from_layout * layout_from_object;
    ObjectState state;
    state.instance = object.instance;
    state.kind = object.kind;
    state.centre = ego_from_object.apply({0, 0, 0.5 * object.height});
    if (!in_range(state.centre, std::hypot(object.length, object.width))) continue;
    state.yaw = ego_from_object.yaw();
    state.velocity = ego_from_layout.rotate(object.motion.velocity(time_s));
    state.yaw_rate = object.motion.yaw_rate_at(time_s);
    state.length = object.length;
    state.width = object.width;
    state.height = object.height;
    state.moving = object.motion.moving();
    objects_.push_back(state);
    for (const auto& part : object.parts) primitives_.push_back(transformed(part, ego_from_object));
  }
  int32_t max_instance = 0;
  for (const auto& object : objects_) max_instance = std::max(max_instance, object.instance);
  object_by_instance_.assign(static_cast<size_t>(max_instance) + 1, -1);
  for (size_t i = 0; i < objects_.size(); ++i)
    object_by_instance_[static_cast<size_t>(objects_[i].instance)] = int(i);
  for (const auto& primitive : primitives_) max_top_ = std::max(max_top_, primitive.top());
  build_index();
}

int Snapshot::object_of_instance(int32_t instance) const {
  if (instance < 0 || instance >= static_cast<int32_t>(object_by_instance_.size())) return -1;
  return object_by_instance_[static_cast<size_t>(instance)];
}

void Snapshot::build_index() {
  cells_ = static_cast<int>(std::ceil(2 * range_m_ / cell_m_));
  const size_t cell_count = static_cast<size_t>(cells_) * static_cast<size_t>(cells_);
  std::vector<std::vector<int>> lists(cell_count);
  auto cell_of = [&](double v) {
    return std::clamp(static_cast<int>(std::floor((v + range_m_) / cell_m_)), 0, cells_ - 1);
  };
  for (size_t i = 0; i < primitives_.size(); ++i) {
    const Primitive& p = primitives_[i];
    const double r = p.bounding_radius_xy();
    if (p.centre.x + r < -range_m_ || p.centre.x - r > range_m_ || p.centre.y + r < -range_m_ ||
        p.centre.y - r > range_m_) {
      continue;
    }
    for (int cx = cell_of(p.centre.x - r); cx <= cell_of(p.centre.x + r); ++cx) {
      for (int cy = cell_of(p.centre.y - r); cy <= cell_of(p.centre.y + r); ++cy) {
        lists[static_cast<size_t>(cx) * static_cast<size_t>(cells_) + static_cast<size_t>(cy)].push_back(
            int(i));
      }
    }
  }
  cell_start_.assign(cell_count + 1, 0);
  for (size_t c = 0; c < cell_count; ++c)
    cell_start_[c + 1] = cell_start_[c] + static_cast<int>(lists[c].size());
  cell_items_.clear();
  cell_items_.reserve(static_cast<size_t>(cell_start_.back()));
  for (const auto& list : lists) cell_items_.insert(cell_items_.end(), list.begin(), list.end());
}

template <bool any_hit>
bool Snapshot::trace(const Vec3& o, const Vec3& d, double t_max, HitRecord& hit) const {
  // The ground plane bounds every ray that goes down.
  double t_ground = INFINITY;
  if (d.z < -1e-12 && o.z > ground_z_) t_ground = (ground_z_ - o.z) / d.z;
  double best = std::min(t_max, t_ground);
  // Nothing is taller than max_top_: a rising ray above it is done.
  if (d.z > 1e-12 && o.z < max_top_) best = std::min(best, (max_top_ - o.z) / d.z + 1e-6);
  // The part of the ray inside the index square.
  double t0 = 0, t1 = best;
  const double lo = -range_m_, hi = range_m_;
  for (const auto& [oa, da] : {std::pair<double, double>{o.x, d.x}, std::pair<double, double>{o.y, d.y}}) {
    if (std::abs(da) < 1e-15) {
      if (oa < lo || oa >= hi) t1 = -1;
      continue;
    }
    double a = (lo - oa) / da, b = (hi - oa) / da;
    if (a > b) std::swap(a, b);
    t0 = std::max(t0, a);
    t1 = std::min(t1, b);
  }
  bool found_primitive = false;
  if (t0 < t1) {
    // 2D DDA over the cells the ray crosses (Amanatides & Woo in the plane).
    const double sx = o.x + d.x * (t0 + 1e-9), sy = o.y + d.y * (t0 + 1e-9);
    int cx = std::clamp(static_cast<int>(std::floor((sx - lo) / cell_m_)), 0, cells_ - 1);
    int cy = std::clamp(static_cast<int>(std::floor((sy - lo) / cell_m_)), 0, cells_ - 1);
    const int step_x = d.x > 0 ? 1 : -1, step_y = d.y > 0 ? 1 : -1;
    const double dt_x = std::abs(d.x) > 1e-15 ? cell_m_ / std::abs(d.x) : INFINITY;
    const double dt_y = std::abs(d.y) > 1e-15 ? cell_m_ / std::abs(d.y) : INFINITY;
    double next_x = std::abs(d.x) > 1e-15 ? (lo + (cx + (d.x > 0 ? 1 : 0)) * cell_m_ - o.x) / d.x : INFINITY;
    double next_y = std::abs(d.y) > 1e-15 ? (lo + (cy + (d.y > 0 ? 1 : 0)) * cell_m_ - o.y) / d.y : INFINITY;
    double t_cell = t0;
    while (t_cell < best && t_cell < t1) {
      const size_t cell = static_cast<size_t>(cx) * static_cast<size_t>(cells_) + static_cast<size_t>(cy);
      for (int k = cell_start_[cell]; k < cell_start_[cell + 1]; ++k) {
        const int index = cell_items_[static_cast<size_t>(k)];
        double t;
        Vec3 point, normal;
        if (primitives_[static_cast<size_t>(index)].intersect(o, d, best, t, point, normal)) {
          if (any_hit) return true;
          best = t;
          hit.t = t;
          hit.primitive = index;
          hit.local_point = point;
          hit.local_normal = normal;
          found_primitive = true;
        }
      }
      const double t_exit = std::min(next_x, next_y);
      if (best <= t_exit) break;  // later cells lie beyond the hit
      t_cell = t_exit;
      if (next_x < next_y) {
        cx += step_x;
        next_x += dt_x;
        if (cx < 0 || cx >= cells_) break;
      } else {
        cy += step_y;
        next_y += dt_y;
        if (cy < 0 || cy >= cells_) break;
      }
    }
  }
  if (found_primitive) return true;
  if (t_ground < t_max) {
    if (any_hit) return true;
    hit.t = t_ground;
    hit.primitive = -1;
    hit.local_point = o + d * t_ground;
    hit.local_normal = {0, 0, 1};
    return true;
  }
  return false;
}

bool Snapshot::cast(const Vec3& origin, const Vec3& direction, double t_max, HitRecord& hit) const {
  return trace<false>(origin, direction, t_max, hit);
}

bool Snapshot::blocked(const Vec3& origin, const Vec3& direction, double t_max) const {
  HitRecord ignored;
  return trace<true>(origin, direction, t_max, ignored);
}

}  // namespace occ::synth
