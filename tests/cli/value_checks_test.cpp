// The schema's value checks from the command line, on a tiny synth world
// changed in place: a command refuses the cheap problems when it opens the
// file, occ inspect --validate finds every problem; both name the file, the
// dataset and the first bad row.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "support/damage.h"
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

}  // namespace
}  // namespace occ::test
