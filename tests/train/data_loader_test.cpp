// BatchLoader: tensor layout, normalisation, intrinsics kept consistent with
// resize and flip (checked by projecting a point), deterministic order and
// resume, sharding across ranks, errors from the worker threads.
#include "train/data_loader.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>

#include "core/error.h"
#include "support/temp_dir.h"
#include "train/loader_test_frames.h"

namespace occ::train {
namespace {

using test::Images;
using test::LoaderFrames;

LoaderOptions in_order(int batch_size, int workers = 0) {
  LoaderOptions options;
  options.batch_size = batch_size;
  options.shuffle = false;
  options.repeat = false;
  options.drop_last = false;
  options.workers = workers;
  return options;
}

std::vector<int64_t> all_rows(int frames) {
  std::vector<int64_t> rows(static_cast<size_t>(frames));
  for (int row = 0; row < frames; ++row) rows[static_cast<size_t>(row)] = row;
  return rows;
}

// Pixel coordinates (u, v) of a camera-frame point under a row-major K.
std::array<double, 2> project(const at::Tensor& intrinsics, const std::array<double, 3>& point) {
  const auto k = intrinsics.to(at::kDouble).contiguous();
  const double* m = k.data_ptr<double>();
  const double x = m[0] * point[0] + m[1] * point[1] + m[2] * point[2];
  const double y = m[3] * point[0] + m[4] * point[1] + m[5] * point[2];
  const double z = m[6] * point[0] + m[7] * point[1] + m[8] * point[2];
  return {x / z, y / z};
}

std::array<double, 2> project(const std::array<double, 9>& intrinsics, const std::array<double, 3>& point) {
  return project(at::tensor(std::vector<double>(intrinsics.begin(), intrinsics.end())).view({3, 3}), point);
}

void expect_same_batch(const models::Batch& a, const models::Batch& b) {
  EXPECT_EQ(a.frames, b.frames);
  EXPECT_TRUE(at::equal(a.images, b.images));
  EXPECT_TRUE(at::equal(a.intrinsics, b.intrinsics));
  EXPECT_TRUE(at::equal(a.ego_from_camera, b.ego_from_camera));
  EXPECT_TRUE(at::equal(a.semantics, b.semantics));
  EXPECT_TRUE(at::equal(a.mask_camera, b.mask_camera));
}

template <typename Error>
void expect_error(const std::function<void()>& action, const std::string& needle) {
  try {
    action();
    FAIL() << "no error, expected one naming " << needle;
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
  }
}

class BatchLoaderTest : public ::testing::Test {
 protected:
  std::string frames(const LoaderFrames& spec = {}, const std::string& name = "frames.h5") {
    const std::string path = dir_.file(name);
    test::write_loader_frames(path, spec);
    return path;
  }
  occ::test::TempDir dir_;
};

TEST_F(BatchLoaderTest, BatchHasDocumentedShapesTypesAndValues) {
  const std::string path = frames();
  BatchLoader loader(path, {4, 2, 5}, {}, in_order(/*batch_size=*/2));
  const auto batch = loader.next();
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->frames, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(batch->images.sizes(), (std::vector<int64_t>{2, 2, 3, 24, 32}));
  EXPECT_EQ(batch->images.scalar_type(), at::kFloat);
  EXPECT_EQ(batch->intrinsics.sizes(), (std::vector<int64_t>{2, 2, 3, 3}));
  EXPECT_EQ(batch->intrinsics.scalar_type(), at::kFloat);
  EXPECT_EQ(batch->ego_from_camera.sizes(), (std::vector<int64_t>{2, 2, 4, 4}));
  EXPECT_EQ(batch->ego_from_camera.scalar_type(), at::kFloat);
  EXPECT_EQ(batch->semantics.sizes(), (std::vector<int64_t>{2, 4, 3, 2}));
  EXPECT_EQ(batch->semantics.scalar_type(), at::kLong);
  EXPECT_EQ(batch->mask_camera.sizes(), (std::vector<int64_t>{2, 4, 3, 2}));
  EXPECT_EQ(batch->mask_camera.scalar_type(), at::kFloat);
  // Sample 1 is frame 2: voxel [x=1][y=2][z=1] has flat index (1 * 3 + 2) * 2 + 1 = 11.
  EXPECT_EQ(batch->semantics[1][1][2][1].item<int64_t>(), test::test_class(2, 11));
  EXPECT_EQ(batch->mask_camera[1][1][2][1].item<float>(), test::test_mask(2, 11));
  EXPECT_FLOAT_EQ(batch->ego_from_camera[1][1][0][3].item<float>(), 1.5f);  // camera 1
  EXPECT_FLOAT_EQ(batch->ego_from_camera[1][1][1][3].item<float>(), 0.5f);  // frame 2
  EXPECT_FLOAT_EQ(batch->intrinsics[0][1][0][0].item<float>(), 25.0f);      // camera 1 fx
  EXPECT_FLOAT_EQ(batch->intrinsics[0][1][1][2].item<float>(), 13.5f);      // camera 1 cy
  // The last, short batch of a non-repeating pass, then the end.
  const auto last = loader.next();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->frames, (std::vector<int64_t>{5}));
  EXPECT_EQ(last->images.size(0), 1);
  EXPECT_FALSE(loader.next());
  EXPECT_FALSE(loader.next());
}

TEST_F(BatchLoaderTest, GridComesFromTheFramesFile) {
  const std::string path = frames();
  const models::GridSpec grid = grid_of_frames_file(path);
  EXPECT_EQ(grid.shape, test::kGrid);
  EXPECT_DOUBLE_EQ(grid.origin_m[1], -0.6);
  EXPECT_DOUBLE_EQ(grid.voxel_size_m[2], 0.5);
  EXPECT_EQ(grid.num_classes, 18);
  EXPECT_EQ(grid.free_class, 17);
  BatchLoader loader(path, {0}, {}, in_order(1));
  EXPECT_EQ(loader.grid().shape, test::kGrid);
}

TEST_F(BatchLoaderTest, RowsWithTargetsAreTheKeyframesOfFilesWithOccupancy) {
  LoaderFrames spec;
  spec.keyframes = {true, false, false, true, false, true, true};
  EXPECT_EQ(rows_with_targets(frames(spec)), (std::vector<int64_t>{0, 3, 5, 6}));
  spec.occupancy = false;
  EXPECT_TRUE(rows_with_targets(frames(spec, "no_occupancy.h5")).empty());
}

TEST_F(BatchLoaderTest, NormalisesEachChannelInTheRequestedOrder) {
  const std::string path = frames();
  // Frame 3, camera 1, pixel (y=5, x=7): R = 31, G = 28, B = 25.
  {
    BatchLoader loader(path, {3}, {}, in_order(1));
    const auto images = loader.next()->images;
    const ImageOptions defaults;
    const float rgb[3] = {31, 28, 25};
    for (int c = 0; c < 3; ++c) {
      EXPECT_FLOAT_EQ(images[0][1][c][5][7].item<float>(), (rgb[c] - defaults.mean[c]) / defaults.std[c])
          << c;
    }
  }
  {
    ImageOptions caffe;
    caffe.bgr = true;
    caffe.mean = {103.53f, 116.28f, 123.675f};
    caffe.std = {1, 2, 4};
    BatchLoader loader(path, {3}, caffe, in_order(1));
    const auto images = loader.next()->images;
    EXPECT_FLOAT_EQ(images[0][1][0][5][7].item<float>(), (25 - 103.53f) / 1);  // blue first
    EXPECT_FLOAT_EQ(images[0][1][1][5][7].item<float>(), (28 - 116.28f) / 2);
    EXPECT_FLOAT_EQ(images[0][1][2][5][7].item<float>(), (31 - 123.675f) / 4);
  }
}

TEST_F(BatchLoaderTest, ResizedIntrinsicsProjectToTheScaledPixel) {
  const std::string path = frames();
  const std::array<double, 3> point{0.3, -0.2, 2.0};
  for (const auto& [height, width] : std::vector<std::pair<int, int>>{{12, 16}, {36, 80}, {12, 64}}) {
    ImageOptions image;
    image.height = height;
    image.width = width;
    image.mean = {0, 0, 0};
    image.std = {1, 1, 1};
    BatchLoader loader(path, {1}, image, in_order(1));
    const auto batch = loader.next();
    ASSERT_EQ(batch->images.sizes(), (std::vector<int64_t>{1, 2, 3, height, width}));
    for (int camera = 0; camera < 2; ++camera) {
      const auto stored = project(test::test_intrinsics(camera), point);
      const auto resized = project(batch->intrinsics[0][camera], point);
      EXPECT_NEAR(resized[0], stored[0] * width / 32.0, 1e-4) << height << "x" << width;
      EXPECT_NEAR(resized[1], stored[1] * height / 24.0, 1e-4) << height << "x" << width;
    }
    if (height == 12 && width == 16) {
      // Halving with INTER_AREA averages 2x2 blocks: G = 4x over x = 2j, 2j+1.
      for (int j = 0; j < 16; ++j)
        EXPECT_FLOAT_EQ(batch->images[0][0][1][3][j].item<float>(), 8.0f * j + 2) << j;
    }
  }
}

TEST_F(BatchLoaderTest, FlipMirrorsImageAndIntrinsicsConsistently) {
  const std::string path = frames();
  ImageOptions image;
  image.mean = {0, 0, 0};
  image.std = {1, 1, 1};
  image.flip_probability = 1.0;
  image.width = 64;  // flip after resize: the mirror uses the resized width
  LoaderOptions options = in_order(1);
  BatchLoader loader(path, {2}, image, options);
  const auto batch = loader.next();
  ASSERT_TRUE(batch);
  const std::array<double, 3> point{0.3, -0.2, 2.0};
  for (int camera = 0; camera < 2; ++camera) {
    const auto k = batch->intrinsics[0][camera];
    const auto stored = project(test::test_intrinsics(camera), point);
    const auto flipped = project(k, point);
    EXPECT_NEAR(flipped[0], 64 - stored[0] * 2, 1e-4);
    EXPECT_NEAR(flipped[1], stored[1], 1e-4);
    EXPECT_FLOAT_EQ(k[0][0].item<float>(), -2 * static_cast<float>(test::test_intrinsics(camera)[0]));
    EXPECT_FLOAT_EQ(k[0][2].item<float>(), 64 - 2 * static_cast<float>(test::test_intrinsics(camera)[2]));
  }
  // Without resize the pixel columns are mirrored exactly: column x holds
  // what column W-1-x held (G = 4x).
  image.width = 0;
  BatchLoader plain(path, {2}, image, options);
  const auto mirrored = plain.next()->images;
  for (int x = 0; x < 32; ++x) EXPECT_FLOAT_EQ(mirrored[0][1][1][4][x].item<float>(), 4.0f * (31 - x)) << x;
  // augment = false turns the flip off whatever its probability.
  options.augment = false;
  BatchLoader evaluation(path, {2}, image, options);
  const auto batch_without = evaluation.next();
  EXPECT_FLOAT_EQ(batch_without->images[0][1][1][4][0].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(batch_without->intrinsics[0][1][0][0].item<float>(), 25.0f);
}

TEST_F(BatchLoaderTest, FlipsAreDrawnPerCamera) {
  LoaderFrames spec;
  spec.frames = 20;
  const std::string path = frames(spec);
  ImageOptions image;
  image.flip_probability = 0.5;
  LoaderOptions options = in_order(4);
  options.workers = 2;
  BatchLoader loader(path, all_rows(20), image, options);
  std::set<std::pair<bool, bool>> seen;
  int flipped = 0;
  while (auto batch = loader.next()) {
    for (int64_t b = 0; b < batch->size(); ++b) {
      const bool first = batch->intrinsics[b][0][0][0].item<float>() < 0;
      const bool second = batch->intrinsics[b][1][0][0].item<float>() < 0;
      seen.insert({first, second});
      flipped += first + second;
    }
  }
  EXPECT_EQ(seen.size(), 4u);  // all four combinations in 20 frames
  EXPECT_GT(flipped, 8);
  EXPECT_LT(flipped, 32);
}

TEST_F(BatchLoaderTest, ResumingAtBatchKGivesTheSameBatchesAsAFreshRun) {
  const std::string path = frames();
  ImageOptions image;
  image.flip_probability = 0.5;
  LoaderOptions options;  // shuffle, repeat, drop_last: 3 batches of 2 per epoch of 7 rows
  options.batch_size = 2;
  options.seed = 42;
  options.workers = 2;
  std::vector<models::Batch> fresh;
  {
    BatchLoader loader(path, all_rows(7), image, options);
    EXPECT_EQ(loader.batches_per_epoch(), 3);
    for (int k = 0; k < 10; ++k) fresh.push_back(*loader.next());
  }
  // Each epoch draws 6 distinct rows, and epochs differ in order.
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::set<int64_t> rows;
    for (int k = 0; k < 3; ++k)
      rows.insert(fresh[epoch * 3 + k].frames.begin(), fresh[epoch * 3 + k].frames.end());
    EXPECT_EQ(rows.size(), 6u) << epoch;
  }
  std::vector<int64_t> epoch0, epoch1;
  for (int k = 0; k < 3; ++k) {
    epoch0.insert(epoch0.end(), fresh[k].frames.begin(), fresh[k].frames.end());
    epoch1.insert(epoch1.end(), fresh[3 + k].frames.begin(), fresh[3 + k].frames.end());
  }
  EXPECT_NE(epoch0, epoch1);
  // Resumed in the second epoch; and decoded without threads: the same.
  for (const int workers : {0, 3}) {
    options.workers = workers;
    BatchLoader resumed(path, all_rows(7), image, options, /*start_batch=*/4);
    for (int k = 4; k < 10; ++k) {
      SCOPED_TRACE(::testing::Message() << "batch " << k << ", workers " << workers);
      expect_same_batch(*resumed.next(), fresh[static_cast<size_t>(k)]);
    }
  }
  // Another seed, another order.
  options.seed = 43;
  BatchLoader other(path, all_rows(7), image, options);
  std::vector<int64_t> other_epoch0;
  for (int k = 0; k < 3; ++k) {
    const auto frames_of = other.next()->frames;
    other_epoch0.insert(other_epoch0.end(), frames_of.begin(), frames_of.end());
  }
  EXPECT_NE(other_epoch0, epoch0);
}

TEST_F(BatchLoaderTest, OnePassCoversEveryRowOnce) {
  const std::string path = frames();
  LoaderOptions options = in_order(3, /*workers=*/2);
  options.shuffle = true;
  options.seed = 7;
  const std::vector<int64_t> rows{6, 0, 5, 1, 3, 2, 4};
  BatchLoader loader(path, rows, {}, options);
  EXPECT_EQ(loader.batches_per_epoch(), 3);
  std::vector<int64_t> seen;
  std::vector<int64_t> sizes;
  while (auto batch = loader.next()) {
    seen.insert(seen.end(), batch->frames.begin(), batch->frames.end());
    sizes.push_back(batch->size());
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 1}));
  EXPECT_NE(seen, rows);  // shuffled
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, all_rows(7));
}

