#include "train/trainer.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <regex>

#include "core/error.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "models/occupancy_model.h"
#include "support/temp_dir.h"
#include "train/model_file.h"
#include "train/tensor_io.h"
#include "train/trainer_test_frames.h"

namespace occ::train {
namespace {

using test::tiny_request;
using test::write_tiny_world;

class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new occ::test::TempDir();
    frames_ = dir_->file("world.h5");
    write_tiny_world(frames_);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static occ::test::TempDir* dir_;
  static std::string frames_;
};
occ::test::TempDir* TrainerTest::dir_ = nullptr;
std::string TrainerTest::frames_;

std::vector<std::pair<std::string, at::Tensor>> stored_weights(const std::string& path) {
  const h5::File file = h5::open_artifact(path, "model");
  std::vector<std::pair<std::string, at::Tensor>> weights;
  for (const std::string& name : file.dataset_paths()) {
    if (name.rfind("/weights/", 0) == 0) weights.emplace_back(name, read_tensor(file, name));
  }
  return weights;
}

TEST_F(TrainerTest, ResumedRunEqualsAnUninterruptedOneBitForBit) {
  // Dropout and flips are on, so the generator state and the loader's
  // position must both be restored for the runs to agree.
  auto request = tiny_request(frames_, dir_->file("whole.h5"), 6);
  request.config.assignments.push_back("model.dropout=0.2");
  request.config.assignments.push_back("data.image.flip_probability=0.5");
  const TrainResult whole = run_training(request);
  ASSERT_TRUE(whole.finished);
  ASSERT_EQ(whole.step, 6);

  auto first = request;
  first.output_path = dir_->file("split.h5");
  first.stop_after_steps = 2;
  const TrainResult part = run_training(first);
  EXPECT_FALSE(part.finished);
  EXPECT_EQ(part.step, 2);
  auto second = first;
  second.stop_after_steps = 0;
  second.resume_path = first.output_path;
  second.config.assignments.clear();  // the stored configuration is used
  const TrainResult rest = run_training(second);
  EXPECT_TRUE(rest.finished);

  for (const char* column : {"loss", "ce", "lovasz", "grad_norm", "lr"}) {
    ASSERT_EQ(whole.log.at(column).size(), 6u) << column;
    ASSERT_EQ(rest.log.at(column).size(), 6u) << column;
    for (size_t i = 0; i < 6; ++i)
      EXPECT_EQ(whole.log.at(column)[i], rest.log.at(column)[i]) << column << " row " << i;
  }
  const auto a = stored_weights(request.output_path);
  const auto b = stored_weights(second.output_path);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(at::equal(a[i].second, b[i].second)) << a[i].first;
  }
}

