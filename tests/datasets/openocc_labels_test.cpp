// OpenOcc labels: class renumbering into Occ3D ids (checked by hand against
// the two published class lists) and the reader's checks; the shared image
// embedding of the prep readers.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "datasets/camera_images.h"
#include "datasets/npy.h"
#include "datasets/openocc_labels.h"
#include "support/temp_dir.h"

namespace occ::datasets {
namespace {

TEST(OpenOccLabels, ClassesRenumberIntoOcc3dIds) {
  // OpenOcc: car truck trailer bus construction_vehicle bicycle motorcycle
  // pedestrian traffic_cone barrier driveable_surface other_flat sidewalk
  // terrain manmade vegetation free; Occ3D: others barrier bicycle bus car
  // construction_vehicle motorcycle pedestrian traffic_cone trailer truck
  // driveable_surface other_flat sidewalk terrain manmade vegetation free.
  const std::vector<int> expected = {4, 10, 9, 3, 5, 2, 6, 7, 8, 1, 11, 12, 13, 14, 15, 16, 17};
  for (size_t id = 0; id < expected.size(); ++id)
    EXPECT_EQ(occ3d_class_of_openocc(uint8_t(id)), expected[id]);
  EXPECT_EQ(occ3d_class_of_openocc(17), 255);
}

TEST(OpenOccLabels, ReadsSemanticsFlowAndOptionalMasks) {
  test::TempDir dir;
  const std::string path = dir.file("labels.npz");
  const std::array<int64_t, 3> grid{2, 3, 4};
  std::vector<uint8_t> semantics(24);
  std::vector<float> flow(48);
  for (size_t v = 0; v < 24; ++v)
    semantics[v] = uint8_t(v % 17), flow[2 * v] = float(v), flow[2 * v + 1] = -1;
  semantics[5] = 255;  // ignored stays ignored
  npy::write_npz(
      path,
      {{"semantics", npy::make_uint8({2, 3, 4}, semantics)}, {"flow", npy::make_float32({2, 3, 4, 2}, flow)}},
      false);
  EXPECT_FALSE(openocc_entries(path).mask_camera);
  const OpenOccLabels labels = read_openocc_labels(path, grid);
  EXPECT_EQ(labels.semantics[0], 4);  // car
  EXPECT_EQ(labels.semantics[5], 255);
  EXPECT_EQ(labels.semantics[16], 17);  // free
  EXPECT_EQ(labels.flow, flow);
  EXPECT_TRUE(labels.mask_camera.empty());
  EXPECT_TRUE(labels.mask_lidar.empty());

  semantics[7] = 17;  // no such OpenOcc class
  npy::write_npz(
      path,
      {{"semantics", npy::make_uint8({2, 3, 4}, semantics)}, {"flow", npy::make_float32({2, 3, 4, 2}, flow)}},
      false);
  try {
    read_openocc_labels(path, grid);
    FAIL() << "class 17 accepted";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("has class 17 at voxel 7"), std::string::npos) << error.what();
  }
  npy::write_npz(path, {{"semantics", npy::make_uint8({2, 3, 4}, std::vector<uint8_t>(24, 0))}}, false);
  EXPECT_THROW(read_openocc_labels(path, grid), FormatError);  // no flow
  EXPECT_THROW(read_openocc_labels(dir.file("missing.npz"), grid), IoError);
}

TEST(CameraImages, EmbeddingResizesByAreaAndScalesIntrinsics) {
  test::TempDir dir;
  cv::Mat bgr(20, 40, CV_8UC3);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 40; ++x) bgr.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(x * 6), uint8_t(y * 12), 7);
  ASSERT_TRUE(cv::imwrite(dir.file("image.png"), bgr));
  const std::array<double, 9> k{30, 0.5, 20, 0, 32, 10, 0, 0, 1};

  FrameRecord by_path;
  add_camera_image(by_path, ImageEmbedding::parse(false, "ignored"), dir.path(), "image.png", k);
  EXPECT_EQ(by_path.image_paths, std::vector<std::string>{"image.png"});
  EXPECT_EQ(by_path.intrinsics.at(0), k);

  FrameRecord embedded;
  const ImageEmbedding embedding = ImageEmbedding::parse(true, "10x10");
  add_camera_image(embedded, embedding, dir.path(), "image.png", k);
  cv::Mat resized, rgb;
  cv::resize(bgr, resized, cv::Size(10, 10), 0, 0, cv::INTER_AREA);
  cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
  EXPECT_EQ(embedded.images, std::vector<uint8_t>(rgb.datastart, rgb.dataend));
  // x by 10/40, y by 10/20: a point at pixel (u, v) moves to (u/4, v/2).
  const std::array<double, 9> scaled{7.5, 0.125, 5, 0, 16, 5, 0, 0, 1};
  EXPECT_EQ(embedded.intrinsics.at(0), scaled);
  FramesLayout layout;
  embedding.describe(layout);
  EXPECT_EQ(layout.image_height, 10);
  EXPECT_FALSE(layout.image_paths);
  EXPECT_THROW(ImageEmbedding::parse(true, "10by10"), UsageError);
}

}  // namespace
}  // namespace occ::datasets
