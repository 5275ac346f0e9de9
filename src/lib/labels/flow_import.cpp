#include "labels/flow_import.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/npy.h"
#include "h5/half.h"

namespace occ::labels {
namespace {

namespace fs = std::filesystem;

std::string extension_of(const std::string& path) {
  std::string extension = fs::path(path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(str("cannot open ", quoted(path), ": ", std::strerror(errno)));
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ImportedFlow read_kitti_png(const std::string& path) {
  const cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (image.empty()) throw IoError(str("cannot read ", quoted(path), ": not a PNG OpenCV can decode"));
  if (image.type() != CV_16UC3) {
    throw FormatError(str(quoted(path), " is not a KITTI flow PNG: expected 16-bit, 3 channels, got ",
                          image.elemSize1() * 8, "-bit, ", image.channels(), " channel(s)"));
  }
  ImportedFlow out{cv::Mat::zeros(image.size(), CV_32FC2), cv::Mat::zeros(image.size(), CV_8U)};
  for (int y = 0; y < image.rows; ++y) {
    const auto* bgr = image.ptr<cv::Vec<uint16_t, 3>>(y);  // OpenCV order: B valid, G v, R u
    auto* flow = out.flow.ptr<cv::Vec2f>(y);
    uint8_t* known = out.known.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols; ++x) {
      if (bgr[x][0] == 0) continue;
      flow[x] = cv::Vec2f((static_cast<float>(bgr[x][2]) - 32768.0f) / 64.0f,
                          (static_cast<float>(bgr[x][1]) - 32768.0f) / 64.0f);
      known[x] = 1;
    }
  }
  return out;
}

ImportedFlow read_middlebury(const std::string& path) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  float magic = 0;
  int32_t width = 0, height = 0;
  if (bytes.size() >= 12) {
    std::memcpy(&magic, bytes.data(), 4);
    std::memcpy(&width, bytes.data() + 4, 4);
    std::memcpy(&height, bytes.data() + 8, 4);
  }
  if (bytes.size() < 12 || magic != 202021.25f) {
    throw FormatError(str(quoted(path), " is not a Middlebury .flo file (no 'PIEH' tag)"));
  }
  if (width <= 0 || height <= 0 || width > 100000 || height > 100000 ||
      bytes.size() != 12 + static_cast<size_t>(width) * static_cast<size_t>(height) * 8) {
    throw FormatError(str(quoted(path), " is a truncated or oversized .flo file: header says ", width, "x",
                          height, " (", 12 + int64_t{width} * height * 8, " bytes), the file has ",
                          bytes.size()));
  }
  ImportedFlow out{cv::Mat(height, width, CV_32FC2), cv::Mat::zeros(height, width, CV_8U)};
  std::memcpy(out.flow.data, bytes.data() + 12, static_cast<size_t>(width) * height * 8);
  for (int y = 0; y < height; ++y) {
    auto* flow = out.flow.ptr<cv::Vec2f>(y);
    uint8_t* known = out.known.ptr<uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      // flowIO.cpp: UNKNOWN_FLOW_THRESH 1e9.
      if (std::isfinite(flow[x][0]) && std::isfinite(flow[x][1]) && std::fabs(flow[x][0]) <= 1e9f &&
          std::fabs(flow[x][1]) <= 1e9f) {
        known[x] = 1;
      } else {
        flow[x] = cv::Vec2f(0, 0);
      }
    }
  }
  return out;
}

ImportedFlow read_npy_flow(const std::string& path) {
  const npy::Array array = npy::read_npy(path);
  if (array.shape.size() != 3 || array.shape[2] != 2 || array.shape[0] <= 0 || array.shape[1] <= 0) {
    std::vector<std::string> dims;
    for (const int64_t d : array.shape) dims.push_back(std::to_string(d));
    throw FormatError(str(quoted(path), " has shape (", join(dims, ", "), "), expected (H, W, 2) flow"));
  }
  std::vector<float> values;
  if (array.kind == 'f' && array.item_size == 8) {  // numpy's default float64
    values.resize(static_cast<size_t>(array.count()));
    for (size_t i = 0; i < values.size(); ++i) {
      double value = 0;
      std::memcpy(&value, &array.bytes[8 * i], 8);
      values[i] = static_cast<float>(value);
    }
  } else {
    values = array.as_float(quoted(path));
  }
  const int height = static_cast<int>(array.shape[0]), width = static_cast<int>(array.shape[1]);
  ImportedFlow out{cv::Mat(height, width, CV_32FC2), cv::Mat::zeros(height, width, CV_8U)};
  std::memcpy(out.flow.data, values.data(), values.size() * sizeof(float));
  for (int y = 0; y < height; ++y) {
    auto* flow = out.flow.ptr<cv::Vec2f>(y);
    uint8_t* known = out.known.ptr<uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      if (std::isfinite(flow[x][0]) && std::isfinite(flow[x][1])) {
        known[x] = 1;
      } else {
        flow[x] = cv::Vec2f(0, 0);
      }
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string>& flow_file_extensions() {
  static const std::vector<std::string> extensions = {".png", ".flo", ".npy"};
  return extensions;
}

ImportedFlow read_flow_file(const std::string& path) {
  if (!fs::exists(path)) throw IoError(str("cannot open ", quoted(path), ": No such file or directory"));
  const std::string extension = extension_of(path);
  if (extension == ".png") return read_kitti_png(path);
  if (extension == ".flo") return read_middlebury(path);
  if (extension == ".npy") return read_npy_flow(path);
  throw FormatError(str(quoted(path), ": unknown flow format, use ", join(flow_file_extensions(), ", ")));
}

std::string find_flow_file(const std::string& dir, const std::string& direction,
                           const std::string& frame_token, const std::string& camera) {
  const std::string stem = (fs::path(dir) / direction / frame_token / camera).string();
  for (const auto& extension : flow_file_extensions()) {
    if (fs::exists(stem + extension)) return stem + extension;
  }
  throw IoError(str("missing flow file ", quoted(stem + ".png"), " (or .flo, .npy)"));
}

ImportedFlow fit_flow(const ImportedFlow& imported, cv::Size native, cv::Size working,
                      const std::string& path) {
  const cv::Size size = imported.flow.size();
  if (size == working) return imported;
  if (size != native) {
    throw FormatError(
        str(quoted(path), " is ", size.height, "x", size.width, ", expected ", native.height, "x",
            native.width, " (the frames' images)",
            native == working ? "" : str(" or ", working.height, "x", working.width, " (--size)")));
  }
  ImportedFlow out;
  cv::resize(imported.flow, out.flow, working, 0, 0, cv::INTER_LINEAR);
  const double sx = static_cast<double>(working.width) / native.width;
  const double sy = static_cast<double>(working.height) / native.height;
  out.flow = out.flow.mul(cv::Scalar(sx, sy));
  cv::resize(imported.known, out.known, working, 0, 0, cv::INTER_NEAREST);
  return out;
}

cv::Mat read_label_png(const std::string& path) {
  if (!fs::exists(path)) throw IoError(str("cannot open ", quoted(path), ": No such file or directory"));
  const cv::Mat image = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (image.empty()) throw IoError(str("cannot read ", quoted(path), ": not an image OpenCV can decode"));
  if (image.channels() != 1 || (image.depth() != CV_8U && image.depth() != CV_16U)) {
    throw FormatError(str(quoted(path), " is not a label map: expected one 8- or 16-bit channel, got ",
                          image.elemSize1() * 8, "-bit, ", image.channels(), " channels"));
  }
  cv::Mat ids;
  image.convertTo(ids, CV_32S);
  return ids;
}

std::string find_label_file(const std::string& dir, const std::string& frame_token,
                            const std::string& camera) {
  const std::string path = (fs::path(dir) / frame_token / (camera + ".png")).string();
  if (!fs::exists(path)) throw IoError(str("missing mask file ", quoted(path)));
  return path;
}

}  // namespace occ::labels
