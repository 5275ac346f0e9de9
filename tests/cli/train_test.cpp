// occ train and occ predict as a user runs them: the train -> predict -> eval
// pipeline, data parallelism, Ctrl-C, and bad input (exit codes, messages, no
// partial files).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/run.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

// One tiny synthetic scene and the demo model shrunk to train in seconds.
class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    frames_ = dir_->file("world.h5");
    const RunResult made =
        run({OCC_BINARY, "prep", "synth", "-o", frames_, "--scenes", "1", "--frames-per-scene", "4",
             "--image-size", "32x56", "--grid", "20,20,4,4.0,-40,-40,-1", "-q"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::vector<std::string> train_command(const std::string& output, int steps) {
    return with_settings(
        {OCC_BINARY, "train", "--frames", frames_, "-o", output, "--size", "demo", "-q", "-j", "1"},
        tiny_baseline_settings(),
        {"--set", "model.dropout=0.0", "--set", "train.log_every=1", "--set", "train.schedule.warmup_steps=0",
         "--set", "train.optimizer.lr=0.005", "--set", "train.steps=" + std::to_string(steps)});
  }

  static TempDir* dir_;
  static std::string frames_;
};
TempDir* TrainCli::dir_ = nullptr;
std::string TrainCli::frames_;

std::vector<std::string> with(std::vector<std::string> command, const std::vector<std::string>& more) {
  command.insert(command.end(), more.begin(), more.end());
  return command;
}

std::vector<std::string> weight_names(const h5::File& file) {
  std::vector<std::string> names;
  for (const std::string& path : file.dataset_paths()) {
    // Parameters only: BatchNorm statistics are buffers that follow rank 0.
    if (path.rfind("/weights/", 0) == 0 && path.find("running_") == std::string::npos &&
        path.find("num_batches_tracked") == std::string::npos) {
      names.push_back(path);
    }
  }
  return names;
}

TEST_F(TrainCli, TrainPredictEvalPipeline) {
  const std::string model = dir_->file("model.h5");
  const std::string csv = dir_->file("log.csv");
  const std::string events = dir_->file("events");
  RunResult trained = run(with(train_command(model, 3), {"--csv", csv, "--tensorboard", events}));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_NE(trained.out.find("steps      3"), std::string::npos) << trained.out;
  const h5::File file = h5::open_artifact(model, "model");
  EXPECT_EQ(h5::read_string_attribute(file, "/", "model"), "baseline");
  EXPECT_EQ(h5::read_int_attribute(file, "/", "step"), 3);
  EXPECT_EQ(h5::read<double>(file, "/log/step").values, (std::vector<double>{1, 2, 3}));
  EXPECT_TRUE(file.is_dataset("/optimizer/steps"));
  EXPECT_TRUE(file.is_dataset("/rng/cpu"));
  const std::string log = read_text(csv);
  EXPECT_EQ(log.rfind("step,lr,ce,lovasz,loss,grad_norm,seconds_per_step,val_miou\n", 0), 0u) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 4);
  ASSERT_TRUE(std::filesystem::is_directory(events));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(events), {}), 1);

  const std::string pred = dir_->file("pred.h5");
  const RunResult predicted =
      run({OCC_BINARY, "predict", model, frames_, "-o", pred, "--probabilities", "-q"});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_NE(predicted.out.find("predictions 4 frames"), std::string::npos) << predicted.out;
  EXPECT_NE(predicted.out.find("backbone"), std::string::npos) << predicted.out;
  EXPECT_NE(predicted.out.find("view_transformation"), std::string::npos) << predicted.out;
  const h5::File pred_file = h5::open_artifact(pred, "pred");
  h5::require_made_from(pred_file, h5::File::open(frames_));
  EXPECT_EQ(h5::read_string_attribute(pred_file, "/", "model_uuid"),
            h5::read_string_attribute(file, "/", "uuid"));
  EXPECT_EQ(h5::dataset_info(pred_file, "/pred/semantics").shape, (h5::Shape{4, 20, 20, 4}));
  EXPECT_EQ(h5::dataset_info(pred_file, "/pred/probabilities").shape, (h5::Shape{4, 20, 20, 4, 18}));
  const RunResult scored = run({OCC_BINARY, "eval", pred, "--gt", frames_, "--json"});
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_NE(scored.out.find("\"miou\""), std::string::npos) << scored.out;
}