TEST_F(TrainerTest, ModelFileRoundTripsWeightsConfigAndGrid) {
  const auto request = tiny_request(frames_, dir_->file("m.h5"), 1);
  run_training(request);
  LoadedModel loaded = load_model_file(request.output_path);
  EXPECT_EQ(loaded.contents.model_kind, "baseline");
  EXPECT_EQ(loaded.contents.step, 1);
  EXPECT_EQ(loaded.contents.config["model"]["embed_dims"], 16);
  EXPECT_EQ(loaded.contents.config["size"], "demo");
  EXPECT_EQ(loaded.contents.grid.shape, (std::array<int64_t, 3>{20, 20, 4}));
  EXPECT_DOUBLE_EQ(loaded.contents.grid.voxel_size_m[0], 4.0);
  const auto stored = stored_weights(request.output_path);
  int64_t compared = 0;
  for (const auto& item : loaded.model->named_parameters()) {
    std::string key = "/weights/" + item.key();
    std::replace(key.begin(), key.end(), '.', '/');
    for (const auto& [name, tensor] : stored) {
      if (name == key) {
        EXPECT_TRUE(at::equal(tensor, item.value())) << name;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, static_cast<int64_t>(loaded.model->named_parameters().size()));
}

// Replaces the root attribute "config" the way an older occ wrote it: a
// variable-length UTF-8 string.
void rewrite_config_attribute(const std::string& path, const nlohmann::json& config) {
  const std::string text = config.dump();
  const char* data = text.c_str();
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0) << path;
  ASSERT_GE(H5Adelete(file, "config"), 0);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attribute = H5Acreate2(file, "config", type, space, H5P_DEFAULT, H5P_DEFAULT);
  const herr_t written = H5Awrite(attribute, type, &data);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
  ASSERT_GE(written, 0);
}

TEST_F(TrainerTest, ModelFileWrittenBeforeAKeyExistedLoadsWithItsDefault) {
  const auto request = tiny_request(frames_, dir_->file("older.h5"), 1);
  run_training(request);
  const LoadedModel current = load_model_file(request.output_path);
  nlohmann::json older = current.contents.config;
  ASSERT_TRUE(older["model"].contains("decoder_upsampling"));
  ASSERT_TRUE(older["train"].contains("accumulate"));
  older["model"].erase("decoder_upsampling");
  older["train"].erase("accumulate");
  rewrite_config_attribute(request.output_path, older);
  {
    const h5::File file = h5::open_artifact(request.output_path, "model");
    ASSERT_FALSE(nlohmann::json::parse(h5::read_string_attribute(file, "/", "config"))["model"].contains(
        "decoder_upsampling"));
  }
  const LoadedModel loaded = load_model_file(request.output_path);
  EXPECT_EQ(loaded.contents.config, current.contents.config);  // the defaults are what it had
  const auto loaded_parameters = loaded.model->named_parameters();
  for (const auto& item : current.model->named_parameters()) {
    EXPECT_TRUE(at::equal(item.value(), loaded_parameters[item.key()])) << item.key();
  }

  // A key this version does not know is still refused, naming it.
  nlohmann::json newer = current.contents.config;
  newer["model"]["key_from_the_future"] = 1;
  rewrite_config_attribute(request.output_path, newer);
  try {
    load_model_file(request.output_path);
    FAIL() << "an unknown model key was accepted";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("key_from_the_future"), std::string::npos) << error.what();
  }
}

TEST_F(TrainerTest, NonFiniteLossStopsNamingStepAndTermAndKeepsTheLastCheckpoint) {
  auto request = tiny_request(frames_, dir_->file("nan.h5"), 8);
  // A rate this large sends the weights to infinity after the first update.
  request.config.assignments.push_back("train.optimizer.lr=1e30");
  request.config.assignments.push_back("train.schedule.warmup_steps=0");
  request.config.assignments.push_back("train.grad_clip=0.0");
  request.config.assignments.push_back("train.checkpoint_every=1");
  std::string message;
  try {
    run_training(request);
    FAIL() << "expected a non-finite loss";
  } catch (const Error& error) {
    message = error.what();
  }
  // "step 2: loss term 'ce' is nan (not finite); training stopped, the
  // checkpoint of step 1 in '<file>' is kept": with every weight infinite
  // every term is NaN, and the first the baseline reports is its
  // cross-entropy term.
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(message, match,
                        std::regex(R"(^step (\d+): loss term '(\w+)' is (\S+) \(not finite\); training )"
                                   R"(stopped, the checkpoint of step (\d+) in '(.*)' is kept$)")))
      << message;
  EXPECT_EQ(match[2].str(), "ce") << message;
  EXPECT_FALSE(std::isfinite(std::stod(match[3].str()))) << message;
  EXPECT_EQ(std::stoll(match[1].str()), std::stoll(match[4].str()) + 1) << message;
  EXPECT_EQ(match[5].str(), request.output_path);
  // The checkpoint on disk is a good one: it loads, its step is the one the
  // message names, and every loss it logged is finite.
  const LoadedModel kept = load_model_file(request.output_path);
  EXPECT_EQ(kept.contents.step, std::stoll(match[4].str()));
  ASSERT_TRUE(kept.contents.log.count("loss"));
  for (const double loss : kept.contents.log.at("loss")) EXPECT_TRUE(std::isfinite(loss));
}

