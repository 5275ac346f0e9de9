// The model contract, checked for every registered kind (and the test-only
// flow_depth_probe, which lives in its own folder and proves that a
// self-supervised kind needs nothing but its folder and one registration):
// build at a tiny size, train two steps (forward, finite losses, backward),
// save/load round trip, predict a pred file that validates and evaluates.
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/progress.h"
#include "h5/file.h"
#include "h5/schema.h"
#include "h5/schema_registry.h"
#include "metrics/evaluate.h"
#include "models/flow_depth_probe/flow_depth_probe.h"
#include "models/occupancy_model.h"
#include "models/registry.h"
#include "support/flow_label_files.h"
#include "support/temp_dir.h"
#include "train/data_loader.h"
#include "train/loader_test_frames.h"
#include "train/model_file.h"
#include "train/predictor.h"
#include "train/trainer.h"
#include "train/trainer_test_frames.h"

namespace occ::models {
namespace {

class ModelContract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::register_flow_depth_probe();
    dir_ = new occ::test::TempDir();
    frames_ = dir_->file("world.h5");
    train::test::write_tiny_world(frames_, 4);
    masks_ = dir_->file("masks.h5");
    train::test::write_test_masks(masks_, frames_, 4, 6, 32, 56);
    flow_ = dir_->file("flow.h5");
    occ::test::write_test_flow_labels(flow_, frames_, 4, 6, 32, 56);
  }
  static void TearDownTestSuite() { delete dir_; }

  static train::TrainRequest request_for(const ModelKind& kind, const std::string& output) {
    train::TrainRequest request;
    request.frames_path = frames_;
    request.output_path = output;
    request.config.model_kind = kind.name;
    request.config.size = kind.sizes.back();
    request.config.assignments = kind.tiny_settings;
    for (const char* setting : {"train.steps=2", "train.log_every=1", "data.workers=1"})
      request.config.assignments.push_back(setting);
    const ModelInputs inputs =
        kind.inputs(kind.default_config(kind.sizes.back(), train::grid_of_frames_file(frames_)));
    if (inputs.masks) request.masks_path = masks_;
    if (inputs.flow_labels) request.flow_labels_path = flow_;
    request.quiet = true;
    return request;
  }

  static occ::test::TempDir* dir_;
  static std::string frames_, masks_, flow_;
};

occ::test::TempDir* ModelContract::dir_ = nullptr;
std::string ModelContract::frames_, ModelContract::masks_, ModelContract::flow_;

TEST_F(ModelContract, EveryKindTrainsRoundTripsAndPredictsAValidPredFile) {
  // baseline, protoocc and the probe at least.
  EXPECT_GE(model_kinds().size(), 3u);
  for (const ModelKind& kind : model_kinds()) {
    SCOPED_TRACE(kind.name);
    const std::string model_path = dir_->file(kind.name + ".model.h5");
    const train::TrainResult trained = train::run_training(request_for(kind, model_path));
    EXPECT_EQ(trained.step, 2);
    ASSERT_TRUE(trained.log.count("loss"));
    for (const double loss : trained.log.at("loss")) EXPECT_TRUE(std::isfinite(loss)) << loss;

    // Round trip: a model file saved from a loaded one holds the same
    // weights and predicts the same.
    train::LoadedModel loaded = train::load_model_file(model_path);
    const std::string copy = dir_->file(kind.name + ".copy.h5");
    train::save_model_file(copy, loaded.contents, *loaded.model, nullptr, at::Tensor(), {});
    train::LoadedModel again = train::load_model_file(copy);
    const auto first = loaded.model->named_parameters();
    const auto second = again.model->named_parameters();
    ASSERT_EQ(first.size(), second.size());
    for (const auto& item : first) EXPECT_TRUE(at::equal(item.value(), second[item.key()])) << item.key();

    const ModelOutputs outputs = kind.outputs(loaded.contents.config.at("model"));
    train::PredictRequest predict;
    predict.model_path = copy;
    predict.frames_path = frames_;
    predict.output_path = dir_->file(kind.name + ".pred.h5");
    predict.depth = outputs.depth;
    predict.probabilities = outputs.probabilities;
    predict.quiet = true;
    EXPECT_EQ(train::run_prediction(predict).frames, 4);
    const h5::File pred = h5::File::open(predict.output_path);
    EXPECT_EQ(h5::validate(pred, h5::schema_for_kind("pred")), std::vector<std::string>{});
    EXPECT_EQ(pred.is_dataset("/pred/flow"), outputs.flow);
    EXPECT_EQ(pred.is_dataset("/pred/depth"), outputs.depth);
    EXPECT_EQ(pred.is_dataset("/pred/probabilities"), outputs.probabilities);

    // It evaluates with the metrics the kind is validated by.
    metrics::EvalOptions eval;
    eval.pred = predict.output_path;
    eval.gt = frames_;
    eval.metrics = kind.validation;
    ProgressStyle silent;
    silent.mode = ProgressStyle::Mode::silent;
    const auto report = metrics::evaluate(eval, silent);
    EXPECT_EQ(report.at("frames"), 4);
  }
}

