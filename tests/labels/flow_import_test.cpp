// Flow and masks written by other tools: files written here with OpenCV
// (KITTI PNG, Middlebury .flo, label PNGs), read back by labels/flow_import,
// and flow-labels / cluster-masks run on them (numpy's files: tests/python).
#include "labels/flow_import.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"
#include "labels/cluster_masks.h"
#include "labels/flow_labels.h"
#include "support/frames_builder.h"
#include "support/temp_dir.h"

namespace occ::labels {
namespace {

namespace fs = std::filesystem;

// A KITTI flow PNG as the devkit writes it, through cv::imwrite (B, G, R
// order in memory: B = valid, G = v, R = u).
void write_kitti_png(const std::string& path, const cv::Mat& flow, const cv::Mat& valid) {
  cv::Mat image(flow.size(), CV_16UC3);
  for (int y = 0; y < flow.rows; ++y) {
    for (int x = 0; x < flow.cols; ++x) {
      const cv::Vec2f f = flow.at<cv::Vec2f>(y, x);
      image.at<cv::Vec<uint16_t, 3>>(y, x) = {static_cast<uint16_t>(valid.at<uint8_t>(y, x)),
                                              static_cast<uint16_t>(f[1] * 64 + 32768),
                                              static_cast<uint16_t>(f[0] * 64 + 32768)};
    }
  }
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(cv::imwrite(path, image));
}

void write_flo(const std::string& path, const cv::Mat& flow) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(cv::writeOpticalFlow(path, flow));
}

cv::Mat test_flow(cv::Size size) {
  cv::Mat flow(size, CV_32FC2);
  for (int y = 0; y < size.height; ++y) {
    for (int x = 0; x < size.width; ++x)
      flow.at<cv::Vec2f>(y, x) = cv::Vec2f(0.25f * x - 3, -0.5f * y + 1.5f);
  }
  return flow;
}

TEST(FlowImport, KittiPngWrittenByOpenCvReadsBackWithItsValidBit) {
  test::TempDir dir;
  const cv::Mat flow = test_flow(cv::Size(40, 30));
  cv::Mat valid(flow.size(), CV_8U, cv::Scalar(1));
  valid(cv::Rect(0, 0, 5, 30)).setTo(0);
  write_kitti_png(dir.file("f.png"), flow, valid);
  const ImportedFlow read = read_flow_file(dir.file("f.png"));
  ASSERT_EQ(read.flow.size(), flow.size());
  EXPECT_EQ(cv::countNonZero(read.known != valid), 0);
  cv::Mat difference = read.flow - flow;
  difference.setTo(cv::Scalar(0, 0), valid == 0);
  EXPECT_LT(cv::norm(difference, cv::NORM_INF), 1.0 / 64 + 1e-6) << "1/64 px steps";
  EXPECT_EQ(read.flow.at<cv::Vec2f>(10, 2), cv::Vec2f(0, 0)) << "invalid pixels carry no flow";
}

TEST(FlowImport, MiddleburyFloWrittenByOpenCvReadsBackExactly) {
  test::TempDir dir;
  cv::Mat flow = test_flow(cv::Size(40, 30));
  flow.at<cv::Vec2f>(3, 4) = cv::Vec2f(1e10f, 0);  // Middlebury's unknown
  write_flo(dir.file("f.flo"), flow);
  const ImportedFlow read = read_flow_file(dir.file("f.flo"));
  EXPECT_EQ(read.known.at<uint8_t>(3, 4), 0);
  EXPECT_EQ(cv::countNonZero(read.known), 40 * 30 - 1);
  flow.at<cv::Vec2f>(3, 4) = cv::Vec2f(0, 0);
  EXPECT_EQ(cv::norm(read.flow, flow, cv::NORM_INF), 0.0);
}

TEST(FlowImport, BadFilesAreErrorsNamingThem) {
  test::TempDir dir;
  std::ofstream(dir.file("short.flo"), std::ios::binary) << "PIEH";
  write_flo(dir.file("whole.flo"), test_flow(cv::Size(8, 6)));
  fs::resize_file(dir.file("whole.flo"), 12 + 8 * 6 * 8 - 8);  // one pixel short
  cv::imwrite(dir.file("gray.png"), cv::Mat(6, 8, CV_8U, cv::Scalar(3)));
  std::ofstream(dir.file("text.npy")) << "not numpy";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"short.flo", "' is not a Middlebury .flo file (no 'PIEH' tag)"},
      {"whole.flo", "' is a truncated or oversized .flo file: header says 8x6 (396 bytes), the file has 388"},
      {"gray.png", "' is not a KITTI flow PNG: expected 16-bit, 3 channels, got 8-bit, 1 channel(s)"},
      {"text.npy", "': not a .npy array (bad magic)"},
      {"missing.flo", "cannot open '"}};
  for (const auto& [name, message] : cases) {
    try {
      read_flow_file(dir.file(name));
      ADD_FAILURE() << name;
    } catch (const Error& error) {
      const std::string what = error.what();
      EXPECT_NE(what.find(message), std::string::npos) << what;
      EXPECT_NE(what.find(dir.file(name)), std::string::npos) << what;
    }
  }
  EXPECT_THROW(read_label_png(dir.file("missing.png")), IoError);
  cv::imwrite(dir.file("colour.png"), cv::Mat(6, 8, CV_8UC3, cv::Scalar(1, 2, 3)));
  EXPECT_THROW(read_label_png(dir.file("colour.png")), FormatError);
}

