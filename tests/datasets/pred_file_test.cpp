// PredFile, the one pred reader: every dataset of data/schemas/pred.json,
// the errors of an absent one, and the made-from check.
#include "datasets/pred_file.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "datasets/grid_attributes.h"
#include "support/export_files.h"
#include "support/temp_dir.h"

namespace occ {
namespace {

constexpr int64_t kFrames = 2, kX = 2, kY = 3, kZ = 4, kCameras = 2;

// Value v of every dataset is a function of its flat index, so a reader
// that takes the wrong row or layout sees other numbers.
void write_pred(const std::string& path, const std::string& frames_uuid, bool optional,
                std::vector<int32_t> rows = {1, 0}) {
  h5::OutputArtifact out(path, "pred", {{"test", true}});
  out.set_frames_uuid(frames_uuid);
  h5::File& file = out.file();
  const std::vector<std::string> names{"car", "road", "free"};
  h5::write_attribute(file, "/", "class_names", names);
  h5::write_attribute(file, "/", "free_class", int64_t{2});
  h5::write_attribute(file, "/", "grid_shape", std::vector<int64_t>{kX, kY, kZ});
  const int64_t voxels = kX * kY * kZ;
  h5::write(file, "/pred/frame", rows, {kFrames});
  std::vector<uint8_t> semantics(static_cast<size_t>(kFrames * voxels));
  for (size_t v = 0; v < semantics.size(); ++v) semantics[v] = static_cast<uint8_t>(v % 3);
  h5::write(file, "/pred/semantics", semantics, {kFrames, kX, kY, kZ});
  if (optional) {
    std::vector<Half> probabilities(static_cast<size_t>(kFrames * voxels * 3)), flow(semantics.size() * 2);
    for (size_t v = 0; v < probabilities.size(); ++v) probabilities[v] = float_to_half(0.25f * (v % 4));
    for (size_t v = 0; v < flow.size(); ++v) flow[v] = float_to_half(0.5f * static_cast<float>(v));
    std::vector<float> depth(static_cast<size_t>(kFrames * kCameras * 2 * 3));
    for (size_t v = 0; v < depth.size(); ++v) depth[v] = static_cast<float>(v);
    std::vector<uint16_t> prototypes(static_cast<size_t>(kFrames * kCameras * 1 * 2));
    for (size_t v = 0; v < prototypes.size(); ++v) prototypes[v] = static_cast<uint16_t>(v);
    h5::write(file, "/pred/probabilities", probabilities, {kFrames, kX, kY, kZ, 3});
    h5::write(file, "/pred/flow", flow, {kFrames, kX, kY, kZ, 2});
    h5::write(file, "/pred/depth", depth, {kFrames, kCameras, 2, 3});
    h5::write(file, "/pred/prototypes", prototypes, {kFrames, kCameras, 1, 2});
    h5::write(file, "/pred/prototype_grid", std::vector<int32_t>{1, 2}, {2});
  }
  out.commit();
}

TEST(PredFile, ReadsEveryDatasetOfTheSchemaByRow) {
  test::TempDir dir;
  write_pred(dir.file("p.h5"), "00000000-0000-0000-0000-000000000000", true);
  const PredFile pred(dir.file("p.h5"));
  EXPECT_EQ(pred.frame_count(), 2);
  EXPECT_EQ(pred.frames_row(0), 1);
  EXPECT_EQ(pred.grid_shape(), (std::array<int64_t, 3>{kX, kY, kZ}));
  EXPECT_EQ(pred.voxel_count(), 24);
  EXPECT_EQ(pred.free_class(), 2);
  EXPECT_TRUE(pred.has_probabilities() && pred.has_flow() && pred.has_depth() && pred.has_prototypes());

  const auto semantics = pred.semantics(1);
  ASSERT_EQ(semantics.size(), 24u);
  EXPECT_EQ(semantics[0], 24 % 3);
  std::vector<uint8_t> into(24);
  pred.read_semantics(1, into.data());
  EXPECT_EQ(into, semantics);

  const auto probabilities = pred.probabilities(1);
  ASSERT_EQ(probabilities.size(), 72u);
  EXPECT_EQ(half_to_float(probabilities[1]), 0.25f * ((72 + 1) % 4));

  const auto flow = pred.flow(1);
  ASSERT_EQ(flow.size(), 48u);
  EXPECT_EQ(flow[3], 0.5f * (48 + 3));
  EXPECT_EQ(half_to_float(pred.flow_half(1)[3]), flow[3]);

  EXPECT_EQ(pred.shape(pred_dataset::kDepth), (h5::Shape{kFrames, kCameras, 2, 3}));
  const cv::Mat depth = pred.depth(1, 1);
  ASSERT_EQ(depth.size(), cv::Size(3, 2));
  EXPECT_EQ(depth.at<float>(1, 2), static_cast<float>(12 + 6 + 5));
  std::vector<float> depths(12);
  pred.read_depth(1, depths.data());
  EXPECT_EQ(depths[11], static_cast<float>(12 + 11));

  const auto prototypes = pred.prototypes(1);
  ASSERT_EQ(prototypes.size(), 2u);
  EXPECT_EQ(prototypes[1].at<uint16_t>(0, 1), 4 + 2 + 1);
  EXPECT_EQ(pred.prototype_grid(), (std::array<int64_t, 2>{1, 2}));
}

TEST(PredFile, AnAbsentDatasetNamesTheFileAndTheDataset) {
  test::TempDir dir;
  write_pred(dir.file("p.h5"), "00000000-0000-0000-0000-000000000000", false);
  const PredFile pred(dir.file("p.h5"));
  EXPECT_FALSE(pred.has_flow() || pred.has_depth() || pred.has_probabilities() || pred.has_prototypes());
  EXPECT_EQ(pred.prototype_grid(), (std::array<int64_t, 2>{0, 0}));
  try {
    pred.flow(0);
    FAIL() << "no /pred/flow";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("p.h5' has no dataset '/pred/flow'"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(pred.depth(0, 0), FormatError);
  EXPECT_THROW(pred.prototypes(0), FormatError);
}

TEST(PredFile, MadeFromChecksTheUuidAndTheRows) {
  test::TempDir dir;
  const std::string uuid = test::write_export_frames(dir.file("f.h5"), {});  // two frames
  const h5::File frames = h5::File::open(dir.file("f.h5"));
  write_pred(dir.file("p.h5"), uuid, false);
  EXPECT_NO_THROW(PredFile(dir.file("p.h5")).require_made_from(frames, 2));
  EXPECT_THROW(PredFile(dir.file("p.h5")).require_made_from(frames, 1), FormatError);  // row 1 of 1
  write_pred(dir.file("other.h5"), "00000000-0000-0000-0000-000000000000", false);
  EXPECT_THROW(PredFile(dir.file("other.h5")).require_made_from(frames, 2), FormatError);
  // The frames file's grid, as eval, render and export read it.
  const geom::VoxelGrid grid = read_grid_attributes(frames);
  EXPECT_EQ(grid.shape, (std::array<int64_t, 3>{200, 200, 16}));
  EXPECT_EQ(grid.origin_m[0], -40);
  EXPECT_EQ(grid.num_classes, 18);
  EXPECT_EQ(grid.free_class, 17);
}

}  // namespace
}  // namespace occ
