// occ train --set model.backbone=convnext_tiny as a user runs it: a tiny
// baseline on ConvNeXt-T trains, predicts and starts from a torchvision
// ConvNeXt-T file given with --backbone-weights; a ResNet file for a
// ConvNeXt model is a clear error without an output file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/run.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

// torchvision's ConvNeXt-T and ResNet-18 state dicts (random weights; the
// ConvNeXt's stem bias, zeros at init, drawn N(0, 1)) and that bias as text.
constexpr const char* kWriteWeights = R"(
import sys, torch, torchvision
torch.manual_seed(0)
out = sys.argv[1]
convnext = torchvision.models.convnext_tiny()
torch.nn.init.normal_(convnext.features[0][0].bias)
torch.save(convnext.state_dict(), out + '/convnext_tiny.pth')
with open(out + '/stem_bias.txt', 'w') as f:
    f.write(' '.join(repr(float(v)) for v in convnext.features[0][0].bias))
torch.save(torchvision.models.resnet18().state_dict(), out + '/resnet18.pth')
)";

class ConvNeXtTrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    frames_ = dir_->file("world.h5");
    const RunResult made =
        run({OCC_BINARY, "prep", "synth", "-o", frames_, "--scenes", "1", "--frames-per-scene", "4",
             "--image-size", "32x56", "--grid", "20,20,4,4.0,-40,-40,-1", "-q"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const RunResult written = run({"/usr/bin/python3", "-c", kWriteWeights, dir_->path().string()});
    ASSERT_EQ(written.exit_code, 0) << written.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::vector<std::string> train_command(const std::string& output, const std::string& weights) {
    std::vector<std::string> tail = {"--set", "model.backbone=convnext_tiny", "--set", "train.steps=2",
                                     "--set", "train.schedule.warmup_steps=0"};
    if (!weights.empty()) {
      // The backbone at learning rate 0 keeps the file's weights.
      tail.insert(tail.end(), {"--backbone-weights", weights, "--set", "model.backbone_lr_multiplier=0"});
    }
    return with_settings(
        {OCC_BINARY, "train", "--frames", frames_, "-o", output, "--size", "demo", "-q", "-j", "1"},
        tiny_baseline_settings(), tail);
  }

  static TempDir* dir_;
  static std::string frames_;
};
TempDir* ConvNeXtTrainCli::dir_ = nullptr;
std::string ConvNeXtTrainCli::frames_;

TEST_F(ConvNeXtTrainCli, TrainsPredictsAndStartsFromTorchvisionWeights) {
  const std::string model = dir_->file("model.h5");
  const RunResult trained = run(train_command(model, dir_->file("convnext_tiny.pth")));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const h5::File file = h5::open_artifact(model, "model");
  EXPECT_NE(h5::read_string_attribute(file, "/", "config").find("\"backbone\":\"convnext_tiny\""),
            std::string::npos);
  EXPECT_EQ(h5::dataset_info(file, "/weights/backbone/features/0/0/weight").shape, (h5::Shape{96, 3, 4, 4}));
  EXPECT_EQ(h5::dataset_info(file, "/weights/backbone/features/5/8/layer_scale").shape,
            (h5::Shape{384, 1, 1}));
  const auto bias = h5::read<float>(file, "/weights/backbone/features/0/0/bias").values;
  std::ifstream text(dir_->file("stem_bias.txt"));
  std::vector<double> expected;
  for (double value = 0; text >> value;) expected.push_back(value);
  ASSERT_EQ(bias.size(), 96u);
  ASSERT_EQ(expected.size(), 96u);
  for (size_t i = 0; i < bias.size(); ++i) EXPECT_NEAR(bias[i], expected[i], 1e-6) << i;
  for (double loss : h5::read<double>(file, "/log/loss").values) EXPECT_TRUE(std::isfinite(loss));

  const std::string pred = dir_->file("pred.h5");
  const RunResult predicted = run({OCC_BINARY, "predict", model, frames_, "-o", pred, "-q"});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_EQ(h5::dataset_info(h5::open_artifact(pred, "pred"), "/pred/semantics").shape,
            (h5::Shape{4, 20, 20, 4}));
}

TEST_F(ConvNeXtTrainCli, AResNetFileForAConvNeXtModelIsAClearError) {
  const std::string model = dir_->file("wrong.h5");
  const RunResult result = run(train_command(model, dir_->file("resnet18.pth")));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("resnet18.pth"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("lacks 178 model parameter(s)"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(model));
}

}  // namespace
}  // namespace occ::test
