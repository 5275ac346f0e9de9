// occ export --format kitti-sceneflow as a user runs it: the folders occ eval
// --metric sceneflow reads (a prediction equal to the ground truth scores
// zero errors, a known shift the hand-computed EPE), and bad input (no
// stereo baseline, no rendered flow, no next frame) as a clear error
// without an output folder.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "metrics/kitti_sceneflow.h"
#include "support/export_files.h"
#include "support/run.h"

namespace occ::test {
namespace {

namespace fs = std::filesystem;

constexpr int kHeight = 8, kWidth = 16;  // the frames' images; the maps are half that

// Three frames of one sequence (t, t + 1, t + 2; the last has no next), a
// camera with fx 100 and a 0.54 m baseline, everything at rest; the pred
// renders depth 10 m and moves every point 0.5 m along ego x, which is the
// camera's x here (identity extrinsics): 100 * 0.5 / 10 = 5 px of flow.
struct SceneFlowInputs {
  TempDir dir;
  std::string frames = dir.file("frames.h5"), pred = dir.file("pred.h5"), out = dir.file("kitti");
  ExportFrames frames_spec;
  ExportPred pred_spec;

  SceneFlowInputs() {
    frames_spec.tokens = {"0001/000000", "0001/000001", "0001/000002"};
    frames_spec.next = {1, 2, -1};
    frames_spec.stereo_baseline_m = {0.54, 0.54, 0.54};
    frames_spec.image_height = kHeight;
    frames_spec.image_width = kWidth;
    pred_spec.frames = {0, 1, 2};
    pred_spec.semantics.assign(3 * 200 * 200 * 16, 17);
    pred_spec.map_height = kHeight / 2;
    pred_spec.map_width = kWidth / 2;
    const size_t pixels = 3 * (kHeight / 2) * (kWidth / 2);
    pred_spec.depth.assign(pixels, 10.0f);
    for (size_t i = 0; i < pixels; ++i)
      pred_spec.rendered_flow.insert(pred_spec.rendered_flow.end(), {0.5f, 0.0f});
  }
  void write() const { write_export_pred(pred, write_export_frames(frames, frames_spec), pred_spec); }
  RunResult run_export() const {
    return run({OCC_BINARY, "export", pred, "--gt", frames, "-f", "kitti-sceneflow", "-o", out, "-q"});
  }
};

// The exported result as a ground-truth folder, its flow shifted by (du, dv).
void write_ground_truth(const std::string& result, const std::string& gt, float du, float dv) {
  for (const char* sub : {"disp_occ_0", "disp_occ_1", "flow_occ"}) fs::create_directories(gt + "/" + sub);
  for (const auto& entry : fs::directory_iterator(result + "/flow")) {
    const std::string name = entry.path().filename().string();
    fs::copy_file(result + "/disp_0/" + name, gt + "/disp_occ_0/" + name);
    fs::copy_file(result + "/disp_1/" + name, gt + "/disp_occ_1/" + name);
    metrics::FlowMap flow = metrics::read_kitti_flow(entry.path().string());
    for (auto& u : flow.u) u += du;
    for (auto& v : flow.v) v += dv;
    metrics::write_kitti_flow(gt + "/flow_occ/" + name, flow);
  }
}

nlohmann::json sceneflow_scores(const std::string& gt, const std::string& result) {
  const RunResult scored =
      run({OCC_BINARY, "eval", "--metric", "sceneflow", "--gt", gt, "--pred-dir", result, "--json"});
  EXPECT_EQ(scored.exit_code, 0) << scored.err;
  return nlohmann::json::parse(scored.out);
}

TEST(KittiSceneFlowExport, FoldersScoreZeroAgainstThemselvesAndAKnownShiftItsEndPointError) {
  SceneFlowInputs in;
  in.write();
  const RunResult result = in.run_export();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "exported 2 frames to '" + in.out + "' (kitti-sceneflow)\n");
  for (const char* folder : {"disp_0", "disp_1", "flow"}) {
    EXPECT_TRUE(fs::exists(in.out + "/" + folder + "/0001_000000_10.png")) << folder;
    EXPECT_TRUE(fs::exists(in.out + "/" + folder + "/0001_000001_10.png")) << folder;
    EXPECT_FALSE(fs::exists(in.out + "/" + folder + "/0001_000002_10.png")) << "no next frame";
  }
  // d = fx B / z = 100 * 0.54 / 10 at t and t + 1 (KITTI's 1/256 steps); 5 px along u.
  const metrics::DisparityMap d0 = metrics::read_kitti_disparity(in.out + "/disp_0/0001_000001_10.png");
  EXPECT_EQ(d0.width, kWidth);
  EXPECT_EQ(d0.height, kHeight);
  EXPECT_NEAR(d0.values[37], 5.4, 1.0 / 256);
  EXPECT_NEAR(metrics::read_kitti_disparity(in.out + "/disp_1/0001_000001_10.png").values[5], 5.4, 1.0 / 256);
  const metrics::FlowMap flow = metrics::read_kitti_flow(in.out + "/flow/0001_000001_10.png");
  EXPECT_EQ(flow.valid[20], 1);
  EXPECT_FLOAT_EQ(flow.u[20], 5.0f);
  EXPECT_FLOAT_EQ(flow.v[20], 0.0f);

