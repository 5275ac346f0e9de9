// occ render end to end: pictures and videos from frames and pred files,
// and bad input.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <filesystem>
#include <fstream>

#include "support/frames_builder.h"
#include "support/kitti_fixture_root.h"
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

// The KITTI tracking fixture as a dataset root, with the oxts file the
// fixture lacks (as in prep_real_test.cpp): real images, no occupancy.
std::string kitti_frames(const TempDir& dir) {
  const std::string root = kitti_fixture_root(dir);
  const std::string frames = dir.file("kitti.h5");
  const RunResult prep = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", root, "-o", frames, "-q"});
  EXPECT_EQ(prep.exit_code, 0) << prep.err;
  return frames;
}

TEST(RenderCli, FlowViewOfRealFramesWithoutOccupancyDrawsTheOpticalFlowAlone) {
  TempDir dir;
  const std::string frames = kitti_frames(dir), flow = dir.file("kitti.flow.h5");
  const RunResult labels =
      run({OCC_BINARY, "flow-labels", frames, "-o", flow, "--pairs", "next", "--size", "94x310", "-q"});
  ASSERT_EQ(labels.exit_code, 0) << labels.err;
  const std::string png = dir.file("flow.png");
  const RunResult result =
      run({OCC_BINARY, "render", frames, "--view", "flow", "--flow", flow, "-o", png, "--tile-width", "310"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const cv::Mat image = cv::imread(png);
  ASSERT_FALSE(image.empty());
  EXPECT_GE(image.cols, 310);
  // Without --flow there is nothing to draw: an error, not a picture.
  const RunResult nothing = run({OCC_BINARY, "render", frames, "--view", "flow", "-o", dir.file("none.png")});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_EQ(nothing.err, "occ render: view 'flow' needs --flow or occupancy flow in the input\n");
  // Views that need occupancy still say so.
  const RunResult bev = run({OCC_BINARY, "render", frames, "--view", "bev", "-o", dir.file("bev.png")});
  EXPECT_EQ(bev.exit_code, 1);
  EXPECT_EQ(bev.err, "occ render: '" + frames + "' has no '/occupancy/semantics' to draw\n");
}

TEST(RenderCli, TheClassLegendAppearsOnlyUnderViewsThatPaintClasses) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  auto rows = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv{OCC_BINARY,     "render", frames, "-o", dir.file("sheet.png"),
                                  "--tile-width", "96"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult result = run(argv);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return cv::imread(dir.file("sheet.png")).rows;
  };
  const int plain = rows({"--view", "cameras"}), overlay = rows({"--view", "cameras", "--overlay"});
  const int depth = rows({"--view", "depth"});
  EXPECT_GT(overlay, plain) << "the overlay paints classes: legend below";
  EXPECT_EQ(depth, plain) << "depth and plain cameras: same tiles, no legend";
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
       "occ render: unknown view 'sky': use bev, voxels, cameras, depth, flow, masks, prototypes, compare\n"},
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

// One frame of one 96x64 camera: a checkerboard of (10, 20, 30) and
// (30, 40, 50) left of x = 48 (mean (20, 30, 40)) and of (200, 100, 0) and
// (100, 52, 0) right of it (mean (150, 76, 0)).
std::string write_checker_frames(const TempDir& dir) {
  TestFrames data;
  data.frames = 1;
  data.cameras = 1;
  data.intrinsics.push_back({50, 0, 48, 0, 50, 32, 0, 0, 1});
  cv::Mat image(64, 96, CV_8UC3);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 96; ++x) {
      const bool odd = (x + y) % 2 == 1;
      image.at<cv::Vec3b>(y, x) = x < 48 ? (odd ? cv::Vec3b(30, 40, 50) : cv::Vec3b(10, 20, 30))
                                         : (odd ? cv::Vec3b(100, 52, 0) : cv::Vec3b(200, 100, 0));
    }
  }
  data.images.push_back(image);
  const std::string path = dir.file("frames.h5");
  write_test_frames(path, data);
  return path;
}

// Prototype ids on the 8x12 stride-8 grid of the 96x64 image: 0 in the left
// six columns, 1 in the right six (a 1x2 initial grid).
void write_prototype_pred(const std::string& path, const std::string& frames, bool with_prototypes) {
  const std::vector<uint8_t> grid(200 * 200 * 16, 17);
  write_test_pred(path, frames, {grid}, {0}, {200, 200, 16}, [&](h5::File& file) {
    if (!with_prototypes) return;
    std::vector<uint16_t> ids(8 * 12);
    for (int row = 0; row < 8; ++row) {
      for (int column = 0; column < 12; ++column) ids[row * 12 + column] = column < 6 ? 0 : 1;
    }
    h5::write(file, "/pred/prototypes", ids, {1, 1, 8, 12});
    h5::write(file, "/pred/prototype_grid", std::vector<int32_t>{1, 2}, {2});
  });
}

// Superpixel masks at full resolution: 0 left of x = 24, 1 elsewhere.
void write_checker_masks(const std::string& path, const std::string& frames) {
  h5::OutputArtifact out(path, "masks", {{"method", "seeds"}});
  out.set_frames_uuid(h5::read_string_attribute(h5::File::open(frames), "/", "uuid"));
  h5::write_attribute(out.file(), "/", "method", std::string("seeds"));
  h5::write_attribute(out.file(), "/", "parameters", std::string("{}"));
  h5::write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{64, 96});
  std::vector<uint16_t> labels(64 * 96);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 96; ++x) labels[y * 96 + x] = x < 24 ? 0 : 1;
  }
  h5::write(out.file(), "/masks/labels", labels, {1, 1, 64, 96});
  h5::write(out.file(), "/masks/count", std::vector<int32_t>{2}, {1, 1});
  out.commit();
}

