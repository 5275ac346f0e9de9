#include "metrics/kitti_sceneflow.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"

namespace occ::metrics {
namespace {

namespace fs = std::filesystem;

cv::Mat read_png(const std::string& path, int channels) {
  if (!fs::exists(path)) throw IoError(str("cannot open ", occ::quoted(path), ": no such file"));
  cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (image.empty()) throw FormatError(str("cannot read ", occ::quoted(path), ": not a PNG image"));
  if (image.depth() != CV_16U || image.channels() != channels) {
    throw FormatError(str("cannot read ", occ::quoted(path), ": expected a ", channels,
                          "-channel 16-bit PNG (KITTI format)"));
  }
  return image;
}

std::string rule_name(const OutlierRule& rule) {
  return str(static_cast<int>(rule.abs_px), "px_", static_cast<int>(rule.rel * 100 + 0.5), "pct");
}

nlohmann::ordered_json region_ratios(const OutlierCounts* counts) {
  auto value = [](double r) {
    return std::isnan(r) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(100 * r);
  };
  return {
      {"all", value(counts[0].ratio())}, {"bg", value(counts[1].ratio())}, {"fg", value(counts[2].ratio())}};
}

}  // namespace

DisparityMap read_kitti_disparity(const std::string& path) {
  const cv::Mat image = read_png(path, 1);
  DisparityMap map{image.cols, image.rows, std::vector<float>(image.total())};
  for (int v = 0; v < image.rows; ++v) {
    for (int u = 0; u < image.cols; ++u) {
      const uint16_t raw = image.at<uint16_t>(v, u);
      map.values[static_cast<size_t>(v) * image.cols + u] =
          raw == 0 ? -1.0f : static_cast<float>(raw) / 256.0f;
    }
  }
  return map;
}

FlowMap read_kitti_flow(const std::string& path) {
  const cv::Mat image = read_png(path, 3);  // OpenCV order: B, G, R
  const size_t n = image.total();
  FlowMap map{image.cols, image.rows, std::vector<float>(n), std::vector<float>(n), std::vector<uint8_t>(n)};
  for (int v = 0; v < image.rows; ++v) {
    for (int u = 0; u < image.cols; ++u) {
      const auto& bgr = image.at<cv::Vec<uint16_t, 3>>(v, u);
      const size_t i = static_cast<size_t>(v) * image.cols + u;
      map.valid[i] = bgr[0] > 0;
      map.u[i] = map.valid[i] ? (static_cast<float>(bgr[2]) - 32768.0f) / 64.0f : 0.0f;
      map.v[i] = map.valid[i] ? (static_cast<float>(bgr[1]) - 32768.0f) / 64.0f : 0.0f;
    }
  }
  return map;
}

void write_kitti_disparity(const std::string& path, const DisparityMap& map) {
  cv::Mat image(static_cast<int>(map.height), static_cast<int>(map.width), CV_16UC1);
  for (int v = 0; v < image.rows; ++v) {
    for (int u = 0; u < image.cols; ++u) {
      const float d = map.values[static_cast<size_t>(v) * image.cols + u];
      image.at<uint16_t>(v, u) = d < 0 ? 0 : static_cast<uint16_t>(std::clamp(d * 256.0f, 1.0f, 65535.0f));
    }
  }
  if (!cv::imwrite(path, image)) throw IoError(str("cannot write ", occ::quoted(path)));
}

void write_kitti_flow(const std::string& path, const FlowMap& map) {
  cv::Mat image(static_cast<int>(map.height), static_cast<int>(map.width), CV_16UC3, cv::Scalar(0, 0, 0));
  for (int v = 0; v < image.rows; ++v) {
    for (int u = 0; u < image.cols; ++u) {
      const size_t i = static_cast<size_t>(v) * image.cols + u;
      if (!map.valid[i]) continue;
      auto encode = [](float f) {
        return static_cast<uint16_t>(std::clamp(f * 64.0f + 32768.0f, 0.0f, 65535.0f));
      };
      image.at<cv::Vec<uint16_t, 3>>(v, u) = {1, encode(map.v[i]), encode(map.u[i])};
    }
  }
  if (!cv::imwrite(path, image)) throw IoError(str("cannot write ", occ::quoted(path)));
}

nlohmann::ordered_json evaluate_kitti_sceneflow(const KittiSceneFlowOptions& options) {
  const fs::path gt(options.gt_dir), result(options.result_dir);
  if (!fs::is_directory(gt / "disp_occ_0")) {
    throw IoError(str("cannot evaluate scene flow: ", occ::quoted(options.gt_dir),
                      " has no folder 'disp_occ_0' (give the KITTI 'training' folder)"));
  }
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(gt / "disp_occ_0")) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 7 && name.compare(name.size() - 7, 7, "_10.png") == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  if (names.empty())
    throw FormatError(
        str("cannot evaluate scene flow: no *_10.png in ", occ::quoted((gt / "disp_occ_0").string())));
  SceneFlowMetrics metrics;
  int64_t evaluated = 0, missing = 0;
  std::string first_missing;
  for (const auto& name : names) {
    const std::string d1 = (result / "disp_0" / name).string(), d2 = (result / "disp_1" / name).string();
    const std::string fl = (result / "flow" / name).string();
    for (const auto& path : {d1, d2, fl}) {
      if (!fs::exists(path) && first_missing.empty()) first_missing = path;
    }
    if (!fs::exists(d1) || !fs::exists(d2) || !fs::exists(fl)) {
      ++missing;
      continue;
    }
    const fs::path objects = gt / "obj_map" / name;
    std::vector<uint8_t> object_map;
    if (fs::exists(objects)) {
      const cv::Mat image = cv::imread(objects.string(), cv::IMREAD_GRAYSCALE);
      if (image.empty())
        throw FormatError(str("cannot read ", occ::quoted(objects.string()), ": not an image"));
      object_map.assign(image.datastart, image.dataend);
    }
    metrics.add(read_kitti_disparity((gt / "disp_occ_0" / name).string()),
                read_kitti_disparity((gt / "disp_occ_1" / name).string()),
                read_kitti_flow((gt / "flow_occ" / name).string()), read_kitti_disparity(d1),
                read_kitti_disparity(d2), read_kitti_flow(fl),
                object_map.empty() ? nullptr : object_map.data());
    ++evaluated;
  }
  if (missing > 0 && !options.allow_missing) {
    throw FormatError(str("cannot evaluate ", occ::quoted(options.result_dir), ": ", missing, " of ",
                          names.size(), " frames have no result (first: ", occ::quoted(first_missing),
                          "); --allow-missing evaluates the others"));
  }
  nlohmann::ordered_json section;
  for (size_t r = 0; r < metrics.rules().size(); ++r) {
    const SceneFlowCounts& c = metrics.counts(r);
    section[rule_name(metrics.rules()[r])] = {{"D1", region_ratios(c.d1)},
                                              {"D2", region_ratios(c.d2)},
                                              {"Fl", region_ratios(c.fl)},
                                              {"SF", region_ratios(c.sf)}};
  }
  auto number = [](double x) {
    return std::isnan(x) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(x);
  };
  section["DE"] = number(metrics.disparity_error(0));
  section["EPE"] = number(metrics.end_point_error(0));
  section["DE_FG"] = number(metrics.disparity_error(2));
  section["EPE_FG"] = number(metrics.end_point_error(2));
  return {{"gt", options.gt_dir},
          {"pred", options.result_dir},
          {"frames", evaluated},
          {"missing", missing},
          {"sceneflow", section}};
}

}  // namespace occ::metrics
