// occ train --val (issue 21, item 5): validation runs every train.val_every
// steps and at the end, its mIoU lands in the model's log on exactly those
// rows, and the last value is the mIoU that occ predict + occ eval give for
// the final model on the same frames (two independent paths to one number).
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "h5/dataset.h"
#include "support/run.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

TEST(TrainVal, ValidationMiouIsLoggedAndMatchesPredictAndEval) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "synth", "--scenes", "1", "--frames-per-scene", "4", "--image-size",
                 "32x56", "--grid", "20,20,4,4.0,-40,-40,-1", "-q", "-o", frames})
                .exit_code,
            0);
  const std::string model = dir.file("model.h5");
  // Validated on its own training frames, so that 60 steps reach an mIoU
  // above 0 (untrained, every class scores 0 and any two paths would agree).
  const RunResult trained =
      run(with_settings({OCC_BINARY, "train", "--frames", frames, "--val", frames, "-o", model, "--size",
                         "demo", "-q", "-j", "1"},
                        tiny_baseline_settings(),
                        {"--set", "model.loss_lovasz_weight=0", "--set", "train.steps=60", "--set",
                         "train.val_every=30", "--set", "train.log_every=10", "--set",
                         "train.optimizer.lr=5e-3", "--set", "train.schedule.warmup_steps=0"}));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;

  const h5::File file = h5::File::open(model);
  const std::vector<double> steps = h5::read<double>(file, "/log/step").values;
  const std::vector<double> miou = h5::read<double>(file, "/log/val_miou").values;
  ASSERT_EQ(steps, (std::vector<double>{10, 20, 30, 40, 50, 60}));
  ASSERT_EQ(miou.size(), steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(std::isnan(miou[i]), steps[i] != 30 && steps[i] != 60) << "step " << steps[i];
  }
  EXPECT_GT(miou.back(), 0.05) << "the model learnt nothing: the comparison below would be vacuous";
  EXPECT_NE(trained.out.find("val mIoU"), std::string::npos) << trained.out;

  const std::string pred = dir.file("pred.h5");
  ASSERT_EQ(run({OCC_BINARY, "predict", model, frames, "-o", pred, "-q", "-j", "1"}).exit_code, 0);
  const RunResult scored = run({OCC_BINARY, "eval", pred, "--gt", frames, "--json", "-q"});
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  const nlohmann::json report = nlohmann::json::parse(scored.out);
  // occ eval reports percent, the log a fraction.
  EXPECT_NEAR(report.at("miou").at("miou").get<double>() / 100.0, miou.back(), 1e-6) << scored.out;
}

}  // namespace
}  // namespace occ::test