TEST_F(TrainCli, TwoProcessesEqualOneProcessAccumulatingTheirBatches) {
  // DDP averages the per-rank gradients of batch 1; one process with
  // accumulate 2 averages the same two frames' gradients.
  const std::string single = dir_->file("single.h5");
  const std::string parallel = dir_->file("parallel.h5");
  RunResult one = run(with(train_command(single, 3), {"--set", "train.accumulate=2"}));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  RunResult two = run(with(train_command(parallel, 3), {"--nproc", "2"}));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 3) << "only rank 0 reports: " << two.out;
  const h5::File a = h5::open_artifact(single, "model");
  const h5::File b = h5::open_artifact(parallel, "model");
  const auto names = weight_names(a);
  ASSERT_GT(names.size(), 50u);
  ASSERT_EQ(names, weight_names(b));
  double worst = 0;
  for (const std::string& name : names) {
    const auto x = h5::read<float>(a, name).values;
    const auto y = h5::read<float>(b, name).values;
    ASSERT_EQ(x.size(), y.size()) << name;
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(double{x[i]} - y[i]));
  }
  EXPECT_LT(worst, 1e-5);
  EXPECT_EQ(h5::read<double>(a, "/log/loss").values.size(), 3u);
  const auto loss_a = h5::read<double>(a, "/log/loss").values;
  const auto loss_b = h5::read<double>(b, "/log/loss").values;
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(loss_a[i], loss_b[i], 1e-5 * std::abs(loss_a[i]));
  // A different model would differ: one process on batch 1 alone.
  const std::string alone = dir_->file("alone.h5");
  ASSERT_EQ(run(train_command(alone, 3)).exit_code, 0);
  EXPECT_NE(h5::read<double>(h5::open_artifact(alone, "model"), "/log/loss").values, loss_a);
}

