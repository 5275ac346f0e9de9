// occ inspect on good, broken and foreign files: exit codes, messages naming
// the file and dataset, and the report's content.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/damage.h"
#include "support/run.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

// A valid masks file made from frames `frames_uuid`; `mutate` may break it
// afterwards through a raw (non-validating) handle.
void write_masks(const std::string& path, const std::string& frames_uuid,
                 const std::function<void(h5::File&)>& mutate = nullptr) {
  {
    h5::OutputArtifact out(path, "masks", {{"method", "seeds"}, {"count", 4}});
    out.set_frames_uuid(frames_uuid);
    h5::write_attribute(out.file(), "/", "method", std::string("seeds"));
    h5::write_attribute(out.file(), "/", "parameters", std::string("{}"));
    h5::write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{4, 6});
    h5::write(out.file(), "/masks/labels", std::vector<uint16_t>(2 * 3 * 24, 1), {2, 3, 4, 6});
    h5::write(out.file(), "/masks/count", std::vector<int32_t>(6, 4), {2, 3});
    out.commit();
  }
  if (!mutate) return;
  // Rebuild the file through the raw layer with the change applied.
  const std::string broken = path + ".broken";
  {
    const h5::File source = h5::File::open(path);
    h5::File file = h5::File::create(broken, broken);
    for (const auto& [name, value] : h5::list_attributes(source, "/"))
      h5::write_attribute(file, "/", name, value);
    mutate(file);
    file.close();
  }
  std::filesystem::rename(broken, path);
}

