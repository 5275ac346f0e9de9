// BatchLoader's inputs for ProtoOcc and temporal models: superpixel masks
// resized and flipped with their images, and history keyframes of the same
// scene with the ego motion to them (models::Batch's contract).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <tuple>

#include "core/error.h"
#include "h5/dataset.h"
#include "labels/cluster_masks.h"
#include "support/temp_dir.h"
#include "train/data_loader.h"
#include "train/loader_test_frames.h"
#include "train/superpixel_masks.h"

namespace occ::train {
namespace {

using test::LoaderFrames;

LoaderOptions in_order(int batch_size, int workers = 0) {
  LoaderOptions options = LoaderOptions::single_pass(batch_size);
  options.workers = workers;
  return options;
}

// Raw 0..255 values in the images, so pixel values can be decoded.
ImageOptions raw_pixels() {
  ImageOptions image;
  image.mean = {0, 0, 0};
  image.std = {1, 1, 1};
  return image;
}

template <typename Error>
void expect_error(const std::function<void()>& action, const std::vector<std::string>& needles) {
  try {
    action();
    FAIL() << "no error, expected one naming " << needles.front();
  } catch (const Error& error) {
    for (const std::string& needle : needles)
      EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
  }
}

class LoaderInputsTest : public ::testing::Test {
 protected:
  std::string frames(const LoaderFrames& spec = {}, const std::string& name = "frames.h5") {
    const std::string path = dir_.file(name);
    test::write_loader_frames(path, spec);
    return path;
  }
  occ::test::TempDir dir_;
};

// --- superpixel masks ---

TEST(ResizeLabelsNearest, PicksThePixelWhoseCentreIsNearest) {
  // One row 0..3; upsampled x2 every id doubles, downsampled x2 the centres
  // of the output pixels fall on input pixels 1 and 3.
  const std::vector<uint16_t> row{0, 1, 2, 3};
  std::vector<int64_t> out(8);
  resize_labels_nearest(row.data(), 1, 4, 1, 8, /*flip=*/false, out.data());
  EXPECT_EQ(out, (std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3}));
  out.resize(2);
  resize_labels_nearest(row.data(), 1, 4, 1, 2, /*flip=*/false, out.data());
  EXPECT_EQ(out, (std::vector<int64_t>{1, 3}));
  out.resize(4);
  resize_labels_nearest(row.data(), 1, 4, 1, 4, /*flip=*/true, out.data());
  EXPECT_EQ(out, (std::vector<int64_t>{3, 2, 1, 0}));
  // 3 -> 5 columns: centres 0.3, 0.9, 1.5, 2.1, 2.7 of the input.
  const std::vector<uint16_t> three{7, 8, 9};
  out.resize(5);
  resize_labels_nearest(three.data(), 1, 3, 1, 5, /*flip=*/false, out.data());
  EXPECT_EQ(out, (std::vector<int64_t>{7, 7, 8, 9, 9}));
}

TEST_F(LoaderInputsTest, MasksAreResizedToTheNetworkInputAndFlippedWithTheImage) {
  const std::string path = frames();
  const std::string masks = dir_.file("masks.h5");
  // Stored at half the image size, as occ cluster-masks --size may store them.
  test::write_test_masks(masks, path, 7, 2, /*height=*/12, /*width=*/16);
  ImageOptions image = raw_pixels();
  image.height = 24;
  image.width = 64;
  image.flip_probability = 1.0;
  LoaderOptions options = in_order(2);
  options.augment = true;  // flips on
  options.masks_path = masks;
  BatchLoader loader(path, {3, 5}, image, options);
  const auto batch = loader.next();
  ASSERT_TRUE(batch);
  ASSERT_TRUE(batch->masks.defined());
  EXPECT_EQ(batch->masks.sizes(), (std::vector<int64_t>{2, 2, 24, 64}));
  EXPECT_EQ(batch->masks.scalar_type(), at::kLong);
  // Pixel (y=5, x=7) of frame 5, camera 1 in the 24x64 flipped image shows
  // unflipped column 64-1-7 = 56: stored row floor(5.5 * 12/24) = 2, stored
  // column floor(56.5 * 16/64) = 14.
  EXPECT_EQ(batch->masks[1][1][5][7].item<int64_t>(), test::test_segment(5, 1, 2, 14));
  EXPECT_EQ(batch->masks[0][0][23][0].item<int64_t>(), test::test_segment(3, 0, 11, 15));
  EXPECT_EQ(batch->masks[0][0][0][63].item<int64_t>(), test::test_segment(3, 0, 0, 0));
  // Without augmentation: not flipped; column floor(7.5 / 4) = 1.
  options.augment = false;
  BatchLoader plain(path, {5}, image, options);
  EXPECT_EQ(plain.next()->masks[0][1][5][7].item<int64_t>(), test::test_segment(5, 1, 2, 1));
}

TEST_F(LoaderInputsTest, EachCameraMaskFollowsItsOwnImageFlip) {
  LoaderFrames spec;
  spec.frames = 12;
  const std::string path = frames(spec);
  const std::string masks = dir_.file("masks.h5");
  test::write_test_masks(masks, path, 12, 2, 24, 32);  // the image size: no resize
  ImageOptions image = raw_pixels();
  image.flip_probability = 0.5;
  LoaderOptions options;  // training: shuffled, flips drawn per camera
  options.batch_size = 3;
  options.seed = 9;
  options.workers = 2;
  options.masks_path = masks;
  std::vector<int64_t> rows(12);
  for (int64_t row = 0; row < 12; ++row) rows[static_cast<size_t>(row)] = row;
  BatchLoader loader(path, rows, image, options);
  int flipped = 0, kept = 0;
  for (int k = 0; k < 4; ++k) {
    const auto batch = *loader.next();
    for (int64_t b = 0; b < batch.size(); ++b) {
      for (int64_t camera = 0; camera < 2; ++camera) {
        const bool flip = batch.intrinsics[b][camera][0][0].item<float>() < 0;
        (flip ? flipped : kept) += 1;
        // Image column x shows stored column G / 4; its mask id must say the same.
        const at::Tensor green = batch.images[b][camera][1];
        const at::Tensor ids = batch.masks[b][camera];
        const int frame = static_cast<int>(batch.frames[static_cast<size_t>(b)]);
        for (int y = 0; y < 24; y += 7) {
          for (int x = 0; x < 32; x += 5) {
            const int column = static_cast<int>(green[y][x].item<float>()) / 4;
            EXPECT_EQ(column, flip ? 31 - x : x);
            EXPECT_EQ(ids[y][x].item<int64_t>(),
                      test::test_segment(frame, static_cast<int>(camera), y, column));
          }
        }
      }
    }
  }
  EXPECT_GT(flipped, 0);
  EXPECT_GT(kept, 0);
}

TEST_F(LoaderInputsTest, ReadsWhatOccClusterMasksWrites) {
  const std::string path = frames();
  labels::ClusterMaskOptions made;
  made.frames_path = path;
  made.output_path = dir_.file("slic.h5");
  made.superpixels.method = "slic";
  made.superpixels.count = 12;
  made.size = cv::Size(16, 12);  // stored at half the image size
  labels::make_cluster_masks(made, nlohmann::json::object());
  const h5::File file = h5::File::open(made.output_path);
  const auto counts = h5::read<int32_t>(file, "/masks/count").values;
  ImageOptions image;
  image.height = 24;
  image.width = 64;
  image.flip_probability = 1.0;
  LoaderOptions options = in_order(1);
  options.masks_path = made.output_path;
  BatchLoader plain(path, {4}, image, options);
  options.augment = true;
  BatchLoader flipped(path, {4}, image, options);
  const at::Tensor unflipped_masks = plain.next()->masks;
  const at::Tensor flipped_masks = flipped.next()->masks;
  EXPECT_EQ(unflipped_masks.sizes(), (std::vector<int64_t>{1, 2, 24, 64}));
  // Upsampling by 4 along x puts every output centre strictly inside a
  // stored pixel, so resizing then mirroring equals mirroring the resized map.
  EXPECT_TRUE(at::equal(flipped_masks, unflipped_masks.flip({-1})));
  for (int64_t camera = 0; camera < 2; ++camera) {
    const at::Tensor ids = unflipped_masks[0][camera];
    EXPECT_GE(ids.min().item<int64_t>(), 0);
    EXPECT_LT(ids.max().item<int64_t>(), counts[static_cast<size_t>(4 * 2 + camera)]);
    EXPECT_GT(std::get<0>(at::_unique(ids)).size(0), 1) << "several segments";
  }
}

TEST_F(LoaderInputsTest, NoMasksUnlessAsked) {
  BatchLoader loader(frames(), {0}, {}, in_order(1));
  EXPECT_FALSE(loader.next()->masks.defined());
}

TEST_F(LoaderInputsTest, MasksOfAnotherFramesFileAreRejectedNamingBothFiles) {
  const std::string path = frames();
  const std::string other = frames({}, "other.h5");
  const std::string masks = dir_.file("other_masks.h5");
  test::write_test_masks(masks, other, 7, 2, 24, 32);
  LoaderOptions options = in_order(1);
  options.masks_path = masks;
  expect_error<FormatError>([&] { BatchLoader loader(path, {0}, {}, options); },
                            {"other_masks.h5", "frames.h5", "was made from another frames file"});
}

TEST_F(LoaderInputsTest, MasksWithMissingRowsOrCamerasAreRejectedNamingTheFile) {
  const std::string path = frames();
  LoaderOptions options = in_order(1);
  options.masks_path = dir_.file("short.h5");
  test::write_test_masks(options.masks_path, path, 5, 2, 24, 32);
  expect_error<FormatError>([&] { BatchLoader loader(path, {0}, {}, options); },
                            {"short.h5", "5 frames x 2 cameras", "7 frames x 2 cameras"});
  options.masks_path = dir_.file("one_camera.h5");
  test::write_test_masks(options.masks_path, path, 7, 1, 24, 32);
  expect_error<FormatError>([&] { BatchLoader loader(path, {0}, {}, options); },
                            {"one_camera.h5", "7 frames x 1 cameras"});
  options.masks_path = dir_.file("absent.h5");
  expect_error<IoError>([&] { BatchLoader loader(path, {0}, {}, options); }, {"absent.h5"});
}

// --- history keyframes ---

// Scene 0: rows 0-5 with sweeps at rows 1 and 4 (keyframes 0, 2, 3, 5);
// scene 1: rows 6-8, all keyframes.
LoaderFrames two_scenes_with_sweeps() {
  LoaderFrames spec;
  spec.frames = 9;
  spec.keyframes = {true, false, true, true, false, true, true, true, true};
  spec.scenes = {0, 0, 0, 0, 0, 0, 1, 1, 1};
  return spec;
}

LoaderOptions with_history(int frames, int stride) {
  LoaderOptions options = in_order(1);
  options.history_frames = frames;
  options.history_stride = stride;
  return options;
}

// A bool tensor (LibTorch 1.13 builds none from a list of bools).
at::Tensor flags(const std::vector<int64_t>& values) {
  return at::tensor(values).to(at::kBool);
}

// Which frame an image shows: R = 10 * frame + camera (raw pixels).
int frame_shown(const at::Tensor& camera_images, int camera) {
  return static_cast<int>(std::lround(camera_images[0][0][0].item<float>()) - camera) / 10;
}

std::vector<int> history_frames_shown(const models::Batch& batch) {
  std::vector<int> shown;
  for (int64_t t = 0; t < batch.history_images.size(1); ++t)
    shown.push_back(frame_shown(batch.history_images[0][t][1], 1));
  return shown;
}

// inverse(world_from_ego(h)) * world_from_ego(c) for the test poses, by hand:
// yaw and position are test_world_from_ego's, so the relative rotation is a
// yaw of 0.1 * (c - h) and the translation is the position difference seen
// from frame h (rotated by -yaw_h).
std::array<double, 16> relative_pose(int current, int history) {
  const double yaw = 0.1 * (current - history), c = std::cos(yaw), s = std::sin(yaw);
  const double dx = 2.0 * (current - history), dy = -1.0 * (current - history),
               dz = 0.1 * (current - history);
  const double back = -0.1 * history, cb = std::cos(back), sb = std::sin(back);
  return {c, -s, 0, cb * dx - sb * dy, s, c, 0, sb * dx + cb * dy, 0, 0, 1, dz, 0, 0, 0, 1};
}

void expect_matrix_near(const at::Tensor& matrix, const std::array<double, 16>& expected) {
  const at::Tensor values = matrix.to(at::kDouble).contiguous().view({16});
  for (int64_t i = 0; i < 16; ++i)
    EXPECT_NEAR(values[i].item<double>(), expected[static_cast<size_t>(i)], 1e-6) << "element " << i;
}

TEST_F(LoaderInputsTest, HistoryHasTheDocumentedShapesAndTypes) {
  ImageOptions image;
  image.height = 12;
  image.width = 16;
  LoaderOptions options = with_history(3, 1);
  options.batch_size = 2;
  BatchLoader loader(frames(two_scenes_with_sweeps()), {5, 8}, image, options);
  const auto batch = loader.next();
  EXPECT_EQ(batch->history_images.sizes(), (std::vector<int64_t>{2, 3, 2, 3, 12, 16}));
  EXPECT_EQ(batch->history_images.scalar_type(), at::kFloat);
  EXPECT_EQ(batch->history_intrinsics.sizes(), (std::vector<int64_t>{2, 3, 2, 3, 3}));
  EXPECT_EQ(batch->history_ego_from_camera.sizes(), (std::vector<int64_t>{2, 3, 2, 4, 4}));
  EXPECT_EQ(batch->history_from_current.sizes(), (std::vector<int64_t>{2, 3, 4, 4}));
  EXPECT_EQ(batch->history_from_current.scalar_type(), at::kFloat);
  EXPECT_EQ(batch->history_valid.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(batch->history_valid.scalar_type(), at::kBool);
  // Row 5 has keyframes 3, 2, 0 before it; row 8 only 7 and 6.
  EXPECT_TRUE(at::equal(batch->history_valid, flags({1, 1, 1, 1, 1, 0}).view({2, 3})));
  // Without history frames none of it is there.
  BatchLoader plain(frames(), {0}, {}, in_order(1));
  const auto without = plain.next();
  EXPECT_FALSE(without->history_images.defined());
  EXPECT_FALSE(without->history_valid.defined());
}

TEST_F(LoaderInputsTest, SceneStartRepeatsTheCurrentFrameWithIdentity) {
  const std::string path = frames(two_scenes_with_sweeps());
  // Row 0 starts scene 0; row 6 starts scene 1 although row 5 precedes it.
  for (const int64_t row : {0, 6}) {
    SCOPED_TRACE(::testing::Message() << "row " << row);
    BatchLoader loader(path, {row}, raw_pixels(), with_history(2, 1));
    const auto batch = loader.next();
    EXPECT_FALSE(batch->history_valid.any().item<bool>());
    for (int64_t t = 0; t < 2; ++t) {
      EXPECT_TRUE(at::equal(batch->history_images[0][t], batch->images[0]));
      EXPECT_TRUE(at::equal(batch->history_intrinsics[0][t], batch->intrinsics[0]));
      EXPECT_TRUE(at::equal(batch->history_ego_from_camera[0][t], batch->ego_from_camera[0]));
      EXPECT_TRUE(at::equal(batch->history_from_current[0][t], at::eye(4, at::kFloat)));
    }
  }
}

TEST_F(LoaderInputsTest, MidSceneHistoryIsTheEarlierKeyframeWithItsRelativePose) {
  const std::string path = frames(two_scenes_with_sweeps());
  ImageOptions image = raw_pixels();
  image.height = 12;
  image.width = 48;
  BatchLoader loader(path, {5}, image, with_history(2, 1));
  const auto batch = loader.next();
  // Keyframes before row 5: row 3, then row 2 (row 4 is a sweep).
  EXPECT_EQ(history_frames_shown(*batch), (std::vector<int>{3, 2}));
  EXPECT_TRUE(batch->history_valid.all().item<bool>());
  BatchLoader earlier(path, {3, 2}, image, in_order(2));
  const auto direct = earlier.next();
  for (int64_t t = 0; t < 2; ++t) {
    EXPECT_TRUE(at::equal(batch->history_images[0][t], direct->images[t])) << t;
    EXPECT_TRUE(at::equal(batch->history_intrinsics[0][t], direct->intrinsics[t])) << t;
    EXPECT_TRUE(at::equal(batch->history_ego_from_camera[0][t], direct->ego_from_camera[t])) << t;
  }
  expect_matrix_near(batch->history_from_current[0][0], relative_pose(5, 3));
  expect_matrix_near(batch->history_from_current[0][1], relative_pose(5, 2));
  // What the transform means: a point of ego frame 5 maps to the same world
  // point as its image in ego frame 3.
  const auto world = [](int frame) {
    const auto m = test::test_world_from_ego(frame);
    return at::tensor(std::vector<double>(m.begin(), m.end()), at::kDouble).view({4, 4});
  };
  const at::Tensor point = at::tensor({1.5, -2.0, 0.7, 1.0}, at::kDouble);
  const at::Tensor in_history = at::matmul(batch->history_from_current[0][0].to(at::kDouble), point);
  EXPECT_TRUE(at::allclose(at::matmul(world(3), in_history), at::matmul(world(5), point), 1e-5, 1e-5));
}

TEST_F(LoaderInputsTest, StrideCountsKeyframesOnly) {
  const std::string path = frames(two_scenes_with_sweeps());
  {
    // Stride 2 from row 5: keyframes 3, 2 -> row 2; then 0 and none -> invalid.
    BatchLoader loader(path, {5}, raw_pixels(), with_history(2, 2));
    const auto batch = loader.next();
    EXPECT_EQ(history_frames_shown(*batch), (std::vector<int>{2, 5}));
    EXPECT_TRUE(at::equal(batch->history_valid[0], flags({1, 0})));
    expect_matrix_near(batch->history_from_current[0][0], relative_pose(5, 2));
  }
  {
    BatchLoader loader(path, {8}, raw_pixels(), with_history(1, 2));
    EXPECT_EQ(history_frames_shown(*loader.next()), (std::vector<int>{6}));
  }
  {
    // Stride 3 from row 5 reaches the scene's first keyframe.
    BatchLoader loader(path, {5}, raw_pixels(), with_history(1, 3));
    EXPECT_EQ(history_frames_shown(*loader.next()), (std::vector<int>{0}));
  }
}

TEST_F(LoaderInputsTest, HistoryImagesAreFlippedLikeTheCurrentFrame) {
  const std::string path = frames(two_scenes_with_sweeps());
  ImageOptions image = raw_pixels();
  image.flip_probability = 0.5;
  LoaderOptions options;  // training order and flips
  options.batch_size = 2;
  options.seed = 3;
  options.history_frames = 1;
  options.masks_path = dir_.file("masks.h5");
  test::write_test_masks(options.masks_path, path, 9, 2, 24, 32);
  BatchLoader loader(path, {2, 3, 5, 7, 8}, image, options);
  int flipped = 0;
  for (int k = 0; k < 6; ++k) {
    const auto batch = *loader.next();
    for (int64_t b = 0; b < batch.size(); ++b) {
      for (int64_t camera = 0; camera < 2; ++camera) {
        const float fx = batch.intrinsics[b][camera][0][0].item<float>();
        flipped += fx < 0;
        EXPECT_EQ(fx < 0, batch.history_intrinsics[b][0][camera][0][0].item<float>() < 0);
        // G = 4 * stored column: the same column order in both images.
        EXPECT_TRUE(at::equal(batch.images[b][camera][1], batch.history_images[b][0][camera][1]));
        EXPECT_EQ(batch.masks[b][camera][0][0].item<int64_t>() % 32, fx < 0 ? 31 : 0);
      }
    }
  }
  EXPECT_GT(flipped, 0);
}

TEST_F(LoaderInputsTest, SameBatchesWhateverTheThreads) {
  const std::string path = frames(two_scenes_with_sweeps());
  const std::string masks = dir_.file("masks.h5");
  test::write_test_masks(masks, path, 9, 2, 12, 16);
  ImageOptions image;
  image.flip_probability = 0.5;
  image.height = 12;
  image.width = 20;
  LoaderOptions options;
  options.batch_size = 2;
  options.seed = 11;
  options.masks_path = masks;
  options.history_frames = 2;
  options.history_stride = 1;
  const std::vector<int64_t> rows{0, 2, 3, 5, 6, 7, 8};
  std::vector<models::Batch> first;
  options.workers = 3;
  {
    BatchLoader loader(path, rows, image, options);
    for (int k = 0; k < 5; ++k) first.push_back(*loader.next());
  }
  options.workers = 0;
  BatchLoader again(path, rows, image, options);
  for (int k = 0; k < 5; ++k) {
    SCOPED_TRACE(::testing::Message() << "batch " << k);
    const auto batch = *again.next();
    const auto& other = first[static_cast<size_t>(k)];
    EXPECT_EQ(batch.frames, other.frames);
    EXPECT_TRUE(at::equal(batch.images, other.images));
    EXPECT_TRUE(at::equal(batch.masks, other.masks));
    EXPECT_TRUE(at::equal(batch.history_images, other.history_images));
    EXPECT_TRUE(at::equal(batch.history_intrinsics, other.history_intrinsics));
    EXPECT_TRUE(at::equal(batch.history_ego_from_camera, other.history_ego_from_camera));
    EXPECT_TRUE(at::equal(batch.history_from_current, other.history_from_current));
    EXPECT_TRUE(at::equal(batch.history_valid, other.history_valid));
  }
}

TEST_F(LoaderInputsTest, BadHistoryOptionsAreUsageErrors) {
  const std::string path = frames();
  expect_error<UsageError>([&] { BatchLoader loader(path, {0}, {}, with_history(-1, 1)); },
                           {"history_frames"});
  expect_error<UsageError>([&] { BatchLoader loader(path, {0}, {}, with_history(1, 0)); },
                           {"history_stride"});
}

}  // namespace
}  // namespace occ::train
