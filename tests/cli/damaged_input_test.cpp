// Every command that reads HDF5, on an input cut short and on one whose
// stored bytes were damaged (a checksum failure): exit 1, a message naming
// the damaged file, and nothing left where the output would go.
#include <gtest/gtest.h>

#include <filesystem>

#include "h5/dataset.h"
#include "support/damage.h"
#include "support/frames_builder.h"
#include "support/run.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

enum class Damage { truncated, checksum };

std::string make_world(const TempDir& dir, const std::string& name, int seed) {
  const std::string path = dir.file(name);
  const RunResult prep =
      run({OCC_BINARY, "prep", "synth", "--scenes", "1", "--frames-per-scene", "4", "--image-size", "32x56",
           "--grid", "20,20,4,4.0,-40,-40,-1", "--seed", std::to_string(seed), "-q", "-o", path});
  EXPECT_EQ(prep.exit_code, 0) << prep.err;
  return path;
}

std::string make_pred(const TempDir& dir, const std::string& frames) {
  const std::string path = dir.file("pred.h5");
  std::vector<std::vector<uint8_t>> semantics(4, std::vector<uint8_t>(20 * 20 * 4, 17));
  for (auto& grid : semantics) grid[5] = 11;
  write_test_pred(path, frames, semantics, {0, 1, 2, 3}, {20, 20, 4});
  return path;
}

std::vector<std::string> train_command(const std::string& frames, const std::string& output) {
  return with_settings(
      {OCC_BINARY, "train", "--frames", frames, "-o", output, "--size", "demo", "-q", "-j", "1"},
      tiny_baseline_settings(), {"--set", "train.steps=1"});
}

// A chunked dataset of `path` below `group` that holds stored bytes.
std::string first_stored_dataset(const std::string& path, const std::string& group) {
  const h5::File file = h5::File::open(path);
  for (const auto& dataset : file.dataset_paths()) {
    if (dataset.rfind(group, 0) != 0) continue;
    const h5::DatasetInfo info = h5::dataset_info(file, dataset);
    if (!info.chunk.empty() && info.storage_bytes > 64) return dataset;
  }
  ADD_FAILURE() << "no stored dataset below " << group << " in " << path;
  return "";
}

std::string str_label(Damage how, int serial) {
  return std::string(how == Damage::truncated ? "truncated" : "damaged") + std::to_string(serial);
}

// Copies `input` to a fresh name, damages the copy, runs `command` with
// "{in}" replaced by the copy and "{out}" by a path in an empty folder, and
// checks the refusal.
void expect_refused(const TempDir& dir, const std::string& input, const std::string& dataset, Damage how,
                    std::vector<std::string> command, const std::string& output_name) {
  static int serial = 0;
  const std::string label = str_label(how, ++serial);
  const std::string damaged = dir.file(label + "." + std::filesystem::path(input).filename().string());
  std::filesystem::copy_file(input, damaged);
  if (how == Damage::truncated) {
    truncate_file(damaged, 0.5);
  } else {
    flip_stored_bytes(damaged, dataset);
  }
  const std::filesystem::path out_dir = dir.path() / (label + ".out");
  std::filesystem::create_directory(out_dir);
  for (auto& arg : command) {
    if (arg == "{in}") arg = damaged;
    if (arg == "{out}") arg = (out_dir / output_name).string();
  }
  const RunResult result = run(command);
  const std::string what = command[1] + " on a " + label + " " + input;
  EXPECT_EQ(result.exit_code, 1) << what << "\n" << result.err;
  EXPECT_NE(result.err.find("'" + damaged + "'"), std::string::npos) << what << "\n" << result.err;
  if (how == Damage::checksum) {
    EXPECT_NE(result.err.find("stored data is damaged"), std::string::npos) << what << "\n" << result.err;
  }
  EXPECT_TRUE(std::filesystem::is_empty(out_dir)) << what << ": something was left in " << out_dir;
}

const Damage kBoth[] = {Damage::truncated, Damage::checksum};

TEST(DamagedInput, InspectValidate) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  for (Damage how : kBoth) {
    expect_refused(dir, frames, "/cameras/image", how, {OCC_BINARY, "inspect", "--validate", "{in}"}, "none");
  }
}

TEST(DamagedInput, ClusterMasks) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  for (Damage how : kBoth) {
    expect_refused(dir, frames, "/cameras/image", how,
                   {OCC_BINARY, "cluster-masks", "{in}", "-o", "{out}", "--count", "8", "-q"}, "masks.h5");
  }
}

TEST(DamagedInput, FlowLabels) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  for (Damage how : kBoth) {
    expect_refused(dir, frames, "/cameras/image", how,
                   {OCC_BINARY, "flow-labels", "{in}", "-o", "{out}", "-q"}, "flow.h5");
  }
}

TEST(DamagedInput, Train) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  for (Damage how : kBoth) {
    expect_refused(dir, frames, "/cameras/image", how, train_command("{in}", "{out}"), "model.h5");
  }
}

TEST(DamagedInput, PredictModelAndFrames) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  const std::string model = dir.file("model.h5");
  const RunResult trained = run(train_command(frames, model));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string weights = first_stored_dataset(model, "/weights/");
  for (Damage how : kBoth) {
    expect_refused(dir, model, weights, how, {OCC_BINARY, "predict", "{in}", frames, "-o", "{out}", "-q"},
                   "pred.h5");
    expect_refused(dir, frames, "/cameras/image", how,
                   {OCC_BINARY, "predict", model, "{in}", "-o", "{out}", "-q"}, "pred.h5");
  }
}

TEST(DamagedInput, EvalPredAndGroundTruth) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  const std::string pred = make_pred(dir, frames);
  const RunResult good = run({OCC_BINARY, "eval", pred, "--gt", frames, "--json"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  for (Damage how : kBoth) {
    expect_refused(dir, pred, "/pred/semantics", how,
                   {OCC_BINARY, "eval", "{in}", "--gt", frames, "-o", "{out}"}, "eval.json");
    expect_refused(dir, frames, "/occupancy/semantics", how,
                   {OCC_BINARY, "eval", pred, "--gt", "{in}", "-o", "{out}"}, "eval.json");
  }
}

TEST(DamagedInput, Render) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  const std::string pred = make_pred(dir, frames);
  for (Damage how : kBoth) {
    expect_refused(dir, pred, "/pred/semantics", how,
                   {OCC_BINARY, "render", "{in}", "--gt", frames, "-o", "{out}"}, "bev.png");
    expect_refused(dir, frames, "/occupancy/semantics", how, {OCC_BINARY, "render", "{in}", "-o", "{out}"},
                   "bev.png");
  }
}

TEST(DamagedInput, Export) {
  TempDir dir;
  const std::string frames = make_world(dir, "frames.h5", 1);
  const std::string pred = make_pred(dir, frames);
  for (Damage how : kBoth) {
    expect_refused(dir, pred, "/pred/semantics", how,
                   {OCC_BINARY, "export", "{in}", "--format", "occ3d-npz", "--gt", frames, "-o", "{out}"},
                   "submission");
  }
}

TEST(DamagedInput, Merge) {
  TempDir dir;
  const std::string first = make_world(dir, "a.h5", 1);
  const std::string second = make_world(dir, "b.h5", 2);
  for (Damage how : kBoth) {
    expect_refused(dir, first, "/cameras/image", how,
                   {OCC_BINARY, "prep", "merge", "{in}", second, "-o", "{out}"}, "merged.h5");
  }
}

}  // namespace
}  // namespace occ::test