TEST_F(BatchLoaderTest, RanksSplitEachGlobalBatchWithoutOverlap) {
  LoaderFrames spec;
  spec.frames = 8;
  const std::string path = frames(spec);
  ImageOptions image;
  image.flip_probability = 0.5;
  LoaderOptions global;
  global.batch_size = 4;
  global.seed = 5;
  LoaderOptions shard = global;
  shard.batch_size = 2;
  shard.world_size = 2;
  BatchLoader whole(path, all_rows(8), image, global);
  shard.rank = 0;
  BatchLoader rank0(path, all_rows(8), image, shard);
  shard.rank = 1;
  BatchLoader rank1(path, all_rows(8), image, shard);
  EXPECT_EQ(rank0.batches_per_epoch(), 2);
  for (int k = 0; k < 4; ++k) {
    const auto all = *whole.next();
    const auto first = *rank0.next();
    const auto second = *rank1.next();
    std::vector<int64_t> joined = first.frames;
    joined.insert(joined.end(), second.frames.begin(), second.frames.end());
    EXPECT_EQ(joined, all.frames) << k;
    // The same flips as the single-process run: they follow the position.
    EXPECT_TRUE(at::equal(at::cat({first.images, second.images}), all.images)) << k;
    EXPECT_TRUE(at::equal(at::cat({first.intrinsics, second.intrinsics}), all.intrinsics)) << k;
  }
}

