// The schema's value checks from the command line, on a tiny synth world
// changed in place: a command refuses the cheap problems when it opens the
// file, occ inspect --validate finds every problem; both name the file, the
// dataset and the first bad row.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "h5/dataset.h"
#include "h5/half.h"
#include "support/damage.h"
#include "support/frames_builder.h"
#include "support/run.h"

namespace occ::test {
namespace {

std::string write_world(const TempDir& dir) {
  const std::string path = dir.file("frames.h5");
  const RunResult prep = run({OCC_BINARY, "prep", "synth", "--scenes", "1", "--frames-per-scene", "3",
                              "--image-size", "32x56", "--grid", "20,20,4,4.0,-40,-40,-1", "-q", "-o", path});
  EXPECT_EQ(prep.exit_code, 0) << prep.err;
  return path;
}

RunResult validate(const std::string& path) {
  return run({OCC_BINARY, "inspect", "--validate", path});
}

RunResult use(const TempDir& dir, const std::string& frames) {
  return run({OCC_BINARY, "cluster-masks", frames, "-o", dir.file("masks.h5"), "--count", "8", "-q"});
}

TEST(ValueChecksCli, SynthWorldsPassEveryCheck) {
  TempDir dir;
  const RunResult result = validate(write_world(dir));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("validation\n  ok"), std::string::npos) << result.out;
}

TEST(ValueChecksCli, NonFiniteGeometryIsRefusedByCommandsAndInspect) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"/frames/world_from_ego", 16 + 3},
      {"/cameras/ego_from_camera", 16 * 6 + 7},
      {"/cameras/intrinsics", 9 * 6 * 2},
      {"/lidar/origin", 4},
  };
  for (const auto& [dataset, element] : cases) {
    TempDir dir;
    const std::string frames = write_world(dir);
    set_value<double>(frames, dataset, element, std::numeric_limits<double>::quiet_NaN());
    for (const RunResult& result : {validate(frames), use(dir, frames)}) {
      EXPECT_EQ(result.exit_code, 1) << dataset << result.err;
      EXPECT_NE(result.err.find(frames), std::string::npos) << result.err;
      EXPECT_NE(result.err.find("dataset '" + dataset + "' row "), std::string::npos) << result.err;
      EXPECT_NE(result.err.find("is not finite (nan"), std::string::npos) << result.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir.file("masks.h5")));
  }
}

TEST(ValueChecksCli, LidarPointsShorterThanTheirOffsets) {
  TempDir dir;
  const std::string frames = write_world(dir);
  drop_last_row(frames, "/lidar/points");
  for (const RunResult& result : {validate(frames), use(dir, frames)}) {
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.err.find(frames), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("dataset '/lidar/offsets' row 3: the last offset is"), std::string::npos)
        << result.err;
  }
}

TEST(ValueChecksCli, TimeRunningBackwardsWithinAScene) {
  TempDir dir;
  const std::string frames = write_world(dir);
  set_value<int64_t>(frames, "/frames/timestamp_us", 2, 0);
  const RunResult result = validate(frames);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("dataset '/frames/timestamp_us' row 2: 0 is not after"), std::string::npos)
      << result.err;
}

TEST(ValueChecksCli, NonFinitePointsAreFoundByInspectOnly) {
  TempDir dir;
  const std::string frames = write_world(dir);
  set_value<float>(frames, "/lidar/points", 5, std::numeric_limits<float>::infinity());
  const RunResult result = validate(frames);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("dataset '/lidar/points' row 1 is not finite (inf at [1, 1])"), std::string::npos)
      << result.err;
  // Too big to scan on every open: commands go on.
  EXPECT_EQ(use(dir, frames).exit_code, 0);
}

TEST(ValueChecksCli, InspectVerifiesTheChecksumOfEveryDataset) {
  TempDir dir;
  const std::string frames = write_world(dir);
  flip_stored_bytes(frames, "/cameras/image");
  const RunResult result = validate(frames);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("'/cameras/image' in '" + frames + "': stored data is damaged"),
            std::string::npos)
      << result.err;
}

// Derived files: segment ids not below their map's count, 0/1 masks that
// hold a 2, class ids outside the class set and probabilities above 1 are
// found by occ inspect --validate, naming the dataset and the first bad row.
RunResult expect_found(const std::string& path, const std::string& message) {
  const RunResult result = validate(path);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.err.find(path), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  return result;
}

TEST(ValueChecksCli, MaskIdsAboveTheirCount) {
  TempDir dir;
  const std::string frames = write_world(dir);
  ASSERT_EQ(use(dir, frames).exit_code, 0);
  const std::string masks = dir.file("masks.h5");
  EXPECT_EQ(validate(masks).exit_code, 0) << validate(masks).err;
  set_value<uint16_t>(masks, "/masks/labels", 7, 60000);
  expect_found(masks, "dataset '/masks/labels' row 0: id 60000 at [0, 0, 0, 7] is not below the count");
}

TEST(ValueChecksCli, FlowMasksHoldZeroOrOne) {
  TempDir dir;
  const std::string frames = write_world(dir);
  const std::string flow = dir.file("flow.h5");
  const RunResult labelled = run({OCC_BINARY, "flow-labels", frames, "-o", flow, "-q"});
  ASSERT_EQ(labelled.exit_code, 0) << labelled.err;
  EXPECT_EQ(validate(flow).exit_code, 0) << validate(flow).err;
  set_value<uint8_t>(flow, "/next/valid", 3, 2);
  expect_found(flow, "dataset '/next/valid' row 0: 2 at [0, 0, 0, 3] is outside [0, 1]");
}

TEST(ValueChecksCli, PredictionsOutsideTheClassSetOrProbabilityRange) {
  TempDir dir;
  const std::string frames = write_world(dir);
  std::vector<std::vector<uint8_t>> semantics(3, std::vector<uint8_t>(20 * 20 * 4, 17));
  const std::string pred = dir.file("pred.h5");
  write_test_pred(pred, frames, semantics, {0, 1, 2}, {20, 20, 4}, [](h5::File& file) {
    h5::write(file, "/pred/probabilities", std::vector<Half>(3 * 20 * 20 * 4 * 18, float_to_half(0.5f)),
              {3, 20, 20, 4, 18});
  });
  EXPECT_EQ(validate(pred).exit_code, 0) << validate(pred).err;
  set_value<uint8_t>(pred, "/pred/semantics", 20 * 20 * 4 + 9, 18);
  expect_found(pred, "dataset '/pred/semantics' row 1: 18 at [1, 0, 2, 1] is outside < K = 18");
  set_value<uint8_t>(pred, "/pred/semantics", 20 * 20 * 4 + 9, 3);
  set_value<float>(pred, "/pred/probabilities", 2 * 20 * 20 * 4 * 18 + 1, 1.25f);
  expect_found(pred, "dataset '/pred/probabilities' row 2: 1.25 at [2, 0, 0, 0, 1] is outside [0, 1]");
}

}  // namespace
}  // namespace occ::test