TEST_F(ModelContract, ProbabilitiesOfAModelWithoutLogitsAreAUsageErrorBeforeAnyWork) {
  const ModelKind& kind = find_model_kind("flow_depth_probe");
  const std::string model_path = dir_->file("probe_for_usage.h5");
  train::run_training(request_for(kind, model_path));
  train::PredictRequest predict;
  predict.model_path = model_path;
  predict.frames_path = frames_;
  predict.output_path = dir_->file("never.pred.h5");
  predict.probabilities = true;
  predict.quiet = true;
  EXPECT_THROW(train::run_prediction(predict), UsageError);
  EXPECT_FALSE(std::filesystem::exists(predict.output_path));
  predict.probabilities = false;
  predict.extras = {"prototypes"};
  EXPECT_THROW(train::run_prediction(predict), UsageError);
  EXPECT_FALSE(std::filesystem::exists(predict.output_path));
}

TEST_F(ModelContract, ASelfSupervisedKindTrainsOnFramesWithoutOccupancyAndLearnsItsLabels) {
  // Frames without /occupancy: a semantic kind cannot train on them, the
  // self-supervised probe can, and its flow term falls towards the labels.
  const std::string frames = dir_->file("no_occupancy.h5");
  train::test::LoaderFrames spec;
  spec.occupancy = false;
  spec.frames = 4;
  train::test::write_loader_frames(frames, spec);
  const std::string flow = dir_->file("no_occupancy.flow.h5");
  occ::test::write_test_flow_labels(flow, frames, 4, 2, 24, 32);

  train::TrainRequest baseline = request_for(find_model_kind("baseline"), dir_->file("never.model.h5"));
  baseline.frames_path = frames;
  try {
    train::run_training(baseline);
    FAIL() << "a baseline trained without occupancy";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("has no occupancy targets"), std::string::npos) << error.what();
  }

  train::TrainRequest probe = request_for(find_model_kind("flow_depth_probe"), dir_->file("probe.model.h5"));
  probe.frames_path = frames;
  probe.flow_labels_path = flow;
  probe.config.assignments.push_back("train.steps=40");
  probe.config.assignments.push_back("train.optimizer.lr=0.05");
  probe.config.assignments.push_back("train.schedule.warmup_steps=0");
  const train::TrainResult result = train::run_training(probe);
  const auto& terms = result.log.at("flow");
  EXPECT_LT(terms.back(), 0.5 * terms.front()) << terms.front() << " -> " << terms.back();
}

TEST_F(ModelContract, InitFromCopiesMatchingTensorsAndStrictRefusesOthers) {
  const std::string baseline_path = dir_->file("warm_baseline.h5");
  train::run_training(request_for(find_model_kind("baseline"), baseline_path));
  const train::LoadedModel source = train::load_model_file(baseline_path);

  // ProtoOcc from a baseline: the baseline's tensors load, the prototype
  // modules are missing from the file.
  const ModelKind& protoocc = find_model_kind("protoocc");
  train::TrainRequest request = request_for(protoocc, dir_->file("unused.h5"));
  const nlohmann::json config =
      train::resolve_run_config(request.config, train::grid_of_frames_file(frames_));
  const auto model = protoocc.create(config.at("model"), train::grid_of_frames_file(frames_));
  const train::WarmStart warm = train::init_from_model_file(baseline_path, *model, /*strict=*/false);
  EXPECT_GT(warm.loaded, 0);
  EXPECT_FALSE(warm.missing.empty());
  EXPECT_TRUE(warm.mismatched.empty());
  EXPECT_TRUE(at::equal(model->named_parameters()["backbone.conv1.weight"],
                        source.model->named_parameters()["backbone.conv1.weight"]));
  EXPECT_THROW(train::init_from_model_file(baseline_path, *model, /*strict=*/true), FormatError);

  // Baseline from itself, strictly: everything matches.
  const auto same =
      find_model_kind("baseline").create(source.contents.config.at("model"), source.contents.grid);
  const train::WarmStart exact = train::init_from_model_file(baseline_path, *same, /*strict=*/true);
  EXPECT_TRUE(exact.missing.empty() && exact.unexpected.empty() && exact.mismatched.empty());
}

}  // namespace
}  // namespace occ::models