TEST(FlowImport, FlowAtTheImageSizeIsScaledToTheWorkingSize) {
  const ImportedFlow full{cv::Mat(30, 40, CV_32FC2, cv::Scalar(4, -2)),
                          cv::Mat(30, 40, CV_8U, cv::Scalar(1))};
  const ImportedFlow half = fit_flow(full, cv::Size(40, 30), cv::Size(20, 15), "f.flo");
  ASSERT_EQ(half.flow.size(), cv::Size(20, 15));
  EXPECT_EQ(half.flow.at<cv::Vec2f>(7, 10), cv::Vec2f(2, -1));
  EXPECT_EQ(cv::countNonZero(half.known), 20 * 15);
  try {
    fit_flow(full, cv::Size(48, 32), cv::Size(24, 16), "f.flo");
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()),
              "'f.flo' is 30x40, expected 32x48 (the frames' images) or 16x24 (--size)");
  }
}

// Two keyframes of one camera (one sweep row between them): the content
// moves 4 px right per frame.
std::string write_frames(const test::TempDir& dir) {
  test::TestFrames data;
  data.frames = 3;
  data.intrinsics = {{60, 0, 32, 0, 60, 24, 0, 0, 1}};
  data.keyframe = {1, 0, 1};
  for (int frame = 0; frame < 3; ++frame) data.images.push_back(test::texture(cv::Size(64, 48), 30 + frame));
  const std::string path = dir.file("frames.h5");
  test::write_test_frames(path, data);
  return path;
}

cv::Mat read_flow_row(const std::string& path, const std::string& dataset, int64_t row) {
  const auto rows = h5::read_rows<Half>(h5::open_artifact(path, "flow"), dataset, row, 1);
  cv::Mat flow(static_cast<int>(rows.shape[2]), static_cast<int>(rows.shape[3]), CV_32FC2);
  for (size_t i = 0; i < rows.values.size(); ++i) flow.ptr<float>()[i] = half_to_float(rows.values[i]);
  return flow;
}

