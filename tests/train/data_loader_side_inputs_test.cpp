// BatchLoader's inputs for self-supervised kinds (models::Batch's contract):
// neighbour keyframes with their colour images and the ego motion to them,
// colour images in [0, 1], capture poses, flow labels resized and flipped
// with their images, LiDAR draws and per-sample seeds that a resumed run
// draws again.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/error.h"
#include "geom/rigid.h"
#include "h5/dataset.h"
#include "h5/file.h"
#include "models/model_inputs.h"
#include "support/flow_label_files.h"
#include "support/frames_builder.h"
#include "support/temp_dir.h"
#include "train/data_loader.h"
#include "train/loader_test_frames.h"
#include "train/trainer_test_frames.h"

namespace occ::train {
namespace {

using test::LoaderFrames;

LoaderOptions in_order(int batch_size) {
  LoaderOptions options = LoaderOptions::single_pass(batch_size);
  options.workers = 0;
  return options;
}

// inverse(world_from_ego[to]) * world_from_ego[from], as the loader must give it.
at::Tensor expected_transform(int from, int to) {
  const auto a = test::test_world_from_ego(from), b = test::test_world_from_ego(to);
  double matrix[16];
  (geom::Rigid::from_matrix(b.data()).inverse() * geom::Rigid::from_matrix(a.data())).to_matrix(matrix);
  return at::from_blob(matrix, {4, 4}, at::kDouble).to(at::kFloat);
}

class SideInputsTest : public ::testing::Test {
 protected:
  occ::test::TempDir dir_;
};

TEST_F(SideInputsTest, NeighboursAreTheAdjacentKeyframesWithColoursAndTheEgoMotionToThem) {
  LoaderFrames spec;
  spec.frames = 5;
  spec.keyframes = {true, false, true, true, true};  // row 1 is a sweep: skipped
  const std::string path = dir_.file("frames.h5");
  test::write_loader_frames(path, spec);
  LoaderOptions options = in_order(1);
  options.neighbour_offsets = {-1, 1};
  options.colour_images = true;
  BatchLoader loader(path, {0, 2, 4}, ImageOptions{}, options);

  // Row 0: no previous keyframe; the next one is row 2 (row 1 is a sweep).
  const models::Batch first = *loader.next();
  EXPECT_EQ(first.neighbour_colour_images.sizes(), (at::IntArrayRef{1, 2, 2, 3, 24, 32}));
  EXPECT_FALSE(first.neighbour_valid[0][0].item<bool>());
  EXPECT_TRUE(first.neighbour_valid[0][1].item<bool>());
  // R = 10 * frame + camera, as colours in [0, 1].
  EXPECT_NEAR(first.colour_images[0][1][0][3][4].item<float>(), 1.0 / 255.0, 1e-7);
  EXPECT_NEAR(first.neighbour_colour_images[0][1][1][0][3][4].item<float>(), 21.0 / 255.0, 1e-7);
  EXPECT_NEAR(first.neighbour_colour_images[0][1][0][1][3][4].item<float>(), 16.0 / 255.0, 1e-7);  // G = 4x
  EXPECT_TRUE(at::allclose(first.neighbour_from_current[0][1][0], expected_transform(0, 2), 1e-5, 1e-5));
  // The missing previous keyframe repeats the frame itself, unmoved.
  EXPECT_TRUE(at::equal(first.neighbour_colour_images[0][0], first.colour_images[0]));
  EXPECT_TRUE(at::equal(first.neighbour_from_current[0][0][1], at::eye(4, at::kFloat)));

  const models::Batch second = *loader.next();  // row 2: rows 0 and 3
  EXPECT_TRUE(second.neighbour_valid.all().item<bool>());
  EXPECT_TRUE(at::allclose(second.neighbour_from_current[0][0][0], expected_transform(2, 0), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(second.neighbour_from_current[0][1][1], expected_transform(2, 3), 1e-5, 1e-5));
  EXPECT_NEAR(second.neighbour_intrinsics[0][1][1][0][0].item<float>(), 25.0f, 1e-6);  // camera 1's fx
}

TEST_F(SideInputsTest, RowsWithNeighboursLeaveOutKeyframesAlone) {
  LoaderFrames spec;
  spec.frames = 4;
  spec.scenes = {0, 1, 1, 2};  // scenes 0 and 2 have one keyframe each
  const std::string path = dir_.file("scenes.h5");
  test::write_loader_frames(path, spec);
  EXPECT_EQ(rows_with_neighbours(path, {-1, 1}), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(rows_with_neighbours(path, {1}), (std::vector<int64_t>{1}));
  EXPECT_EQ(rows_with_neighbours(path, {}), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST_F(SideInputsTest, FlowLabelsAreResizedScaledAndMirroredWithTheirImages) {
  LoaderFrames spec;
  spec.frames = 2;
  const std::string path = dir_.file("frames.h5");
  test::write_loader_frames(path, spec);
  // Stored flow (dx, dy) = (x, 100 + y) at 24x32; valid where x is even.
  occ::test::FlowLabelValues values;
  values.flow = [](int direction, int frame, int camera, int y, int x) {
    return std::array<float, 2>{static_cast<float>(x + 32 * direction),
                                static_cast<float>(100 * camera + y + frame)};
  };
  values.valid = [](int, int, int, int, int x) { return x % 2 == 0; };
  const std::string flow = dir_.file("flow.h5");
  occ::test::write_test_flow_labels(flow, path, 2, 2, 24, 32, values);

  ImageOptions image;
  image.height = 12;
  image.width = 16;
  image.flip_probability = 1.0;  // every camera flipped
  LoaderOptions options = in_order(1);
  options.augment = true;
  options.flow_labels_path = flow;
  BatchLoader loader(path, {0, 1}, image, options);
  const models::Batch batch = *loader.next();
  ASSERT_EQ(batch.flow.sizes(), (at::IntArrayRef{1, 2, 2, 2, 12, 16}));
  // Output column x of the flipped 16-wide map reads stored column
  // floor((15 - x + 0.5) * 2); dx is halved and negated, dy halved.
  for (int x : {0, 5, 15}) {
    const int stored_x = static_cast<int>((15 - x + 0.5) * 2.0);
    const int stored_y = static_cast<int>((3 + 0.5) * 2.0);
    EXPECT_FLOAT_EQ(batch.flow[0][0][1][0][3][x].item<float>(), -0.5f * static_cast<float>(stored_x)) << x;
    EXPECT_FLOAT_EQ(batch.flow[0][1][1][0][3][x].item<float>(), -0.5f * static_cast<float>(stored_x + 32))
        << x;
    EXPECT_FLOAT_EQ(batch.flow[0][0][1][1][3][x].item<float>(), 0.5f * static_cast<float>(100 + stored_y))
        << x;
    EXPECT_EQ(batch.flow_valid[0][0][1][3][x].item<bool>(), stored_x % 2 == 0) << x;
    EXPECT_EQ(batch.movable[0][1][3][x].item<bool>(), stored_x < 16) << x;
  }
  EXPECT_TRUE(batch.static_flow.defined());
  EXPECT_TRUE(batch.dynamic.defined());

  // A flow file of another frames file is refused, naming both.
  const std::string other = dir_.file("other.h5");
  test::write_loader_frames(other, spec);
  options.flow_labels_path = flow;
  try {
    BatchLoader refused(other, {0}, image, options);
    FAIL() << "no error";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("flow.h5"), std::string::npos) << error.what();
  }
}

TEST_F(SideInputsTest, CameraSemanticsAreResizedAndMirroredWithTheirImagesInTrainingOnly) {
  // One frame, two cameras of 8x12 pixels whose class is the column (plus
  // the camera), read at 4x6 and flipped.
  occ::test::TestFrames data;
  data.frames = 1;
  data.cameras = 2;
  data.grid_shape = {4, 3, 2};
  for (int camera = 0; camera < 2; ++camera) {
    data.images.push_back(cv::Mat(8, 12, CV_8UC3, cv::Scalar(10, 20, 30)));
    cv::Mat classes(8, 12, CV_8U);
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 12; ++x) classes.at<uint8_t>(y, x) = static_cast<uint8_t>(x + camera);
    data.semantics.push_back(classes);
  }
  data.intrinsics = {occ::test::Mat3{10, 0, 6, 0, 10, 4, 0, 0, 1},
                     occ::test::Mat3{10, 0, 6, 0, 10, 4, 0, 0, 1}};
  const std::string path = dir_.file("frames.h5");
  occ::test::write_test_frames(path, data);

  models::ModelInputs inputs;
  inputs.camera_semantics = true;
  LoaderOptions options = in_order(1);
  options.ask_for(inputs, /*training=*/false);
  EXPECT_FALSE(options.camera_semantics);  // prediction and validation never read them
  options.ask_for(inputs, /*training=*/true);
  ASSERT_TRUE(options.camera_semantics);
  options.with_targets = false;
  options.augment = true;
  ImageOptions image;
  image.height = 4;
  image.width = 6;
  image.flip_probability = 1.0;
  BatchLoader loader(path, {0}, image, options);
  const models::Batch batch = *loader.next();
  ASSERT_EQ(batch.camera_semantics.sizes(), (at::IntArrayRef{1, 2, 4, 6}));
  // Output column x of the flipped map reads stored column floor((5 - x + 0.5) * 2) = 11 - 2x.
  for (int camera = 0; camera < 2; ++camera)
    for (int x = 0; x < 6; ++x)
      EXPECT_EQ(batch.camera_semantics[0][camera][2][x].item<int64_t>(), 11 - 2 * x + camera) << x;

  // A file without per-pixel classes is refused, naming the dataset.
  data.semantics.clear();
  const std::string bare = dir_.file("bare.h5");
  occ::test::write_test_frames(bare, data);
  try {
    BatchLoader refused(bare, {0}, image, options);
    FAIL() << "no error";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("/cameras/semantics"), std::string::npos) << error.what();
  }
}

TEST_F(SideInputsTest, LidarDrawsAndSampleSeedsAreFunctionsOfSeedEpochAndPosition) {
  const std::string path = dir_.file("world.h5");
  test::write_tiny_world(path, 3);
  LoaderOptions options;
  options.batch_size = 1;
  options.workers = 0;
  options.seed = 7;
  options.lidar_points = 64;
  options.sample_seeds = true;
  const auto draw = [&](int64_t start) {
    BatchLoader loader(path, {0, 1, 2}, ImageOptions{}, options, start);
    return *loader.next();
  };
  const models::Batch a = draw(4), b = draw(4), c = draw(5);
  EXPECT_EQ(a.lidar_points.sizes(), (at::IntArrayRef{1, 64, 3}));
  EXPECT_TRUE(a.lidar_valid.all().item<bool>());
  EXPECT_TRUE(at::equal(a.lidar_points, b.lidar_points));
  // The sensor origin the rays start from: the frame's /lidar/origin (the
  // synthetic rig's is the same in every frame).
  const std::vector<double> origin = h5::read<double>(h5::File::open(path), "/lidar/origin").values;
  ASSERT_EQ(a.lidar_origin.sizes(), (at::IntArrayRef{1, 3}));
  for (int64_t axis = 0; axis < 3; ++axis)
    EXPECT_FLOAT_EQ(a.lidar_origin[0][axis].item<float>(),
                    static_cast<float>(origin[static_cast<size_t>(axis)]));
  EXPECT_EQ(a.sample_seed.item<int64_t>(), b.sample_seed.item<int64_t>());
  EXPECT_NE(a.sample_seed.item<int64_t>(), c.sample_seed.item<int64_t>());
  // Drawn without replacement: 64 distinct points.
  std::set<std::tuple<float, float, float>> distinct;
  for (int64_t i = 0; i < 64; ++i)
    distinct.insert({a.lidar_points[0][i][0].item<float>(), a.lidar_points[0][i][1].item<float>(),
                     a.lidar_points[0][i][2].item<float>()});
  EXPECT_EQ(distinct.size(), 64u);

  // A frames file without LiDAR is refused, naming the file.
  const std::string bare = dir_.file("bare.h5");
  test::write_loader_frames(bare, LoaderFrames{});
  EXPECT_THROW(BatchLoader(bare, {0}, ImageOptions{}, options), FormatError);
}

}  // namespace
}  // namespace occ::train
