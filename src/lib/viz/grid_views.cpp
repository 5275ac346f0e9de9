#include "viz/grid_views.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "core/threads.h"
#include "viz/palette.h"

namespace occ::viz {
namespace {

// Highest drawn voxel of a column, -1 when the column is empty.
int64_t top_voxel(const OccupancyGrid& grid, int64_t x, int64_t y, bool camera_only) {
  for (int64_t z = grid.shape[2] - 1; z >= 0; --z) {
    if (grid.shown(grid.linear(x, y, z), camera_only)) return z;
  }
  return -1;
}

void draw_ego_and_scale(cv::Mat& image, const OccupancyGrid& grid, const BevStyle& style) {
  const int ppv = style.pixels_per_voxel;
  const double metres_to_pixels = ppv / grid.voxel_size_m[0];
  // The ego origin (0, 0) in column coordinates.
  const double ego_col =
      (grid.origin_m[1] + grid.shape[1] * grid.voxel_size_m[1]) / grid.voxel_size_m[1];  // y flipped
  const double ego_row =
      (grid.origin_m[0] + grid.shape[0] * grid.voxel_size_m[0]) / grid.voxel_size_m[0];  // x flipped
  const cv::Point ego(static_cast<int>(ego_col * ppv), static_cast<int>(ego_row * ppv));
  if (style.ego_marker) {
    // A 4.5 m x 1.9 m car, front up, with a heading tick.
    const int half_length = static_cast<int>(2.25 * metres_to_pixels),
              half_width = static_cast<int>(0.95 * metres_to_pixels);
    cv::rectangle(image, cv::Rect(ego.x - half_width, ego.y - half_length, 2 * half_width, 2 * half_length),
                  cv::Scalar(20, 20, 20), cv::FILLED);
    cv::line(image, ego, ego - cv::Point(0, half_length + 3 * ppv), cv::Scalar(20, 20, 20),
             std::max(1, ppv / 2));
  }
  if (style.scale_bar) {
    const int length = static_cast<int>(std::lround(10.0 * metres_to_pixels));
    const cv::Point start(10, image.rows - 12);
    cv::line(image, start, start + cv::Point(length, 0), cv::Scalar(20, 20, 20), 2);
    cv::putText(image, "10 m", start + cv::Point(length + 5, 4), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                cv::Scalar(20, 20, 20), 1, cv::LINE_AA);
  }
}

cv::Vec3b shade(const cv::Vec3b& colour, double factor) {
  return cv::Vec3b(static_cast<uchar>(std::clamp(colour[0] * factor, 0.0, 255.0)),
                   static_cast<uchar>(std::clamp(colour[1] * factor, 0.0, 255.0)),
                   static_cast<uchar>(std::clamp(colour[2] * factor, 0.0, 255.0)));
}

}  // namespace

cv::Point bev_pixel(const OccupancyGrid& grid, int64_t x, int64_t y, int pixels_per_voxel) {
  const int64_t row = grid.shape[0] - 1 - x;
  const int64_t col = grid.shape[1] - 1 - y;
  return cv::Point(static_cast<int>(col * pixels_per_voxel + pixels_per_voxel / 2),
                   static_cast<int>(row * pixels_per_voxel + pixels_per_voxel / 2));
}

cv::Mat render_bev(const OccupancyGrid& grid, const std::vector<cv::Vec3b>& palette, const BevStyle& style) {
  const int ppv = style.pixels_per_voxel;
  cv::Mat image(static_cast<int>(grid.shape[0]) * ppv, static_cast<int>(grid.shape[1]) * ppv, CV_8UC3,
                cv::Scalar(kBackground[0], kBackground[1], kBackground[2]));
  for (int64_t x = 0; x < grid.shape[0]; ++x) {
    for (int64_t y = 0; y < grid.shape[1]; ++y) {
      const int64_t z = top_voxel(grid, x, y, style.camera_only);
      if (z < 0) continue;
      const uint8_t label = grid.labels[grid.linear(x, y, z)];
      // Higher voxels slightly brighter: height reads even top-down.
      const double factor = 0.75 + 0.25 * static_cast<double>(z) / std::max<int64_t>(1, grid.shape[2] - 1);
      const cv::Vec3b colour = shade(label < palette.size() ? palette[label] : cv::Vec3b(0, 0, 0), factor);
      const int row = static_cast<int>(grid.shape[0] - 1 - x) * ppv,
                col = static_cast<int>(grid.shape[1] - 1 - y) * ppv;
      image(cv::Rect(col, row, ppv, ppv)).setTo(cv::Scalar(colour[0], colour[1], colour[2]));
    }
  }
  draw_ego_and_scale(image, grid, style);
  return image;
}

cv::Mat render_voxels(const OccupancyGrid& grid, const std::vector<cv::Vec3b>& palette,
                      const VoxelCamera& camera) {
  cv::Mat image(camera.size, CV_8UC3);
  const double eye[3] = {-camera.back_m, 0.0, camera.up_m};
  const double target[3] = {camera.look_ahead_m, 0.0, 0.0};
  // Camera basis: forward f, right r (towards -y), up u.
  double f[3] = {target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]};
  const double f_norm = std::sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]);
  for (double& v : f) v /= f_norm;
  double r[3] = {f[1] * 1.0 - 0.0, 0.0 - f[0] * 1.0, 0.0};  // f x z_up
  const double r_norm = std::sqrt(r[0] * r[0] + r[1] * r[1]);
  r[0] /= r_norm;
  r[1] /= r_norm;
  const double u[3] = {r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0]};
  const double focal = 0.5 * camera.size.height / std::tan(camera.vertical_fov_deg * M_PI / 360.0);
  const double grid_min[3] = {grid.origin_m[0], grid.origin_m[1], grid.origin_m[2]};
  const double grid_max[3] = {grid.origin_m[0] + grid.shape[0] * grid.voxel_size_m[0],
                              grid.origin_m[1] + grid.shape[1] * grid.voxel_size_m[1],
                              grid.origin_m[2] + grid.shape[2] * grid.voxel_size_m[2]};
  const double face_light[3] = {0.78, 0.62, 1.0};  // x faces, y faces, top/bottom faces
  // Empty-space skipping: bricks of kBrick^3 voxels with nothing drawn are
  // crossed in one jump instead of voxel by voxel.
  constexpr int64_t kBrick = 4;
  const int64_t bricks[3] = {(grid.shape[0] + kBrick - 1) / kBrick, (grid.shape[1] + kBrick - 1) / kBrick,
                             (grid.shape[2] + kBrick - 1) / kBrick};
  std::vector<uint8_t> brick_drawn(static_cast<size_t>(bricks[0] * bricks[1] * bricks[2]), 0);
  for (int64_t x = 0; x < grid.shape[0]; ++x) {
    for (int64_t y = 0; y < grid.shape[1]; ++y) {
      for (int64_t z = 0; z < grid.shape[2]; ++z) {
        if (grid.shown(grid.linear(x, y, z), camera.camera_only)) {
          brick_drawn[static_cast<size_t>(((x / kBrick) * bricks[1] + y / kBrick) * bricks[2] + z / kBrick)] =
              1;
        }
      }
    }
  }
  parallel_for(camera.size.height, [&](int64_t row) {
    auto* out = image.ptr<cv::Vec3b>(static_cast<int>(row));
    for (int col = 0; col < camera.size.width; ++col) {
      const double px = (col + 0.5 - 0.5 * camera.size.width) / focal;
      const double py = (row + 0.5 - 0.5 * camera.size.height) / focal;
      double dir[3];
      for (int k = 0; k < 3; ++k) dir[k] = f[k] + px * r[k] - py * u[k];
      // Sky-to-ground gradient behind everything.
      const double t_sky = std::clamp(0.5 - 0.5 * dir[2], 0.0, 1.0);
      cv::Vec3b colour(static_cast<uchar>(235 - 40 * t_sky), static_cast<uchar>(240 - 40 * t_sky), 250);
      // Slab test against the grid box, then Amanatides-Woo traversal.
      double t_enter = 0, t_exit = 1e30;
      for (int k = 0; k < 3; ++k) {
        if (std::abs(dir[k]) < 1e-12) {
          if (eye[k] < grid_min[k] || eye[k] > grid_max[k]) t_enter = 1e30;
          continue;
        }
        double t0 = (grid_min[k] - eye[k]) / dir[k], t1 = (grid_max[k] - eye[k]) / dir[k];
        if (t0 > t1) std::swap(t0, t1);
        t_enter = std::max(t_enter, t0);
        t_exit = std::min(t_exit, t1);
      }
      if (t_enter < t_exit) {
        int64_t cell[3];
        double t_max[3], t_delta[3];
        int step[3];
        int axis = 2;
        for (int k = 0; k < 3; ++k) {
          const double p = eye[k] + (t_enter + 1e-9) * dir[k];
          cell[k] =
              std::clamp<int64_t>(static_cast<int64_t>(std::floor((p - grid_min[k]) / grid.voxel_size_m[k])),
                                  0, grid.shape[k] - 1);
          step[k] = dir[k] > 0 ? 1 : -1;
          t_delta[k] = std::abs(dir[k]) < 1e-12 ? 1e30 : grid.voxel_size_m[k] / std::abs(dir[k]);
          // The face the ray entered the box through shades the first voxel.
          if (std::abs((eye[k] + t_enter * dir[k]) - (dir[k] > 0 ? grid_min[k] : grid_max[k])) < 1e-6)
            axis = k;
        }
        auto seed_t_max = [&] {
          for (int k = 0; k < 3; ++k) {
            const double boundary = grid_min[k] + (cell[k] + (dir[k] > 0 ? 1 : 0)) * grid.voxel_size_m[k];
            t_max[k] = std::abs(dir[k]) < 1e-12 ? 1e30 : (boundary - eye[k]) / dir[k];
          }
        };
        seed_t_max();
        double t = t_enter;
        while (true) {
          const int64_t brick_x = cell[0] / kBrick, brick_y = cell[1] / kBrick, brick_z = cell[2] / kBrick;
          if (!brick_drawn[static_cast<size_t>((brick_x * bricks[1] + brick_y) * bricks[2] + brick_z)]) {
            // Jump to where the ray leaves this brick, then resume voxel steps.
            const int64_t brick[3] = {brick_x, brick_y, brick_z};
            double t_leave = 1e30;
            int leave_axis = axis;
            for (int k = 0; k < 3; ++k) {
              if (std::abs(dir[k]) < 1e-12) continue;
              const double bound =
                  grid_min[k] + (brick[k] + (dir[k] > 0 ? 1 : 0)) * kBrick * grid.voxel_size_m[k];
              const double t_k = (bound - eye[k]) / dir[k];
              if (t_k < t_leave) {
                t_leave = t_k;
                leave_axis = k;
              }
            }
            if (t_leave > t_exit) break;
            t = t_leave;
            axis = leave_axis;
            for (int k = 0; k < 3; ++k) {
              cell[k] = static_cast<int64_t>(
                  std::floor((eye[k] + t * dir[k] - grid_min[k]) / grid.voxel_size_m[k]));
            }
            // On the leaving axis the next cell is exact, whatever the rounding.
            cell[axis] = dir[axis] > 0 ? (brick[axis] + 1) * kBrick : brick[axis] * kBrick - 1;
            bool inside = true;
            for (int k = 0; k < 3; ++k) inside = inside && cell[k] >= 0 && cell[k] < grid.shape[k];
            if (!inside) break;
            seed_t_max();
            continue;
          }
          const int64_t i = grid.linear(cell[0], cell[1], cell[2]);
          if (grid.shown(i, camera.camera_only)) {
            const uint8_t label = grid.labels[i];
            const cv::Vec3b base = label < palette.size() ? palette[label] : cv::Vec3b(0, 0, 0);
            const double fog = std::exp(-std::max(0.0, t - 20.0) / 90.0);
            const cv::Vec3b lit = shade(base, face_light[axis]);
            for (int c = 0; c < 3; ++c) colour[c] = static_cast<uchar>(fog * lit[c] + (1 - fog) * colour[c]);
            break;
          }
          axis = t_max[0] < t_max[1] ? (t_max[0] < t_max[2] ? 0 : 2) : (t_max[1] < t_max[2] ? 1 : 2);
          t = t_max[axis];
          cell[axis] += step[axis];
          t_max[axis] += t_delta[axis];
          if (cell[axis] < 0 || cell[axis] >= grid.shape[axis] || t > t_exit) break;
        }
      }
      out[col] = colour;
    }
  });
  return image;
}

