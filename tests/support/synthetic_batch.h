#pragma once
// A hand-made batch for model tests: N cameras at 1 m height spread evenly in
// yaw (90 degree horizontal field of view), random images, and a scene of
// ground, a car-sized box and a vegetation column on `grid`.
#include <ATen/ATen.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/batch.h"

namespace occ::test {

inline models::Batch synthetic_batch(int64_t frames, int64_t cameras, int64_t height, int64_t width,
                                     const models::GridSpec& grid) {
  constexpr double kPi = 3.14159265358979323846;
  models::Batch batch;
  batch.images = at::randn({frames, cameras, 3, height, width});
  const double focal = static_cast<double>(width) / 2.0;
  const at::Tensor k = at::tensor({focal, 0.0, focal, 0.0, focal, height / 2.0, 0.0, 0.0, 1.0}, at::kDouble)
                           .view({3, 3})
                           .to(at::kFloat);
  std::vector<at::Tensor> poses;
  for (int64_t n = 0; n < cameras; ++n) {
    const double yaw = 2.0 * kPi * static_cast<double>(n) / static_cast<double>(cameras);
    const double c = std::cos(yaw), s = std::sin(yaw);
    // Columns: camera right, down, forward in the ego frame.
    poses.push_back(
        at::tensor({s, 0.0, c, 0.0, -c, 0.0, s, 0.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0}, at::kDouble)
            .view({4, 4})
            .to(at::kFloat));
  }
  batch.intrinsics = k.expand({frames, cameras, 3, 3}).contiguous();
  batch.ego_from_camera = at::stack(poses).expand({frames, cameras, 4, 4}).contiguous();
  const auto [nx, ny, nz] = grid.shape;
  batch.semantics = at::full({frames, nx, ny, nz}, grid.free_class, at::kLong);
  batch.semantics.select(3, 0).fill_(11);
  batch.semantics.slice(1, nx * 5 / 8, nx * 13 / 16).slice(2, ny / 4, ny / 2).slice(3, 1, 3).fill_(4);
  batch.semantics.slice(1, nx / 8, nx / 4).slice(2, ny * 3 / 4, ny * 7 / 8).slice(3, 1, nz).fill_(16);
  batch.mask_camera = at::ones({frames, nx, ny, nz});
  for (int64_t i = 0; i < frames; ++i) batch.frames.push_back(i);
  return batch;
}

// A model preset shrunk in width only (channels, layers), keeping its
// geometry; `config` is a complete configuration of a baseline-derived kind.
inline nlohmann::json narrowed(nlohmann::json config) {
  config["embed_dims"] = 16;
  config["num_heads"] = 2;
  config["num_points"] = 2;
  config["ffn_dims"] = 16;
  config["encoder_layers"] = 1;
  config["classifier_hidden"] = 8;
  nlohmann::json channels = nlohmann::json::array();
  for (size_t i = 0; i < config["decoder_channels"].size(); ++i) channels.push_back(4);
  config["decoder_channels"] = channels;
  if (config.contains("proto_hidden_dims")) config["proto_hidden_dims"] = 16;
  return config;
}

}  // namespace occ::test
