#include "labels/cluster_masks.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "support/frames_builder.h"
#include "support/temp_dir.h"

namespace occ::labels {
namespace {

// Three flat-coloured objects on a textured background, two cameras.
test::TestFrames blocks_scene(int frames) {
  test::TestFrames data;
  data.frames = frames;
  data.cameras = 2;
  data.intrinsics = {{100, 0, 64, 0, 100, 48, 0, 0, 1}, {100, 0, 64, 0, 100, 48, 0, 0, 1}};
  for (int i = 0; i < frames * 2; ++i) {
    cv::Mat image(96, 128, CV_8UC3, cv::Scalar(90, 90, 90));
    cv::Mat semantics(96, 128, CV_8U, cv::Scalar(11));
    cv::Mat instance(96, 128, CV_32S, cv::Scalar(-1));
    const cv::Rect objects[] = {{10 + i, 10, 30, 40}, {60, 50 - i, 40, 30}, {100, 5, 20, 60}};
    const cv::Scalar colours[] = {{230, 30, 30}, {30, 200, 40}, {20, 40, 220}};
    for (int k = 0; k < 3; ++k) {
      image(objects[k]).setTo(colours[k]);
      semantics(objects[k]).setTo(4);
      instance(objects[k]).setTo(k);
    }
    data.images.push_back(image);
    data.semantics.push_back(semantics);
    data.instance.push_back(instance);
  }
  return data;
}

TEST(ClusterMasks, WritesValidMasksWithQualityReport) {
  test::TempDir dir;
  test::write_test_frames(dir.file("frames.h5"), blocks_scene(3));
  ClusterMaskOptions options;
  options.frames_path = dir.file("frames.h5");
  options.output_path = dir.file("masks.h5");
  options.superpixels.count = 40;
  options.size = cv::Size(64, 48);
  options.report = true;
  const ClusterMaskSummary summary = make_cluster_masks(options, {{"count", 40}});
  EXPECT_EQ(summary.maps, 6);
  EXPECT_GT(summary.mean_count, 10);
  EXPECT_LT(summary.mean_count, 120);
  EXPECT_GT(summary.quality.boundary_recall, 0.85);
  EXPECT_GT(summary.quality.achievable_accuracy, 0.95);

  const h5::File masks = h5::open_artifact(dir.file("masks.h5"), "masks");
  h5::require_made_from(masks, h5::File::open(dir.file("frames.h5")));
  EXPECT_EQ(h5::read_int_list_attribute(masks, "/", "image_size"), (std::vector<int64_t>{48, 64}));
  const auto labels = h5::read<uint16_t>(masks, "/masks/labels");
  const auto counts = h5::read<int32_t>(masks, "/masks/count");
  EXPECT_EQ(labels.shape, (h5::Shape{3, 2, 48, 64}));
  // Every pixel of every map has an id below that map's count.
  for (int64_t map = 0; map < 6; ++map) {
    const int32_t count = counts.values[map];
    for (int64_t p = 0; p < 48 * 64; ++p) ASSERT_LT(labels.values[map * 48 * 64 + p], count);
  }
}

TEST(ClusterMasks, MatchPrototypesSetsTheCount) {
  test::TempDir dir;
  test::write_test_frames(dir.file("frames.h5"), blocks_scene(1));
  ClusterMaskOptions options;
  options.frames_path = dir.file("frames.h5");
  options.output_path = dir.file("masks.h5");
  options.match_prototypes = 2;  // 96x128 -> 12x16 stride-8 cells -> 6x8 = 48 prototypes
  const ClusterMaskSummary summary = make_cluster_masks(options, nlohmann::json::object());
  EXPECT_EQ(summary.target_count, 48);
}

TEST(ClusterMasks, ReportNeedsGroundTruthAndBadOptionsAreUsageErrors) {
  test::TempDir dir;
  test::TestFrames data = blocks_scene(1);
  data.semantics.clear();
  data.instance.clear();
  test::write_test_frames(dir.file("frames.h5"), data);
  ClusterMaskOptions options;
  options.frames_path = dir.file("frames.h5");
  options.output_path = dir.file("masks.h5");
  options.report = true;
  EXPECT_THROW(make_cluster_masks(options, nlohmann::json::object()), FormatError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"frames.h5"});
  EXPECT_THROW(parse_size("96x", "--size"), UsageError);
  EXPECT_THROW(parse_size("0x10", "--size"), UsageError);
  EXPECT_EQ(parse_size("96x176", "--size"), cv::Size(176, 96));
  options.match_prototypes = -1;
  EXPECT_THROW(options.validate(), UsageError);
}

}  // namespace
}  // namespace occ::labels