cv::Mat render_flow_bev(const OccupancyGrid& grid, double max_speed, const BevStyle& style, int arrow_step) {
  const int ppv = style.pixels_per_voxel;
  cv::Mat image(static_cast<int>(grid.shape[0]) * ppv, static_cast<int>(grid.shape[1]) * ppv, CV_8UC3,
                cv::Scalar(kBackground[0], kBackground[1], kBackground[2]));
  std::vector<cv::Vec2f> column_flow(static_cast<size_t>(grid.shape[0] * grid.shape[1]));
  for (int64_t x = 0; x < grid.shape[0]; ++x) {
    for (int64_t y = 0; y < grid.shape[1]; ++y) {
      const int64_t z = top_voxel(grid, x, y, style.camera_only);
      if (z < 0) continue;
      const int64_t i = grid.linear(x, y, z);
      const cv::Vec2f v =
          grid.flow.empty() ? cv::Vec2f(0, 0) : cv::Vec2f(grid.flow[2 * i], grid.flow[2 * i + 1]);
      column_flow[static_cast<size_t>(x * grid.shape[1] + y)] = v;
      const double speed = std::hypot(v[0], v[1]);
      cv::Vec3b colour(170, 170, 170);
      if (speed > 1e-3) {
        // Hue by heading in the BEV picture (up = +x), saturation by speed.
        const double angle = std::atan2(v[1], v[0]);
        cv::Mat hsv(
            1, 1, CV_8UC3,
            cv::Scalar((angle + M_PI) / (2 * M_PI) * 180, std::min(1.0, speed / max_speed) * 255, 255));
        cv::Mat rgb;
        cv::cvtColor(hsv, rgb, cv::COLOR_HSV2RGB);
        colour = rgb.at<cv::Vec3b>(0, 0);
      }
      const int row = static_cast<int>(grid.shape[0] - 1 - x) * ppv,
                col = static_cast<int>(grid.shape[1] - 1 - y) * ppv;
      image(cv::Rect(col, row, ppv, ppv)).setTo(cv::Scalar(colour[0], colour[1], colour[2]));
    }
  }
  for (int64_t x = arrow_step / 2; x < grid.shape[0]; x += arrow_step) {
    for (int64_t y = arrow_step / 2; y < grid.shape[1]; y += arrow_step) {
      const cv::Vec2f v = column_flow[static_cast<size_t>(x * grid.shape[1] + y)];
      const double speed = std::hypot(v[0], v[1]);
      if (speed < 0.2) continue;
      // One second of motion, drawn in BEV pixels (x up, y left).
      const cv::Point from = bev_pixel(grid, x, y, ppv);
      const cv::Point to = from + cv::Point(static_cast<int>(-v[1] / grid.voxel_size_m[1] * ppv),
                                            static_cast<int>(-v[0] / grid.voxel_size_m[0] * ppv));
      cv::arrowedLine(image, from, to, cv::Scalar(20, 20, 20), 1, cv::LINE_AA, 0, 0.3);
    }
  }
  draw_ego_and_scale(image, grid, style);
  return image;
}