TEST(FlowImport, FlowLabelsUseImportedFlowForBothDirectionsOfEachPair) {
  test::TempDir dir;
  const std::string frames = write_frames(dir);
  const std::string flows = dir.file("flows");
  const cv::Size size(64, 48);
  // --direct: keyframe 0 to keyframe 2 (8 px) and back, in two formats.
  cv::Mat valid(size, CV_8U, cv::Scalar(1));
  valid(cv::Rect(0, 0, 64, 4)).setTo(0);  // the top rows have no value
  write_kitti_png(flows + "/next/token-0/CAM_0.png", cv::Mat(size, CV_32FC2, cv::Scalar(8, 0)), valid);
  write_flo(flows + "/prev/token-2/CAM_0.flo", cv::Mat(size, CV_32FC2, cv::Scalar(-8, 0)));
  FlowLabelOptions options;
  options.frames_path = frames;
  options.output_path = dir.file("flow.h5");
  options.import_dir = flows;
  options.direct = true;
  const FlowLabelSummary summary = make_flow_labels(options, nlohmann::json::object());
  EXPECT_EQ(summary.flow_computations, 2);
  const cv::Mat next = read_flow_row(options.output_path, "/next/flow", 0);
  EXPECT_EQ(next.at<cv::Vec2f>(20, 30), cv::Vec2f(8, 0));
  const h5::File file = h5::open_artifact(options.output_path, "flow");
  EXPECT_EQ(h5::read_string_attribute(file, "/", "method"), "import");
  const auto valid_rows = h5::read_rows<uint8_t>(file, "/next/valid", 0, 1).values;
  const cv::Mat stored(size, CV_8U, const_cast<uint8_t*>(valid_rows.data()));
  EXPECT_EQ(stored.at<uint8_t>(20, 30), 1);
  EXPECT_EQ(stored.at<uint8_t>(2, 30), 0) << "no value in the PNG";
  EXPECT_EQ(stored.at<uint8_t>(20, 60), 0) << "8 px right leaves the image";
  EXPECT_EQ(read_flow_row(options.output_path, "/prev/flow", 2).at<cv::Vec2f>(20, 30), cv::Vec2f(-8, 0));

  // Through the sweep: the frame pairs 0-1 and 1-2 are read instead; the
  // first missing file is named and nothing is written.
  options.direct = false;
  options.output_path = dir.file("sweeps.h5");
  try {
    make_flow_labels(options, nlohmann::json::object());
    FAIL();
  } catch (const IoError& error) {
    // next/token-0 exists (the same name serves the pairs 0-2 and 0-1).
    EXPECT_EQ(std::string(error.what()),
              "missing flow file '" + flows + "/prev/token-1/CAM_0.png' (or .flo, .npy)");
  }
  EXPECT_FALSE(fs::exists(options.output_path));
}

TEST(ClusterMasks, ImportedLabelMapsAreRenumberedAndSweepsNeedNone) {
  test::TempDir dir;
  const std::string frames = write_frames(dir);
  const std::string masks = dir.file("sam");
  cv::Mat labels(48, 64, CV_16U, cv::Scalar(700));
  labels(cv::Rect(0, 0, 32, 48)).setTo(3);
  labels(cv::Rect(40, 10, 10, 10)).setTo(65000);
  fs::create_directories(masks + "/token-0");
  ASSERT_TRUE(cv::imwrite(masks + "/token-0/CAM_0.png", labels));
  ClusterMaskOptions options;
  options.frames_path = frames;
  options.output_path = dir.file("masks.h5");
  options.import_dir = masks;
  try {
    make_cluster_masks(options, nlohmann::json::object());
    FAIL();
  } catch (const IoError& error) {
    EXPECT_EQ(std::string(error.what()), "missing mask file '" + masks + "/token-2/CAM_0.png'");
  }
  EXPECT_FALSE(fs::exists(options.output_path));
  fs::create_directories(masks + "/token-2");
  ASSERT_TRUE(cv::imwrite(masks + "/token-2/CAM_0.png", cv::Mat(24, 32, CV_8U, cv::Scalar(1))));
  try {
    make_cluster_masks(options, nlohmann::json::object());
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_EQ(std::string(error.what()),
              "'" + masks + "/token-2/CAM_0.png' is 24x32, expected 48x64 (the frames' images)");
  }
  ASSERT_TRUE(cv::imwrite(masks + "/token-2/CAM_0.png", cv::Mat(48, 64, CV_8U, cv::Scalar(9))));
  const ClusterMaskSummary summary = make_cluster_masks(options, nlohmann::json::object());
  EXPECT_EQ(summary.maps, 2) << "two keyframes; the sweep row has no mask";
  const h5::File file = h5::open_artifact(options.output_path, "masks");
  EXPECT_EQ(h5::read_string_attribute(file, "/", "method"), "import");
  const auto stored = h5::read_rows<uint16_t>(file, "/masks/labels", 0, 1).values;
  EXPECT_EQ(stored[0], 0);             // id 3
  EXPECT_EQ(stored[63], 1);            // id 700
  EXPECT_EQ(stored[15 * 64 + 45], 2);  // id 65000
  const auto counts = h5::read<int32_t>(file, "/masks/count").values;
  EXPECT_EQ(counts, (std::vector<int32_t>{3, 0, 1}));
}

}  // namespace
}  // namespace occ::labels