TEST_F(BatchLoaderTest, ShortLastBatchLeavesLaterRanksOut) {
  const std::string path = frames();  // 7 rows
  LoaderOptions options = in_order(2);
  options.world_size = 3;
  std::vector<int64_t> seen;
  for (int rank = 0; rank < 3; ++rank) {
    options.rank = rank;
    BatchLoader loader(path, all_rows(7), {}, options);
    int64_t batches = 0;
    while (auto batch = loader.next()) {
      seen.insert(seen.end(), batch->frames.begin(), batch->frames.end());
      ++batches;
    }
    EXPECT_EQ(batches, loader.batches_per_epoch());
    EXPECT_EQ(batches, rank == 0 ? 2 : 1) << rank;
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, all_rows(7));
}

TEST_F(BatchLoaderTest, ReadsImagesByPath) {
  LoaderFrames spec;
  spec.images = Images::by_path;
  const std::string path = frames(spec);
  ImageOptions image;
  image.mean = {0, 0, 0};
  image.std = {1, 1, 1};
  BatchLoader loader(path, {3}, image, in_order(1, /*workers=*/1));
  const auto images = loader.next()->images;
  EXPECT_FLOAT_EQ(images[0][1][0][5][7].item<float>(), 31);
  EXPECT_FLOAT_EQ(images[0][1][1][5][7].item<float>(), 28);
  EXPECT_FLOAT_EQ(images[0][1][2][5][7].item<float>(), 25);
}