cv::Mat render_error_bev(const OccupancyGrid& truth, const OccupancyGrid& prediction, const BevStyle& style) {
  const int ppv = style.pixels_per_voxel;
  cv::Mat image(static_cast<int>(truth.shape[0]) * ppv, static_cast<int>(truth.shape[1]) * ppv, CV_8UC3,
                cv::Scalar(kBackground[0], kBackground[1], kBackground[2]));
  for (int64_t x = 0; x < truth.shape[0]; ++x) {
    for (int64_t y = 0; y < truth.shape[1]; ++y) {
      // Share of the column's voxels occupied in either grid that disagree:
      // a column is rarely all right or all wrong, and marking any single
      // wrong voxel painted whole pictures red.
      int occupied = 0, wrong = 0;
      for (int64_t z = 0; z < truth.shape[2]; ++z) {
        const int64_t i = truth.linear(x, y, z);
        // Evaluate where Occ3D does: camera-visible voxels when asked.
        if (style.camera_only && !truth.visible.empty() && !truth.visible[i]) continue;
        if (truth.labels[i] == truth.free_class && prediction.labels[i] == prediction.free_class) continue;
        ++occupied;
        if (truth.labels[i] != prediction.labels[i]) ++wrong;
      }
      if (occupied == 0) continue;
      const double share = static_cast<double>(wrong) / static_cast<double>(occupied);
      const cv::Scalar colour(190 + share * (220 - 190), 190 + share * (30 - 190), 190 + share * (30 - 190));
      const int row = static_cast<int>(truth.shape[0] - 1 - x) * ppv,
                col = static_cast<int>(truth.shape[1] - 1 - y) * ppv;
      image(cv::Rect(col, row, ppv, ppv)).setTo(colour);
    }
  }
  draw_ego_and_scale(image, truth, style);
  return image;
}

}  // namespace occ::viz