TEST_F(TrainerTest, StagesChangeGroupMultipliersForTheirSteps) {
  // Stage 1 freezes everything: the file holds the initial weights.
  auto initial = tiny_request(frames_, dir_->file("initial.h5"), 4);
  initial.config.assignments.push_back(
      R"(train.stages=[{"steps": 1, "lr_multipliers": {"backbone": 0, "rest": 0}}])");
  initial.stop_after_steps = 1;
  run_training(initial);
  // Two steps with the backbone frozen, then everything trains.
  auto staged = tiny_request(frames_, dir_->file("staged.h5"), 4);
  staged.config.assignments.push_back(R"(train.stages=[{"steps": 2, "lr_multipliers": {"backbone": 0.0}}])");
  staged.stop_after_steps = 2;
  run_training(staged);
  auto rest = staged;
  rest.stop_after_steps = 0;
  rest.resume_path = staged.output_path;
  rest.output_path = dir_->file("staged_end.h5");
  rest.config.assignments.clear();
  run_training(rest);

  const auto start = stored_weights(initial.output_path);
  const auto frozen = stored_weights(staged.output_path);
  const auto end = stored_weights(rest.output_path);
  int backbone_parameters = 0;
  bool rest_changed = false;
  for (size_t i = 0; i < start.size(); ++i) {
    const std::string& name = start[i].first;
    if (name.find("running_") != std::string::npos || name.find("num_batches") != std::string::npos) continue;
    if (name.rfind("/weights/backbone/", 0) == 0) {
      ++backbone_parameters;
      EXPECT_TRUE(at::equal(start[i].second, frozen[i].second)) << name << " moved while frozen";
    } else {
      rest_changed = rest_changed || !at::equal(start[i].second, frozen[i].second);
    }
  }
  EXPECT_GT(backbone_parameters, 10);
  EXPECT_TRUE(rest_changed);
  bool backbone_moved_later = false;
  for (size_t i = 0; i < start.size(); ++i) {
    if (start[i].first.rfind("/weights/backbone/conv1", 0) == 0) {
      backbone_moved_later = backbone_moved_later || !at::equal(start[i].second, end[i].second);
    }
  }
  EXPECT_TRUE(backbone_moved_later) << "the backbone trains after its stage";

  auto unknown = tiny_request(frames_, dir_->file("unknown.h5"), 2);
  unknown.config.assignments.push_back(R"(train.stages=[{"steps": 1, "lr_multipliers": {"neck": 0}}])");
  EXPECT_THROW(run_training(unknown), UsageError);
  unknown.config.assignments.back() = R"(train.stages=[{"steps": 5}])";
  EXPECT_THROW(run_training(unknown), UsageError) << "more stage steps than train.steps";
}

TEST_F(TrainerTest, BadConfigurationAndResumeMismatchesAreUsageErrors) {
  auto request = tiny_request(frames_, dir_->file("bad.h5"), 1);
  request.config.assignments.push_back("model.embed_dim=8");
  EXPECT_THROW(run_training(request), UsageError);
  EXPECT_FALSE(std::filesystem::exists(request.output_path));

  auto done = tiny_request(frames_, dir_->file("done.h5"), 1);
  run_training(done);
  auto again = done;
  again.resume_path = done.output_path;
  again.config.assignments = {};
  EXPECT_THROW(run_training(again), UsageError) << "already finished";
  again.config.assignments = {"model.embed_dims=32"};
  EXPECT_THROW(run_training(again), UsageError) << "model section changed";

  const std::string other = dir_->file("other.h5");
  write_tiny_world(other, 2, /*seed=*/5);
  again.config.assignments = {"train.steps=3"};
  again.frames_path = other;
  EXPECT_THROW(run_training(again), UsageError) << "another frames file";
}

TEST(MasksForModelTest, MissingMasksAreAUsageErrorNamingTheOption) {
  models::ModelInputs needs;
  needs.masks = true;
  try {
    masks_for_model(needs, "protoocc", "");
    FAIL() << "no error without --masks";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--masks"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("protoocc"), std::string::npos) << error.what();
  }
  EXPECT_EQ(masks_for_model(needs, "protoocc", "masks.h5"), "masks.h5");
}

TEST(MasksForModelTest, MasksTheModelDoesNotReadAreIgnoredWithAWarning) {
  const models::ModelInputs needs;  // baseline: frames only
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(masks_for_model(needs, "baseline", "masks.h5"), "");
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("warning: --masks 'masks.h5' is ignored"), std::string::npos) << warning;
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(masks_for_model(needs, "baseline", ""), "");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(TrainerTest, BaselineTrainsWithMasksIgnored) {
  auto request = tiny_request(frames_, dir_->file("masks_ignored.h5"), 1);
  request.masks_path = dir_->file("not-read.h5");  // never opened
  ::testing::internal::CaptureStderr();
  EXPECT_TRUE(run_training(request).finished);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("is ignored"), std::string::npos);
}

}  // namespace
}  // namespace occ::train
