// Let Occ Flow on the KITTI rig as a user runs it (issue 17): occ prep
// kitti-mot on the tracking fixture stores the stereo baseline, the base
// preset on its grid is the paper's KITTI geometry (and
// configs/letoccflow_kitti.toml spells it out), a tiny stage-1 -> stage-2
// run trains on it with that file, predicts rendered depth and flow with the
// z cut, and exports KITTI scene-flow folders that occ eval reads.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "h5/artifact.h"
#include "h5/dataset.h"
#include "metrics/kitti_sceneflow.h"
#include "support/kitti_fixture_root.h"
#include "support/run.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

namespace fs = std::filesystem;

const std::string kConfig = std::string(OCC_SOURCE_DIR) + "/configs/letoccflow_kitti.toml";

std::string prep_fixture(const TempDir& dir) {
  const std::string frames = dir.file("kitti.h5");
  const RunResult prep = run({OCC_BINARY, "prep", "kitti-mot", "--dataroot", kitti_fixture_root(dir), "-o",
                              frames, "--embed-images", "--image-size", "24x80", "-q"});
  EXPECT_EQ(prep.exit_code, 0) << prep.err;
  return frames;
}

TEST(KittiRig, PrepStoresTheStereoBaselineOfP2AndP3) {
  TempDir dir;
  const std::string frames = prep_fixture(dir);
  const auto baseline = h5::read<double>(h5::open_artifact(frames, "frames"), "/cameras/stereo_baseline_m");
  EXPECT_EQ(baseline.shape, (h5::Shape{3, 1}));
  // calib/0001.txt: (P2[0,3] - P3[0,3]) / fx = (44.85728 + 339.5242) / 721.5377.
  for (const double b : baseline.values) EXPECT_NEAR(b, (44.85728 + 339.5242) / 721.5377, 1e-12);
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", frames}).exit_code, 0);
}

TEST(KittiRig, TheBasePresetOnTheKittiGridIsThePapersKittiGeometry) {
  TempDir dir;
  const std::string frames = prep_fixture(dir);
  for (const bool with_file : {false, true}) {
    std::vector<std::string> command = {
        OCC_BINARY, "train",          "--model", "letoccflow",         "--size", "base", "--frames",
        frames,     "--print-config", "-o",      dir.file("unused.h5")};
    if (with_file) command.insert(command.end(), {"--config", kConfig});
    const RunResult printed = run(command);
    ASSERT_EQ(printed.exit_code, 0) << printed.err;
    const nlohmann::json config = nlohmann::json::parse(printed.out);
    const nlohmann::json& model = config.at("model");
    EXPECT_EQ(model.at("tpv_shape"), (std::vector<int>{128, 128, 16})) << with_file;  // 0.4 m cells
    EXPECT_EQ(model.at("vertex_scale"), 2);                                           // 257x257x33 vertices
    EXPECT_EQ(model.at("render").at("ray_rows"), 44);
    EXPECT_EQ(model.at("render").at("ray_cols"), 152);
    EXPECT_EQ(model.at("source_max_distance_m"), 6.0);
    EXPECT_EQ(model.at("free_border_voxels"), 6);
    EXPECT_EQ(model.at("free_above_z_index"), 28);
    EXPECT_EQ(model.at("keyframe_interval_s"), 0.1);
    EXPECT_EQ(config.at("data").at("image").at("height"), with_file ? 352 : 0);
  }
}