TEST_F(TrainCli, CtrlCSavesACheckpointThatResumes) {
  const std::string model = dir_->file("interrupted.h5");
  // The CSV log gets its first row after step 1: training is under way (and
  // past start-up) when it appears, however slow the machine.
  const std::string csv = dir_->file("interrupted.csv");
  const auto command = with(train_command(model, 100000), {"--csv", csv});
  const pid_t child = fork();
  if (child == 0) {
    std::vector<char*> args;
    for (const auto& arg : command) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
    execv(args[0], args.data());
    _exit(127);
  }
  for (int waited = 0; waited < 1200 && !std::filesystem::exists(csv); ++waited) usleep(100000);
  if (!std::filesystem::exists(csv)) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    FAIL() << "no training step within 120 s";
  }
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const h5::File file = h5::open_artifact(model, "model");
  const int64_t step = h5::read_int_attribute(file, "/", "step");
  EXPECT_GE(step, 1);
  const RunResult resumed =
      run({OCC_BINARY, "train", "--frames", frames_, "-o", dir_->file("resumed.h5"), "--resume", model,
           "--set", "train.steps=" + std::to_string(step + 1), "-q"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(h5::read_int_attribute(h5::open_artifact(dir_->file("resumed.h5"), "model"), "/", "step"),
            step + 1);
}

TEST_F(TrainCli, BadInputIsAClearErrorWithoutPartialFiles) {
  const std::string model = dir_->file("bad.h5");
  RunResult result = run(with(train_command(model, 1), {"--set", "model.embed_dim=8"}));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("'model.embed_dim'"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(model));
  // The same usage error in the ranks of --nproc keeps exit status 2.
  result = run(with(train_command(model, 1), {"--set", "model.embed_dim=8", "--nproc", "2"}));
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("'model.embed_dim'"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(model));

  auto missing = train_command(model, 1);
  missing[3] = dir_->file("missing.h5");
  result = run(missing);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("missing.h5"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(model));

  result = run(train_command(dir_->file("no-such-dir/m.h5"), 1));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("no-such-dir"), std::string::npos) << result.err;

  result = run(with(train_command(model, 1), {"--model", "transformer"}));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("baseline"), std::string::npos) << "lists the known kinds: " << result.err;

  // A frames file is not a model file; a model file is not a frames file.
  result = run({OCC_BINARY, "predict", frames_, frames_, "-o", dir_->file("p.h5")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("world.h5"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(dir_->file("p.h5")));
}

TEST_F(TrainCli, ModelThatReadsMasksNeedsTheMasksOption) {
  // ProtoOcc (prototype optimisation on by default) reads superpixel masks.
  const std::string model = dir_->file("protoocc.h5");
  const RunResult result = run(with(train_command(model, 1), {"--model", "protoocc"}));
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("--masks"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(model));
}

TEST_F(TrainCli, MasksAModelDoesNotReadAreIgnoredWithAWarningAndRecorded) {
  const std::string masks = dir_->file("masks.h5");
  const RunResult made = run({OCC_BINARY, "cluster-masks", frames_, "-o", masks, "-q"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string model = dir_->file("with_masks.h5");
  auto command = with(train_command(model, 1), {"--masks", masks});
  command.erase(std::find(command.begin(), command.end(), "-q"));  // -q hides warnings
  const RunResult result = run(command);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("warning: --masks '" + masks + "' is ignored: the baseline model"),
            std::string::npos)
      << result.err;
  const std::string options = h5::read_string_attribute(h5::open_artifact(model, "model"), "/", "options");
  EXPECT_NE(options.find("\"masks\":\"" + masks + "\""), std::string::npos) << options;
}

// ProtoOcc as a user runs it: masks from occ cluster-masks, the loss terms of
// Eq. 6 in the log, prototypes out of occ predict and into occ render.
TEST_F(TrainCli, ProtoOccTrainsPredictsPrototypesAndRendersThem) {
  const std::string masks = dir_->file("protoocc.masks.h5");
  ASSERT_EQ(run({OCC_BINARY, "cluster-masks", frames_, "-o", masks, "-q"}).exit_code, 0);
  const std::string model = dir_->file("protoocc_model.h5");
  const std::string csv = dir_->file("protoocc.csv");
  const RunResult trained =
      run(with(train_command(model, 2), {"--model", "protoocc", "--masks", masks, "--csv", csv, "--set",
                                         "model.proto_hidden_dims=16", "--aug", "dropout,flip"}));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string log = read_text(csv);
  EXPECT_EQ(log.rfind("step,lr,ce,lovasz,consistency,prototype,loss,", 0), 0u) << log;
  const std::string config = h5::read_string_attribute(h5::open_artifact(model, "model"), "/", "config");
  EXPECT_NE(config.find("\"mod_augmentations\":\"dropout,flip\""), std::string::npos) << config;

  const std::string pred = dir_->file("protoocc.pred.h5");
  const RunResult predicted = run({OCC_BINARY, "predict", model, frames_, "-o", pred, "--prototypes", "-q"});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  const h5::File pred_file = h5::open_artifact(pred, "pred");
  // 6 cameras of 32x56 images: stride-8 features 4x7; r = 4: 1x2 prototype cells.
  EXPECT_EQ(h5::dataset_info(pred_file, "/pred/prototypes").shape, (h5::Shape{4, 6, 4, 7}));
  EXPECT_EQ(h5::read<int32_t>(pred_file, "/pred/prototype_grid").values, (std::vector<int32_t>{1, 2}));
  const auto ids = h5::read<uint16_t>(pred_file, "/pred/prototypes").values;
  EXPECT_LT(*std::max_element(ids.begin(), ids.end()), 2);

  const std::string picture = dir_->file("prototypes.png");
  const RunResult rendered = run({OCC_BINARY, "render", pred, "--gt", frames_, "--view", "prototypes",
                                  "--masks", masks, "--frame", "1", "-o", picture});
  EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
  EXPECT_TRUE(std::filesystem::exists(picture));

  // A baseline has no prototypes to write, and no ProtoOcc switches.
  const std::string baseline = dir_->file("baseline_for_prototypes.h5");
  ASSERT_EQ(run(train_command(baseline, 1)).exit_code, 0);
  const std::string nothing = dir_->file("no_prototypes.pred.h5");
  const RunResult refused =
      run({OCC_BINARY, "predict", baseline, frames_, "-o", nothing, "--prototypes", "-q"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("has no prototypes"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(nothing));
  const RunResult switched = run(with(train_command(dir_->file("x.h5"), 1), {"--no-mod"}));
  EXPECT_EQ(switched.exit_code, 2);
  EXPECT_NE(switched.err.find("--no-mod is a switch of the protoocc model"), std::string::npos)
      << switched.err;
}

// Masks made from another frames file are refused before any training.
TEST_F(TrainCli, ProtoOccRefusesMasksOfAnotherFramesFile) {
  const std::string other = dir_->file("other_world.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "synth", "-o", other, "--scenes", "1", "--frames-per-scene", "4",
                 "--image-size", "32x56", "--grid", "20,20,4,4.0,-40,-40,-1", "--seed", "9", "-q"})
                .exit_code,
            0);
  const std::string masks = dir_->file("other.masks.h5");
  ASSERT_EQ(run({OCC_BINARY, "cluster-masks", other, "-o", masks, "-q"}).exit_code, 0);
  const std::string model = dir_->file("wrong_masks.h5");
  const RunResult result = run(with(train_command(model, 1), {"--model", "protoocc", "--masks", masks}));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find(masks), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(model));
}

TEST_F(TrainCli, PrintConfigListsEveryKey) {
  const RunResult result =
      run({OCC_BINARY, "train", "--frames", frames_, "--size", "demo", "--print-config"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* key : {"\"model\"", "\"embed_dims\"", "\"query_shape\"", "\"optimizer\"",
                          "\"warmup_steps\"", "\"flip_probability\"", "\"size\": \"demo\""}) {
    EXPECT_NE(result.out.find(key), std::string::npos) << key;
  }
}

}  // namespace
}  // namespace occ::test