// The top-left corner of the camera tile: the first pixel of the left
// prototype's mean colour (the tile is drawn 1:1 with --tile-width 96).
cv::Point tile_origin(const cv::Mat& sheet, const cv::Vec3b& rgb) {
  const cv::Vec3b bgr(rgb[2], rgb[1], rgb[0]);
  for (int y = 0; y < sheet.rows; ++y) {
    for (int x = 0; x < sheet.cols; ++x) {
      if (sheet.at<cv::Vec3b>(y, x) == bgr) return {x, y};
    }
  }
  return {-1, -1};
}

cv::Vec3b rgb_at(const cv::Mat& sheet, cv::Point origin, int x, int y) {
  const cv::Vec3b bgr = sheet.at<cv::Vec3b>(origin.y + y, origin.x + x);
  return {bgr[2], bgr[1], bgr[0]};
}

TEST(RenderCli, PrototypesArePaintedWithTheirMeanColourBesideTheMasks) {
  TempDir dir;
  const std::string frames = write_checker_frames(dir);
  write_prototype_pred(dir.file("pred.h5"), frames, true);
  write_checker_masks(dir.file("masks.h5"), frames);
  const cv::Vec3b left(20, 30, 40), right(150, 76, 0), white(255, 255, 255);

  const RunResult alone = run({OCC_BINARY, "render", dir.file("pred.h5"), "--gt", frames, "--view",
                               "prototypes", "--tile-width", "96", "-o", dir.file("prototypes.png")});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  cv::Mat sheet = cv::imread(dir.file("prototypes.png"));
  ASSERT_FALSE(sheet.empty());
  cv::Point origin = tile_origin(sheet, left);
  ASSERT_GE(origin.x, 0) << "no pixel has the left prototype's mean colour";
  // Rows below the camera name: the left region up to x = 46, its boundary
  // with the right region (x = 47) in white, then the right region's mean.
  for (int y = 24; y < 64; ++y) {
    EXPECT_EQ(rgb_at(sheet, origin, 0, y), left) << y;
    EXPECT_EQ(rgb_at(sheet, origin, 46, y), left) << y;
    EXPECT_EQ(rgb_at(sheet, origin, 47, y), white) << y;
    EXPECT_EQ(rgb_at(sheet, origin, 48, y), right) << y;
    EXPECT_EQ(rgb_at(sheet, origin, 95, y), right) << y;
  }

  const RunResult both =
      run({OCC_BINARY, "render", dir.file("pred.h5"), "--gt", frames, "--masks", dir.file("masks.h5"),
           "--view", "prototypes", "--tile-width", "96", "-o", dir.file("both.png")});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  sheet = cv::imread(dir.file("both.png"));
  ASSERT_FALSE(sheet.empty());
  origin = tile_origin(sheet, left);
  ASSERT_GE(origin.x, 0);
  // The masks start after the prototypes and a 4-pixel gap: mask 0 holds
  // only left pixels; mask 1 holds 24 left and 48 right columns.
  const int masks_x = 96 + 4;
  const cv::Vec3b mask_1(107, 61, 13);  // (24 (20, 30, 40) + 48 (150, 76, 0)) / 72, rounded
  for (int y = 24; y < 64; ++y) {
    EXPECT_EQ(rgb_at(sheet, origin, 47, y), white) << y;
    EXPECT_EQ(rgb_at(sheet, origin, 96, y), cv::Vec3b(64, 64, 64)) << y;
    EXPECT_EQ(rgb_at(sheet, origin, masks_x + 10, y), left) << y;
    EXPECT_EQ(rgb_at(sheet, origin, masks_x + 23, y), white) << y;
    EXPECT_EQ(rgb_at(sheet, origin, masks_x + 24, y), mask_1) << y;
    EXPECT_EQ(rgb_at(sheet, origin, masks_x + 95, y), mask_1) << y;
  }
}

TEST(RenderCli, PrototypesNeedAPredFileWithPrototypes) {
  TempDir dir;
  const std::string frames = write_checker_frames(dir);
  write_prototype_pred(dir.file("plain.h5"), frames, false);
  const RunResult plain = run({OCC_BINARY, "render", dir.file("plain.h5"), "--gt", frames, "--view",
                               "prototypes", "-o", dir.file("a.png")});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_EQ(plain.err, "occ render: view 'prototypes': '" + dir.file("plain.h5") +
                           "' has no '/pred/prototypes': make it with occ predict --prototypes\n");
  const RunResult from_frames =
      run({OCC_BINARY, "render", frames, "--view", "prototypes", "-o", dir.file("a.png")});
  EXPECT_EQ(from_frames.exit_code, 2);
  EXPECT_EQ(
      from_frames.err,
      "occ render: view 'prototypes' needs a pred file made by occ predict --prototypes as input and its "
      "frames file as --gt\n");
  write_prototype_pred(dir.file("pred.h5"), frames, true);
  const RunResult no_gt =
      run({OCC_BINARY, "render", dir.file("pred.h5"), "--view", "prototypes", "-o", dir.file("a.png")});
  EXPECT_EQ(no_gt.exit_code, 2);
  EXPECT_EQ(no_gt.err, "occ render: view 'prototypes' needs the frames file: give --gt\n");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"frames.h5", "plain.h5", "pred.h5"}))
      << "no partial pictures";
}

}  // namespace
}  // namespace occ::test