RunResult inspect(const std::vector<std::string>& args) {
  std::vector<std::string> argv{OCC_BINARY, "inspect"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

TEST(Inspect, DescribesAFileWrittenByTheLibrary) {
  TempDir dir;
  const std::string path = dir.file("m.h5");
  write_masks(path, "f-1");
  const RunResult text = inspect({path, "--validate"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("kind     occ.masks v1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(
                "/masks/labels  uint16   (2, 3, 4, 6)  chunks (2, 3, 4, 6)  shuffle+deflate(4)+fletcher32"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("frames_uuid      f-1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("validation\n  ok"), std::string::npos) << text.out;

  const RunResult json = inspect({path, "--json", "--validate"});
  EXPECT_EQ(json.exit_code, 0);
  const auto report = nlohmann::json::parse(json.out);
  EXPECT_EQ(report["schema"], "occ.masks");
  EXPECT_EQ(report["valid"], true);
  EXPECT_EQ(report["attributes"]["options"], R"({"count":4,"method":"seeds"})");
  ASSERT_EQ(report["datasets"].size(), 2u);
  EXPECT_EQ(report["datasets"][0]["path"], "/masks/count");
  EXPECT_EQ(report["datasets"][1]["shape"], nlohmann::json::array({2, 3, 4, 6}));
  EXPECT_EQ(report["datasets"][1]["filters"], nlohmann::json::array({"shuffle", "deflate(4)", "fletcher32"}));
}

TEST(Inspect, DescribesForeignHdf5FilesAndRefusesToValidateThem) {
  TempDir dir;
  const std::string path = dir.file("plain.h5");
  ASSERT_EQ(run({OCC_TEST_WRITER, "dtypes", path, "zstd:5"}).exit_code, 0);
  const RunResult result = inspect({path});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("(not an occ artifact)"), std::string::npos);
  EXPECT_NE(result.out.find("/data/float16  float16  (3, 4, 5)"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("shuffle+zstd(5)"), std::string::npos) << result.out;
  const RunResult validated = inspect({path, "--validate"});
  EXPECT_EQ(validated.exit_code, 1);
  EXPECT_EQ(validated.err, "occ inspect: '" + path +
                               "' is not valid: root attribute 'schema' is missing: not an occ artifact\n");
}

struct Broken {
  const char* name;
  std::function<void(h5::File&)> mutate;
  const char* message;  // expected in stderr after "occ inspect: '<path>' is not valid: "
};

TEST(Inspect, ValidationFailuresNameFileAndDataset) {
  const auto good_count = [](h5::File& file) {
    h5::write(file, "/masks/count", std::vector<int32_t>(6, 4), {2, 3});
  };
  const std::vector<Broken> cases = {
      {"missing dataset", good_count, "dataset '/masks/labels' is missing"},
      {"wrong dtype",
       [&](h5::File& file) {
         good_count(file);
         h5::write(file, "/masks/labels", std::vector<int32_t>(144), {2, 3, 4, 6});
       },
       "dataset '/masks/labels' has dtype int32, expected uint16"},
      {"wrong rank",
       [&](h5::File& file) {
         good_count(file);
         h5::write(file, "/masks/labels", std::vector<uint16_t>(144), {6, 4, 6});
       },
       "dataset '/masks/labels' has rank 3 (6, 4, 6), expected rank 4 (N, C, H, W)"},
      {"inconsistent N",
       [&](h5::File& file) {
         h5::write(file, "/masks/labels", std::vector<uint16_t>(144), {2, 3, 4, 6});
         h5::write(file, "/masks/count", std::vector<int32_t>(9, 4), {3, 3});
       },
       "dataset '/masks/count' has N = 3 (axis 0), but dataset '/masks/labels' has N = 2"},
      {"wrong schema version",
       [&](h5::File& file) {
         good_count(file);
         h5::write(file, "/masks/labels", std::vector<uint16_t>(144), {2, 3, 4, 6});
         h5::write_attribute(file, "/", "schema_version", int64_t{7});
       },
       "root attribute 'schema_version' is 7, this occ reads occ.masks version 1"},
  };
  for (const auto& broken : cases) {
    TempDir dir;
    const std::string path = dir.file("m.h5");
    write_masks(path, "f-1", broken.mutate);
    const RunResult result = inspect({path, "--validate"});
    EXPECT_EQ(result.exit_code, 1) << broken.name;
    EXPECT_EQ(result.err, "occ inspect: '" + path + "' is not valid: " + broken.message + "\n")
        << broken.name;
    EXPECT_NE(result.out.find(std::string("error: ") + broken.message), std::string::npos) << broken.name;
  }
}

TEST(Inspect, MismatchedFramesUuid) {
  TempDir dir;
  const std::string masks = dir.file("m.h5");
  write_masks(masks, "not-this-one");
  // Any valid frames file will do; it has a fresh uuid.
  const std::string frames = dir.file("frames.h5");
  {
    h5::OutputArtifact out(frames, "frames", nlohmann::json::object());
    h5::File& file = out.file();
    h5::write_attribute(file, "/", "dataset", std::string("synth"));
    h5::write_attribute(file, "/", "class_names", std::vector<std::string>{"car", "free"});
    h5::write_attribute(file, "/", "free_class", int64_t{1});
    h5::write_attribute(file, "/", "grid_shape", std::vector<int64_t>{2, 2, 1});
    h5::write_attribute(file, "/", "grid_origin_m", std::vector<double>{0, 0, 0});
    h5::write_attribute(file, "/", "voxel_size_m", std::vector<double>{1, 1, 1});
    h5::write_attribute(file, "/", "camera_names", std::vector<std::string>{"CAM_FRONT"});
    h5::write_strings(file, "/scenes/name", {"scene-1"});
    h5::write_strings(file, "/frames/token", {"t0"});
    h5::write(file, "/frames/scene", std::vector<int32_t>{0}, {1});
    h5::write(file, "/frames/timestamp_us", std::vector<int64_t>{0}, {1});
    h5::write(file, "/frames/is_keyframe", std::vector<uint8_t>{1}, {1});
    h5::write(file, "/frames/prev", std::vector<int32_t>{-1}, {1});
    h5::write(file, "/frames/next", std::vector<int32_t>{-1}, {1});
    // Poses must be rigid (the schema's value checks): identity.
    const std::vector<double> identity{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    h5::write(file, "/frames/world_from_ego", identity, {1, 4, 4});
    h5::write(file, "/cameras/intrinsics", std::vector<double>(9), {1, 1, 3, 3});
    h5::write(file, "/cameras/ego_from_camera", identity, {1, 1, 4, 4});
    out.commit();
  }
  const std::string frames_uuid = h5::read_string_attribute(h5::File::open(frames), "/", "uuid");
  const RunResult result = inspect({masks, "--frames", frames});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "occ inspect: '" + masks + "' is not valid: '" + masks +
                            "' was made from another frames file (frames_uuid not-this-one), not from '" +
                            frames + "' (uuid " + frames_uuid + ")\n");
  write_masks(masks, frames_uuid);
  EXPECT_EQ(inspect({masks, "--frames", frames}).exit_code, 0);
}

TEST(Inspect, BadInputFiles) {
  TempDir dir;
  const std::string missing = dir.file("missing.h5");
  RunResult result = inspect({missing});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "occ inspect: cannot open '" + missing + "': No such file or directory\n");

  const std::string text = dir.file("notes.h5");
  std::ofstream(text) << "this is not HDF5\n";
  result = inspect({text});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "occ inspect: cannot open '" + text + "': not an HDF5 file\n");

  const std::string truncated = dir.file("truncated.h5");
  write_masks(truncated, "f-1");
  std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) / 2);
  result = inspect({truncated, "--validate"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(
      result.err.rfind("occ inspect: cannot open '" + truncated + "': truncated or corrupt HDF5 file", 0), 0u)
      << result.err;

  result = inspect({dir.path().string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "occ inspect: cannot open '" + dir.path().string() + "': is a directory\n");

  result = inspect({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("file is required"), std::string::npos) << result.err;
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"notes.h5", "truncated.h5"}))
      << "inspect writes nothing";
}

// A model trained for two steps, then its optimiser state damaged the ways
// issue 21 measured predict accepting: a moment dropped, a moment shortened.
TEST(Inspect, ModelOptimiserStateAgainstItsParameters) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "synth", "--scenes", "1", "--frames-per-scene", "3", "--image-size",
                 "32x56", "--grid", "20,20,4,4.0,-40,-40,-1", "-q", "-o", frames})
                .exit_code,
            0);
  const std::string model = dir.file("model.h5");
  const RunResult trained = run(
      with_settings({OCC_BINARY, "train", "--frames", frames, "-o", model, "--size", "demo", "-q", "-j", "1"},
                    tiny_baseline_settings(), {"--set", "train.steps=2"}));
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const RunResult good = run({OCC_BINARY, "inspect", "--validate", model});
  EXPECT_EQ(good.exit_code, 0) << good.err;

  const std::string copy = dir.file("shortened.h5");
  std::filesystem::copy_file(model, copy);
  const std::string moment = "/optimizer/exp_avg_sq/backbone.conv1.weight";
  {
    const hid_t file = H5Fopen(model.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    EXPECT_GE(H5Ldelete(file, moment.c_str(), H5P_DEFAULT), 0);
    H5Fclose(file);
  }
  const RunResult dropped = run({OCC_BINARY, "inspect", "--validate", model});
  EXPECT_EQ(dropped.exit_code, 1);
  EXPECT_NE(dropped.err.find(model), std::string::npos) << dropped.err;
  EXPECT_NE(dropped.err.find(
                "dataset '" + moment +
                "' is missing: parameter 'backbone.conv1.weight' has only one of its two AdamW moments"),
            std::string::npos)
      << dropped.err;

  drop_last_row(copy, "/optimizer/exp_avg/backbone.bn1.bias");
  const RunResult shortened = run({OCC_BINARY, "inspect", "--validate", copy});
  EXPECT_EQ(shortened.exit_code, 1);
  EXPECT_NE(shortened.err.find("dataset '/optimizer/exp_avg/backbone.bn1.bias' has shape (63), but parameter "
                               "'/weights/backbone/bn1/bias' has shape (64)"),
            std::string::npos)
      << shortened.err;
}

}  // namespace
}  // namespace occ::test
