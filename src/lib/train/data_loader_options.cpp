// Checks and JSON form of the loader's options (ImageOptions is recorded in
// model files so inference feeds the network what training fed it).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "train/data_loader.h"

namespace occ::train {
namespace {

constexpr int kMaxImageSide = 16384;

const std::set<std::string>& image_option_keys() {
  static const std::set<std::string> keys{"height", "width", "mean", "std", "bgr", "flip_probability"};
  return keys;
}

// The shortest decimal that reads back as the same float, so recorded
// options show 123.675 rather than float's 123.67500305175781.
nlohmann::json short_decimals(const std::array<float, 3>& values) {
  nlohmann::json list = nlohmann::json::array();
  for (const float value : values) {
    double shortest = value;
    for (int digits = 6; digits <= 9; ++digits) {
      char text[32];
      std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(value));
      shortest = std::strtod(text, nullptr);
      if (static_cast<float>(shortest) == value) break;
    }
    list.push_back(shortest);
  }
  return list;
}

std::string image_key(const std::string& key) {
  return "image option " + quoted(key);
}

int read_int(const nlohmann::json& json, const std::string& key) {
  const auto& value = json.at(key);
  if (!value.is_number_integer())
    throw UsageError(str(image_key(key), " must be an integer, not ", value.dump()));
  const auto number = value.get<int64_t>();
  if (number < 0 || number > kMaxImageSide) {
    throw UsageError(str(image_key(key), " must be from 0 to ", kMaxImageSide, ", not ", number));
  }
  return static_cast<int>(number);
}

double read_number(const nlohmann::json& json, const std::string& key) {
  const auto& value = json.at(key);
  if (!value.is_number()) throw UsageError(str(image_key(key), " must be a number, not ", value.dump()));
  return value.get<double>();
}

std::array<float, 3> read_triple(const nlohmann::json& json, const std::string& key) {
  const auto& value = json.at(key);
  if (!value.is_array() || value.size() != 3) {
    throw UsageError(str(image_key(key), " must be a list of 3 numbers, not ", value.dump()));
  }
  std::array<float, 3> triple{};
  for (size_t c = 0; c < 3; ++c) {
    if (!value[c].is_number()) {
      throw UsageError(str(image_key(key), " must be a list of 3 numbers, not ", value.dump()));
    }
    triple[c] = value[c].get<float>();
  }
  return triple;
}

}  // namespace

void ImageOptions::validate() const {
  if (height < 0 || height > kMaxImageSide) {
    throw UsageError(
        str(image_key("height"), " must be from 0 (stored size) to ", kMaxImageSide, ", not ", height));
  }
  if (width < 0 || width > kMaxImageSide) {
    throw UsageError(
        str(image_key("width"), " must be from 0 (stored size) to ", kMaxImageSide, ", not ", width));
  }
  for (size_t c = 0; c < 3; ++c) {
    if (!std::isfinite(mean[c])) throw UsageError(str(image_key("mean"), " must be finite, not ", mean[c]));
    if (!(std::isfinite(std[c]) && std[c] > 0)) {
      throw UsageError(str(image_key("std"), " must be positive and finite, not ", std[c]));
    }
  }
  if (!(flip_probability >= 0 && flip_probability <= 1)) {
    throw UsageError(str(image_key("flip_probability"), " must be from 0 to 1, not ", flip_probability));
  }
}

nlohmann::json ImageOptions::to_json() const {
  return {{"height", height},           {"width", width}, {"mean", short_decimals(mean)},
          {"std", short_decimals(std)}, {"bgr", bgr},     {"flip_probability", flip_probability}};
}

ImageOptions ImageOptions::from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw UsageError(str("image options must be a JSON object, not ", json.dump()));
  std::vector<std::string> unknown;
  for (const auto& item : json.items()) {
    if (!image_option_keys().count(item.key())) unknown.push_back(quoted(item.key()));
  }
  if (!unknown.empty()) {
    throw UsageError(
        str("unknown image option ", join(unknown, ", "), " (known: ", join(image_option_keys(), ", "), ")"));
  }
  // Missing keys keep their defaults, so files written before a key existed
  // still load.
  ImageOptions options;
  if (json.contains("height")) options.height = read_int(json, "height");
  if (json.contains("width")) options.width = read_int(json, "width");
  if (json.contains("mean")) options.mean = read_triple(json, "mean");
  if (json.contains("std")) options.std = read_triple(json, "std");
  if (json.contains("bgr")) {
    if (!json.at("bgr").is_boolean()) {
      throw UsageError(str(image_key("bgr"), " must be true or false, not ", json.at("bgr").dump()));
    }
    options.bgr = json.at("bgr").get<bool>();
  }
  if (json.contains("flip_probability")) options.flip_probability = read_number(json, "flip_probability");
  options.validate();
  return options;
}

void LoaderOptions::validate() const {
  auto require = [](bool ok, const std::string& key, const std::string& rule, int64_t value) {
    if (!ok) throw UsageError(str("loader option ", quoted(key), " must be ", rule, ", not ", value));
  };
  require(batch_size >= 1, "batch_size", "at least 1", batch_size);
  require(workers >= 0, "workers", "0 (decode in next()) or more", workers);
  require(prefetch >= 1, "prefetch", "at least 1", prefetch);
  require(world_size >= 1, "world_size", "at least 1", world_size);
  require(rank >= 0 && rank < world_size, "rank", str("from 0 to world_size - 1 = ", world_size - 1), rank);
  require(history_frames >= 0, "history_frames", "0 (none) or more", history_frames);
  require(history_stride >= 1, "history_stride", "at least 1", history_stride);
  require(lidar_points >= 0, "lidar_points", "0 (none) or more", lidar_points);
  for (const int offset : neighbour_offsets)
    require(offset != 0, "neighbour_offsets", "non-zero keyframe offsets", offset);
}

void LoaderOptions::ask_for(const models::ModelInputs& inputs, bool training) {
  history_frames = inputs.history_frames;
  history_stride = inputs.history_stride;
  capture_poses = inputs.capture_poses;
  neighbour_offsets = training ? inputs.neighbour_offsets : std::vector<int>{};
  previous_source_max_distance_m = training ? inputs.previous_source_max_distance_m : 0.0;
  colour_images = training && inputs.colour_images;
  lidar_points = training ? inputs.lidar_points : 0;
  sample_seeds = training && inputs.sample_seeds;
  camera_semantics = training && inputs.camera_semantics;
}

}  // namespace occ::train