TEST_F(BatchLoaderTest, WorkerErrorIsRethrownAtItsBatchNamingTheFile) {
  LoaderFrames spec;
  spec.images = Images::by_path;
  spec.missing_image_frame = 3;
  const std::string path = frames(spec);
  for (const int workers : {0, 1, 3}) {
    SCOPED_TRACE(::testing::Message() << "workers " << workers);
    LoaderOptions options = in_order(2, workers);
    options.prefetch = 3;
    BatchLoader loader(path, all_rows(7), {}, options);
    const auto first = loader.next();  // frames 0 and 1 are fine
    ASSERT_TRUE(first);
    EXPECT_EQ(first->frames, (std::vector<int64_t>{0, 1}));
    try {
      loader.next();
      FAIL() << "no error for the missing image";
    } catch (const IoError& error) {
      EXPECT_NE(std::string(error.what()).find("image_3_0.png': no such file"), std::string::npos)
          << error.what();
      EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    }
    // The loader goes on with the next batch, and is destroyed with work
    // still queued.
    const auto after = loader.next();
    ASSERT_TRUE(after);
    EXPECT_EQ(after->frames, (std::vector<int64_t>{4, 5}));
  }
}

TEST_F(BatchLoaderTest, UndecodableImageIsNamed) {
  LoaderFrames spec;
  spec.images = Images::by_path;
  const std::string path = frames(spec);
  std::ofstream(dir_.file("image_0_1.png")) << "not a png";
  BatchLoader loader(path, {0}, {}, in_order(1, /*workers=*/1));
  expect_error<IoError>([&] { loader.next(); }, "image_0_1.png': not an image");
}