TEST(KittiRig, PreppedFixtureTrainsPredictsRenderedFlowAndExportsSceneFlow) {
  TempDir dir;
  const std::string frames = prep_fixture(dir), flow = dir.file("kitti.flow.h5");
  RunResult result = run({OCC_BINARY, "flow-labels", frames, "-o", flow, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // The KITTI file with tiny shapes: one stage-1 step, one stage-2 step.
  const auto train_command = [&](const std::string& output, const std::vector<std::string>& more) {
    std::vector<std::string> command = {OCC_BINARY, "train",    "--model", "letoccflow", "--size",
                                        "demo",     "--frames", frames,    "--config",   kConfig,
                                        "-o",       output,     "-q",      "-j",         "1"};
    const std::vector<std::string> tiny = set_arguments(tiny_letoccflow_settings());
    command.insert(command.end(), tiny.begin(), tiny.end());
    command.insert(command.end(), {"--set", "data.image.height=24", "--set", "data.image.width=80", "--set",
                                   "train.steps=2", "--set", "train.schedule.warmup_steps=0"});
    command.insert(command.end(), more.begin(), more.end());
    return command;
  };
  const std::string model = dir.file("kitti.model.h5");
  // model.occupied_sdf = 100 (a prediction key): every voxel the cuts keep is occupied.
  const std::vector<std::string> train =
      train_command(model, {"--flow", flow, "--stage2-from", "1", "--set", "model.occupied_sdf=100"});
  result = run(train);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string pred = dir.file("kitti.pred.h5");
  result = run({OCC_BINARY, "predict", model, frames, "-o", pred, "--depth", "--rendered-flow", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", pred}).exit_code, 0);
  const h5::File file = h5::open_artifact(pred, "pred");
  EXPECT_EQ(h5::dataset_info(file, "/pred/rendered_flow").shape, (h5::Shape{3, 1, 24, 80, 2}));
  // z index >= 28 and the 6-voxel border along x and y are free (class 0
  // of SemanticKITTI), every other voxel occupied (class 1: 0 is free here).
  const auto semantics = h5::read_rows<uint8_t>(file, "/pred/semantics", 0, 1).values;
  int64_t wrong = 0, occupied = 0;
  for (int64_t x = 0; x < 256; ++x)
    for (int64_t y = 0; y < 256; ++y)
      for (int64_t z = 0; z < 32; ++z) {
        const uint8_t label = semantics[static_cast<size_t>((x * 256 + y) * 32 + z)];
        const bool cut = z >= 28 || y < 6 || y >= 250 || x < 6 || x >= 250;
        wrong += label != (cut ? 0 : 1);
        occupied += label == 1;
      }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(occupied, 244 * 244 * 28);
  // occ render --view flow: the rendered flow per pixel is one panel more
  // than the same pred file without /pred/rendered_flow shows.
  const std::string without = dir.file("no-rendered-flow.pred.h5");
  fs::copy_file(pred, without);
  const hid_t copy = H5Fopen(without.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(copy, 0);
  ASSERT_GE(H5Ldelete(copy, "/pred/rendered_flow", H5P_DEFAULT), 0);
  H5Fclose(copy);
  const auto sheet_pixels = [&](const std::string& input) {
    const std::string png = dir.file("flow.png");
    const RunResult rendered =
        run({OCC_BINARY, "render", input, "--gt", frames, "--view", "flow", "--flow", flow, "-o", png, "-q"});
    EXPECT_EQ(rendered.exit_code, 0) << rendered.err;
    const cv::Mat image = cv::imread(png);
    return static_cast<int64_t>(image.rows) * image.cols;
  };
  EXPECT_GT(sheet_pixels(pred), sheet_pixels(without));
  // The scene-flow folders at the images' size (1242x375 embedded as 80x24:
  // the frames file's size), read by occ eval against themselves.
  const std::string out = dir.file("kitti-sceneflow");
  result = run({OCC_BINARY, "export", pred, "--gt", frames, "-f", "kitti-sceneflow", "-o", out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "exported 2 frames to '" + out + "' (kitti-sceneflow)\n");
  EXPECT_NE(result.err.find("left out 1 frame(s) with no next frame"), std::string::npos) << result.err;
  const metrics::DisparityMap d0 = metrics::read_kitti_disparity(out + "/disp_0/0001_000010_10.png");
  EXPECT_EQ(d0.width, 80);
  EXPECT_EQ(d0.height, 24);
  for (const char* sub : {"disp_occ_0", "disp_occ_1", "flow_occ"})
    fs::create_directories(dir.file("gt/") + sub);
  for (const auto& [from, to] :
       {std::pair{"disp_0", "disp_occ_0"}, std::pair{"disp_1", "disp_occ_1"}, std::pair{"flow", "flow_occ"}})
    for (const char* name : {"0001_000010_10.png", "0001_000015_10.png"})
      fs::copy_file(out + "/" + from + "/" + name, dir.file("gt/") + to + "/" + name);
  result =
      run({OCC_BINARY, "eval", "--metric", "sceneflow", "--gt", dir.file("gt"), "--pred-dir", out, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json scores = nlohmann::json::parse(result.out);
  EXPECT_EQ(scores.at("frames"), 2);
  EXPECT_EQ(scores.at("sceneflow").at("EPE"), 0.0);
  EXPECT_EQ(scores.at("sceneflow").at("DE"), 0.0);
  // A stage-1 model has no flow to render: a usage error before any work.
  const std::string stage1 = dir.file("stage1.model.h5");
  const std::vector<std::string> first = train_command(stage1, {});
  ASSERT_EQ(run(first).exit_code, 0);
  result = run({OCC_BINARY, "predict", stage1, frames, "-o", dir.file("none.h5"), "--rendered-flow"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--rendered-flow: the 'letoccflow' model of '" + stage1 +
                            "' has no rendered-flow (a stage-1 model has no flow field to render)"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(dir.file("none.h5")));
}

}  // namespace
}  // namespace occ::test
