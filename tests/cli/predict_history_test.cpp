// occ predict on a temporal model reads each frame's history keyframes from
// the frames file (issue 21, item 5): with model.history_frames=1 and
// stride 1, changing the images of keyframe 0 changes the prediction of
// frame 1 (whose history it is) and leaves frames 2 and 3 (whose history
// and own images are untouched) bit for bit the same.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <vector>

#include "h5/dataset.h"
#include "h5/half.h"
#include "support/run.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

// Inverts every pixel of frame `row` of /cameras/image in place.
void invert_images_of(const std::string& path, int64_t row) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t data = file < 0 ? -1 : H5Dopen2(file, "/cameras/image", H5P_DEFAULT);
  const hid_t space = data < 0 ? -1 : H5Dget_space(data);
  const hssize_t count = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  hsize_t dims[5] = {};
  const int rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, nullptr);
  std::vector<uint8_t> values(static_cast<size_t>(std::max<hssize_t>(count, 0)));
  bool ok = rank == 5 && H5Dread(data, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0;
  if (ok) {
    const size_t per_row = values.size() / dims[0];
    for (size_t i = 0; i < per_row; ++i) values[static_cast<size_t>(row) * per_row + i] ^= 0xFF;
    ok = H5Dwrite(data, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0;
  }
  if (space >= 0) H5Sclose(space);
  if (data >= 0) H5Dclose(data);
  if (file >= 0) H5Fclose(file);
  ASSERT_TRUE(ok) << "cannot change the images of " << path;
}

// /pred/probabilities of a pred file, frame by frame.
std::vector<std::vector<float>> probabilities(const std::string& path) {
  const h5::File file = h5::File::open(path);
  const h5::Array<Half> stored = h5::read<Half>(file, "/pred/probabilities");
  const size_t per_frame = stored.values.size() / static_cast<size_t>(stored.shape[0]);
  std::vector<std::vector<float>> frames(static_cast<size_t>(stored.shape[0]));
  for (size_t i = 0; i < stored.values.size(); ++i)
    frames[i / per_frame].push_back(half_to_float(stored.values[i]));
  return frames;
}

TEST(PredictHistory, PredictionsReadTheirHistoryKeyframes) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "synth", "--scenes", "1", "--frames-per-scene", "4", "--image-size",
                 "32x56", "--grid", "20,20,4,4.0,-40,-40,-1", "-q", "-o", frames})
                .exit_code,
            0);
  const std::string model = dir.file("model.h5");
  const RunResult trained = run(with_settings(
      {OCC_BINARY, "train", "--frames", frames, "-o", model, "--size", "demo", "-q", "-j", "1"},
      tiny_baseline_settings(),
      {"--set", "model.history_frames=1", "--set", "model.history_stride=1", "--set", "train.steps=2"}));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;

  const std::string before = dir.file("before.h5");
  ASSERT_EQ(
      run({OCC_BINARY, "predict", model, frames, "-o", before, "--probabilities", "-q", "-j", "1"}).exit_code,
      0);
  invert_images_of(frames, 0);
  const std::string after = dir.file("after.h5");
  const RunResult predicted =
      run({OCC_BINARY, "predict", model, frames, "-o", after, "--probabilities", "-q", "-j", "1"});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;

  const auto a = probabilities(before), b = probabilities(after);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  EXPECT_NE(a[0], b[0]) << "frame 0's own images changed";
  EXPECT_NE(a[1], b[1]) << "frame 1 did not read its history keyframe 0";
  EXPECT_EQ(a[2], b[2]) << "frame 2 (history: frame 1) read something of frame 0";
  EXPECT_EQ(a[3], b[3]);
}

}  // namespace
}  // namespace occ::test
