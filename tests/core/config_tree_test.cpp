#include "core/config_tree.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "support/temp_dir.h"

namespace occ {
namespace {

nlohmann::json defaults() {
  return nlohmann::json::parse(R"({
    "model": {"embed_dims": 64, "query_shape": [50, 50, 4], "self_attention": false, "lr_scale": 0.1,
              "name": "x", "means": [1.5, 2.5]},
    "train": {"lr": 2e-4, "steps": 100}
  })");
}

TEST(ConfigTree, AssignmentsOverrideKnownKeysWithTheirTypes) {
  auto config = defaults();
  apply_assignment(config, "model.embed_dims=128");
  apply_assignment(config, "model.query_shape=[20,20,2]");
  apply_assignment(config, "model.self_attention=true");
  apply_assignment(config, "model.name=resnet");  // not JSON: a plain string
  apply_assignment(config, "train.lr=1");         // integer for a float: stays a float
  apply_assignment(config, "model.means=[1, 2]");
  EXPECT_EQ(config["model"]["embed_dims"], 128);
  EXPECT_EQ(config["model"]["query_shape"], nlohmann::json::parse("[20,20,2]"));
  EXPECT_EQ(config["model"]["self_attention"], true);
  EXPECT_EQ(config["model"]["name"], "resnet");
  EXPECT_TRUE(config["train"]["lr"].is_number_float());
  EXPECT_DOUBLE_EQ(config["train"]["lr"].get<double>(), 1.0);
  EXPECT_TRUE(config["model"]["means"][0].is_number_float());
}

TEST(ConfigTree, UnknownKeysAndWrongTypesNameTheKey) {
  auto config = defaults();
  try {
    apply_assignment(config, "model.embed_dim=128");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("'model.embed_dim'"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("embed_dims"), std::string::npos) << error.what();
  }
  try {
    apply_assignment(config, "train.steps=1.5");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("'train.steps' must be an integer"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(apply_assignment(config, "model.query_shape=[1.5]"), UsageError);
  EXPECT_THROW(apply_assignment(config, "model=3"), UsageError);
  EXPECT_THROW(apply_assignment(config, "no_equals"), UsageError);
  EXPECT_THROW(apply_assignment(config, "model..x=1"), UsageError);
  EXPECT_EQ(config, defaults()) << "failed assignments change nothing they did not reach";
}

TEST(ConfigTree, TomlFileOverlaysSections) {
  test::TempDir dir;
  const std::string path = dir.file("model.toml");
  std::ofstream(path) << "[model]\nembed_dims = 32\nquery_shape = [10, 10, 2]\n[train]\nlr = 0.001\n";
  auto config = defaults();
  overlay_config(config, read_toml_file(path), path);
  EXPECT_EQ(config["model"]["embed_dims"], 32);
  EXPECT_DOUBLE_EQ(config["train"]["lr"].get<double>(), 0.001);
  EXPECT_EQ(config["train"]["steps"], 100);

  std::ofstream(path) << "[model\nembed_dims = 32\n";
  try {
    read_toml_file(path);
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("not valid TOML"), std::string::npos) << error.what();
  }
  EXPECT_THROW(read_toml_file(dir.file("missing.toml")), IoError);
}

TEST(ConfigTree, ConfigAtReadsDottedKeys) {
  const auto config = defaults();
  EXPECT_EQ(config_at(config, "model.embed_dims"), 64);
  EXPECT_THROW(config_at(config, "model.nope"), UsageError);
}

TEST(ConfigTree, FillMissingKeysAddsOnlyWhatIsAbsentAndNamesIt) {
  // A configuration stored before "self_attention", "means" and the whole
  // "train" table existed, with two values changed from the defaults.
  nlohmann::json stored = nlohmann::json::parse(R"({
    "model": {"embed_dims": 16, "query_shape": [10, 10, 2], "lr_scale": 0.5, "name": "y"}
  })");
  const auto added = fill_missing_keys(stored, defaults());
  EXPECT_EQ(added, (std::vector<std::string>{"model.means", "model.self_attention", "train"}));
  EXPECT_EQ(stored["model"]["embed_dims"], 16);  // stored values are kept
  EXPECT_EQ(stored["model"]["lr_scale"], 0.5);
  EXPECT_EQ(stored["model"]["self_attention"], false);
  EXPECT_EQ(stored["model"]["means"], nlohmann::json::parse("[1.5, 2.5]"));
  EXPECT_EQ(stored["train"]["steps"], 100);
  // Complete already: nothing to add, nothing changed.
  const nlohmann::json before = stored;
  EXPECT_TRUE(fill_missing_keys(stored, defaults(), "cfg").empty());
  EXPECT_EQ(stored, before);
}

}  // namespace
}  // namespace occ