TEST_F(BatchLoaderTest, StopsCleanlyWhenTheConsumerStopsEarly) {
  const std::string path = frames();
  LoaderOptions options;
  options.workers = 4;
  options.prefetch = 3;
  { BatchLoader unused(path, all_rows(7), {}, options); }
  {
    BatchLoader loader(path, all_rows(7), {}, options);
    EXPECT_TRUE(loader.next());
  }
}

TEST_F(BatchLoaderTest, CamerasWithoutMaskGiveAnUndefinedMask) {
  LoaderFrames spec;
  spec.camera_mask = false;
  BatchLoader loader(frames(spec), {0}, {}, in_order(1));
  const auto batch = loader.next();
  EXPECT_TRUE(batch->semantics.defined());
  EXPECT_FALSE(batch->mask_camera.defined());
  // Inference: no targets read at all.
  LoaderOptions inference = in_order(1);
  inference.with_targets = false;
  spec.occupancy = false;
  BatchLoader no_targets(frames(spec, "no_targets.h5"), {0}, {}, inference);
  const auto plain = no_targets.next();
  EXPECT_FALSE(plain->semantics.defined());
  EXPECT_FALSE(plain->mask_camera.defined());
}

TEST_F(BatchLoaderTest, BatchMovesToADevice) {
  BatchLoader loader(frames(), {0}, {}, in_order(1));
  const auto batch = loader.next();
  const models::Batch moved = batch->to(at::Device(at::kCPU));
  EXPECT_EQ(moved.frames, batch->frames);
  EXPECT_TRUE(at::equal(moved.images, batch->images));
  EXPECT_TRUE(moved.mask_camera.defined());
  models::Batch empty_targets = *batch;
  empty_targets.semantics = at::Tensor();
  EXPECT_FALSE(empty_targets.to(at::Device(at::kCPU)).semantics.defined());
}

