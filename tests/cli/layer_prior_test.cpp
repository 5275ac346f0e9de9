// occ predict --layer-prior end to end (issue 19's image-blind predictor):
// the pred file validates, scores with occ eval, holds one class per height
// layer (it never looks at an image), and bad input is an error with no
// output file. The counting itself is tested in tests/metrics/layer_prior_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <vector>

#include "h5/dataset.h"
#include "support/run.h"
#include "support/temp_dir.h"

namespace occ::test {
namespace {

RunResult prep(const std::string& path, const std::string& seed, const std::string& grid) {
  return run({OCC_BINARY, "prep", "synth", "-o", path, "--scenes", "1", "--frames-per-scene", "3", "--seed",
              seed, "--image-size", "32x56", "--grid", grid, "-q"});
}

const char* kGrid = "20,20,4,4.0,-40,-40,-1";

TEST(LayerPriorCli, PredictsOneClassPerLayerThatValidatesAndScores) {
  TempDir dir;
  const std::string train = dir.file("train.h5"), val = dir.file("val.h5"), pred = dir.file("prior.pred.h5");
  ASSERT_EQ(prep(train, "0", kGrid).exit_code, 0);
  ASSERT_EQ(prep(val, "7", kGrid).exit_code, 0);

  const RunResult predicted = run({OCC_BINARY, "predict", "--layer-prior", train, val, "-o", pred});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_NE(predicted.out.find("3 frames"), std::string::npos) << predicted.out;
  const RunResult valid = run({OCC_BINARY, "inspect", "--validate", pred});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  const RunResult scored = run({OCC_BINARY, "eval", pred, "--gt", val});
  EXPECT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_NE(scored.out.find("mIoU"), std::string::npos) << scored.out;

  // [N, X, Y, Z]: every voxel of a layer carries the same class, in every
  // frame, and at least one layer is not free (the world has a ground).
  const h5::File file = h5::File::open(pred);
  const h5::Array<uint8_t> semantics = h5::read<uint8_t>(file, "/pred/semantics");
  ASSERT_EQ(semantics.shape.size(), 4u);
  const int64_t layers = semantics.shape[3];
  ASSERT_EQ(layers, 4);
  std::vector<std::set<uint8_t>> seen(static_cast<size_t>(layers));
  for (size_t i = 0; i < semantics.values.size(); ++i)
    seen[i % static_cast<size_t>(layers)].insert(semantics.values[i]);
  std::set<uint8_t> per_layer;
  for (const auto& classes : seen) {
    EXPECT_EQ(classes.size(), 1u);
    per_layer.insert(*classes.begin());
  }
  EXPECT_GE(per_layer.size(), 2u) << "every layer got the same class";
}

TEST(LayerPriorCli, BadInputIsAnErrorWithoutAnOutputFile) {
  TempDir dir;
  const std::string train = dir.file("train.h5"), val = dir.file("val.h5"), other = dir.file("other-grid.h5");
  ASSERT_EQ(prep(train, "0", kGrid).exit_code, 0);
  ASSERT_EQ(prep(val, "7", kGrid).exit_code, 0);
  ASSERT_EQ(prep(other, "7", "10,10,4,8.0,-40,-40,-1").exit_code, 0);

  const std::string out = dir.file("out.pred.h5");
  const RunResult probabilities =
      run({OCC_BINARY, "predict", "--layer-prior", train, val, "-o", out, "--probabilities"});
  EXPECT_EQ(probabilities.exit_code, 2);
  EXPECT_NE(probabilities.err.find("--layer-prior"), std::string::npos) << probabilities.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  const RunResult grids = run({OCC_BINARY, "predict", "--layer-prior", train, other, "-o", out});
  // Two files that do not belong together: a usage error naming both.
  EXPECT_EQ(grids.exit_code, 2);
  EXPECT_NE(grids.err.find("other-grid.h5"), std::string::npos) << grids.err;
  EXPECT_NE(grids.err.find("train.h5"), std::string::npos) << grids.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  const RunResult missing =
      run({OCC_BINARY, "predict", "--layer-prior", dir.file("absent.h5"), val, "-o", out});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("absent.h5"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace occ::test