  write_ground_truth(in.out, in.dir.file("gt"), 0, 0);
  nlohmann::json scores = sceneflow_scores(in.dir.file("gt"), in.out);
  EXPECT_EQ(scores["frames"], 2);
  EXPECT_EQ(scores["sceneflow"]["DE"], 0.0);
  EXPECT_EQ(scores["sceneflow"]["EPE"], 0.0);
  EXPECT_EQ(scores["sceneflow"]["3px_5pct"]["SF"]["all"], 0.0);
  // The ground truth 3 px right and 4 px down of the export: EPE 5 px, an
  // outlier at 3 px / 5 % (5 > 3 and 5 / |(8, 4)| > 5 %), not at 8 px / 10 %.
  write_ground_truth(in.out, in.dir.file("shifted"), 3, 4);
  scores = sceneflow_scores(in.dir.file("shifted"), in.out);
  EXPECT_NEAR(scores["sceneflow"]["EPE"].get<double>(), 5.0, 1e-9);
  EXPECT_EQ(scores["sceneflow"]["DE"], 0.0);
  EXPECT_EQ(scores["sceneflow"]["3px_5pct"]["Fl"]["all"], 100.0);
  EXPECT_EQ(scores["sceneflow"]["8px_10pct"]["Fl"]["all"], 0.0);
}

TEST(KittiSceneFlowExport, MissingBaselineRenderedFlowOrNextFrameNamesTheFileAndLeavesNothing) {
  {
    SceneFlowInputs in;  // a frames file written before the baseline existed
    in.frames_spec.stereo_baseline_m.clear();
    in.write();
    const RunResult result = in.run_export();
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("'" + in.frames + "' has no dataset '/cameras/stereo_baseline_m'"),
              std::string::npos)
        << result.err;
    EXPECT_FALSE(fs::exists(in.out));
    // It stays a valid frames file.
    EXPECT_EQ(run({OCC_BINARY, "inspect", "--validate", in.frames}).exit_code, 0);
  }
  {
    SceneFlowInputs in;  // occ predict --depth without --rendered-flow
    in.pred_spec.rendered_flow.clear();
    in.write();
    const RunResult result = in.run_export();
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("'" + in.pred +
                              "' has no dataset '/pred/rendered_flow' (occ predict --depth "
                              "--rendered-flow)"),
              std::string::npos)
        << result.err;
    EXPECT_FALSE(fs::exists(in.out));
  }
  {
    SceneFlowInputs in;  // no frame has a successor
    in.frames_spec.next = {-1, -1, -1};
    in.write();
    const RunResult result = in.run_export();
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("has a next frame"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(in.out));
  }
  {
    SceneFlowInputs in;
    in.write();
    const RunResult result =
        run({OCC_BINARY, "export", in.pred, "-f", "kitti-sceneflow", "-o", in.out});  // no --gt
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("give --gt FRAMES.h5"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(in.out));
  }
}

}  // namespace
}  // namespace occ::test