TEST_F(BatchLoaderTest, ConstructorRejectsFilesAndOptionsItCannotServe) {
  const std::string good = frames();
  LoaderFrames spec;
  spec.images = Images::none;
  const std::string no_images = frames(spec, "no_images.h5");
  expect_error<FormatError>([&] { BatchLoader loader(no_images, {0}, {}, in_order(1)); }, no_images);
  spec = {};
  spec.occupancy = false;
  const std::string no_targets = frames(spec, "no_targets.h5");
  expect_error<FormatError>([&] { BatchLoader loader(no_targets, {0}, {}, in_order(1)); }, no_targets);
  expect_error<UsageError>([&] { BatchLoader loader(good, {}, {}, in_order(1)); }, "empty");
  expect_error<UsageError>([&] { BatchLoader loader(good, {0, 7}, {}, in_order(1)); }, "row 7");
  expect_error<UsageError>([&] { BatchLoader loader(good, {0}, {}, in_order(0)); }, "batch_size");
  LoaderOptions options = in_order(1);
  options.world_size = 2;
  options.rank = 2;
  expect_error<UsageError>([&] { BatchLoader loader(good, {0}, {}, options); }, "rank");
  options = in_order(1);
  options.prefetch = 0;
  expect_error<UsageError>([&] { BatchLoader loader(good, {0}, {}, options); }, "prefetch");
  options = in_order(1);
  options.workers = -1;
  expect_error<UsageError>([&] { BatchLoader loader(good, {0}, {}, options); }, "workers");
  options = in_order(4);
  options.drop_last = true;
  expect_error<UsageError>([&] { BatchLoader loader(good, {0, 1, 2}, {}, options); }, "batch_size");
  expect_error<UsageError>([&] { BatchLoader loader(good, {0}, {}, in_order(1), -1); }, "start_batch");
  ImageOptions image;
  image.std = {1, 0, 1};
  expect_error<UsageError>([&] { BatchLoader loader(good, {0}, image, in_order(1)); }, "std");
}

TEST(ImageOptionsTest, JsonRoundTripAndStrictKeys) {
  ImageOptions options;
  options.height = 96;
  options.width = 176;
  options.bgr = true;
  options.mean = {1.5f, 2, 3};
  options.std = {4, 5, 6.25f};
  options.flip_probability = 0.5;
  const ImageOptions back = ImageOptions::from_json(options.to_json());
  EXPECT_EQ(back.to_json(), options.to_json());
  EXPECT_EQ(back.width, 176);
  EXPECT_EQ(back.mean[0], 1.5f);
  EXPECT_TRUE(back.bgr);
  expect_error<UsageError>(
      [] {
        ImageOptions::from_json({{"height", 4}, {"hieght", 4}, {"colour", 1}});
      },
      "'colour', 'hieght'");
  expect_error<UsageError>([] { ImageOptions::from_json({{"height", 4.5}}); }, "height");
  expect_error<UsageError>([] { ImageOptions::from_json({{"mean", {1, 2}}}); }, "mean");
  expect_error<UsageError>([] { ImageOptions::from_json({{"flip_probability", 1.5}}); }, "flip_probability");
  expect_error<UsageError>([] { ImageOptions::from_json({{"width", -1}}); }, "width");
  // Recorded as written, not as float's nearest binary value.
  EXPECT_EQ(ImageOptions().to_json()["mean"].dump(), "[123.675,116.28,103.53]");
  // Keys left out keep their defaults.
  EXPECT_EQ(ImageOptions::from_json(nlohmann::json::object()).to_json(), ImageOptions().to_json());
}

}  // namespace
}  // namespace occ::train
