// FramesFile runs the schema's cheap value checks when it opens a file: bad
// geometry or links are an error naming the file, the dataset and the row.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "datasets/frames_file.h"
#include "support/frames_builder.h"
#include "support/temp_dir.h"

namespace occ::test {
namespace {

TestFrames three_frames() {
  TestFrames data;
  data.frames = 3;
  data.cameras = 2;
  data.grid_shape = {4, 4, 2};
  for (int i = 0; i < 6; ++i) data.images.push_back(cv::Mat(8, 12, CV_8UC3, cv::Scalar(10, 20, 30)));
  data.intrinsics = {Mat3{10, 0, 6, 0, 10, 4, 0, 0, 1}, Mat3{10, 0, 6, 0, 10, 4, 0, 0, 1}};
  return data;
}

std::string open_error(const TestFrames& data) {
  TempDir dir;
  const std::string path = dir.file("frames.h5");
  write_test_frames(path, data);
  try {
    FramesFile frames(path);
  } catch (const SchemaError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    return message;
  }
  return "";
}

TEST(FramesValues, AValidFileOpens) {
  EXPECT_EQ(open_error(three_frames()), "");
}

TEST(FramesValues, NonFinitePoseIsRefusedOnOpen) {
  TestFrames data = three_frames();
  data.world_from_ego = {identity4(), identity4(), identity4()};
  data.world_from_ego[2][7] = std::nan("");
  EXPECT_NE(open_error(data).find("dataset '/frames/world_from_ego' row 2 is not finite (nan at [2, 1, 3])"),
            std::string::npos);
}

TEST(FramesValues, InfiniteIntrinsicsAreRefusedOnOpen) {
  TestFrames data = three_frames();
  data.intrinsics[1][0] = HUGE_VAL;
  EXPECT_NE(open_error(data).find("dataset '/cameras/intrinsics' row 0 is not finite (inf at [0, 1, 0, 0])"),
            std::string::npos);
}

TEST(FramesValues, ExtrinsicsMustBeRotations) {
  TestFrames data = three_frames();
  Mat4 scaled = identity4();
  scaled[5] = 2.0;
  data.ego_from_camera = {identity4(), scaled};
  EXPECT_NE(
      open_error(data).find("dataset '/cameras/ego_from_camera' row 0: the rotation part of matrix [0, 1]"),
      std::string::npos);
}

TEST(FramesValues, LinksOutOfRangeAreRefusedOnOpen) {
  TestFrames data = three_frames();
  data.prev = {-1, 0, 7};
  data.next = {1, 2, -1};
  EXPECT_NE(open_error(data).find("dataset '/frames/prev' row 2: 7 is not a row of '/frames/token'"),
            std::string::npos);
}

}  // namespace
}  // namespace occ::test
