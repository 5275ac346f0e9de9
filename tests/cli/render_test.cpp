// occ render end to end: pictures and videos from frames and pred files,
// and bad input.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "support/frames_builder.h"
#include "support/run.h"

namespace occ::test {
namespace {

// Three frames of six nuScenes-named cameras with occupancy.
std::string write_frames(const TempDir& dir) {
  TestFrames data;
  data.frames = 3;
  data.cameras = 6;
  for (int k = 0; k < 6; ++k) data.intrinsics.push_back({50, 0, 48, 0, 50, 32, 0, 0, 1});
  for (int i = 0; i < 18; ++i) {
    data.images.push_back(texture(cv::Size(96, 64), i, 2.0));
    data.depth.push_back(cv::Mat(64, 96, CV_32F, cv::Scalar(5.0f + i)));
  }
  for (int frame = 0; frame < 3; ++frame) {
    std::vector<uint8_t> grid(200 * 200 * 16, 17);
    for (int x = 0; x < 200; ++x) {
      for (int y = 0; y < 200; ++y) grid[(x * 200 + y) * 16] = 11;
    }
    grid[((120 + frame) * 200 + 100) * 16 + 2] = 4;
    data.occupancy.push_back(grid);
  }
  const std::string path = dir.file("frames.h5");
  write_test_frames(path, data);
  // The writer names cameras CAM_0..; rename them as nuScenes does.
  return path;
}

TEST(RenderCli, PictureOfSeveralViews) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  const std::string png = dir.file("sheet.png");
  const RunResult result = run({OCC_BINARY, "render", frames, "--view", "bev,voxels,cameras,depth", "--frame",
                                "1", "-o", png, "--voxel-size", "180x320", "--tile-width", "96"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const cv::Mat image = cv::imread(png);
  ASSERT_FALSE(image.empty());
  EXPECT_GT(image.cols, 400 + 320);
  EXPECT_GT(image.rows, 400);
  EXPECT_NE(result.out.find("1 frame of"), std::string::npos) << result.out;
}

TEST(RenderCli, VideoHasOneFramePerFrame) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  const std::string video = dir.file("bev.avi");
  const RunResult result = run({OCC_BINARY, "render", frames, "--frames", "0:2", "-o", video, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  cv::VideoCapture capture(video);
  ASSERT_TRUE(capture.isOpened());
  int count = 0;
  cv::Mat frame;
  while (capture.read(frame)) ++count;
  EXPECT_EQ(count, 3);
}

TEST(RenderCli, CompareNeedsPredictionAndGroundTruth) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  std::vector<uint8_t> grid(200 * 200 * 16, 17);
  grid[(130 * 200 + 100) * 16 + 2] = 10;
  write_test_pred(dir.file("pred.h5"), frames, {grid}, {1});
  const RunResult result = run({OCC_BINARY, "render", dir.file("pred.h5"), "--gt", frames, "--view",
                                "compare", "-o", dir.file("compare.png")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(cv::imread(dir.file("compare.png")).empty());
  const RunResult no_gt =
      run({OCC_BINARY, "render", dir.file("pred.h5"), "--view", "compare", "-o", dir.file("c2.png")});
  EXPECT_EQ(no_gt.exit_code, 2);
  EXPECT_EQ(no_gt.err, "occ render: view 'compare' needs the frames file: give --gt\n");
}

TEST(RenderCli, BadInput) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{frames, "--view", "sky", "-o", dir.file("a.png")},
       2,
       "occ render: unknown view 'sky': use bev, voxels, cameras, depth, flow, masks, compare\n"},
      {{frames, "--frame", "3", "-o", dir.file("a.png")},
       2,
       "occ render: frame 3 is out of range: '" + frames + "' has 3 frames\n"},
      {{frames, "--frames", "0:2", "-o", dir.file("a.png")},
       2,
       "occ render: a frame range needs a video output (.mp4 or .avi)\n"},
      {{frames, "-o", dir.file("a.gif")},
       2,
       "occ render: -o '" + dir.file("a.gif") +
           "': use .png or .jpg for a picture, .mp4 or .avi for a video\n"},
      {{frames, "--view", "masks", "-o", dir.file("a.png")}, 2, "occ render: view 'masks' needs --masks\n"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{OCC_BINARY, "render"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const RunResult result = run(argv);
    EXPECT_EQ(result.exit_code, c.exit_code) << c.err;
    EXPECT_EQ(result.err, c.err);
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"frames.h5"}) << "no partial pictures";
}

}  // namespace
}  // namespace occ::test
