// occ eval end to end: tiny frames and pred files written with the h5
// library, checked for numbers, output formats, and every bad-input error.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "datasets/npy.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "metrics/kitti_sceneflow.h"
#include "support/run.h"

namespace occ::test {
namespace {

const std::vector<std::string> kClasses = {"car", "road", "free"};  // free = 2
constexpr int64_t kX = 4, kY = 4, kZ = 3, kVoxels = kX * kY * kZ;

std::vector<uint8_t> scene_labels(int frame) {
  std::vector<uint8_t> labels(kVoxels, 2);
  for (int64_t i = 0; i < kX * kY; ++i) labels[static_cast<size_t>(i * kZ)] = 1;  // road at z = 0
  labels[static_cast<size_t>(((1 + frame) * kY + 1) * kZ + 1)] = 0;               // a car
  return labels;
}

// A frames file of `n` frames in one scene; returns its uuid.
std::string write_frames(const std::string& path, int n, bool with_mask = true) {
  h5::OutputArtifact out(path, "frames", nlohmann::json::object());
  h5::File& f = out.file();
  h5::write_attribute(f, "/", "dataset", std::string("synth"));
  h5::write_attribute(f, "/", "class_names", kClasses);
  h5::write_attribute(f, "/", "free_class", int64_t{2});
  h5::write_attribute(f, "/", "grid_shape", std::vector<int64_t>{kX, kY, kZ});
  h5::write_attribute(f, "/", "grid_origin_m", std::vector<double>{-0.8, -0.8, -0.4});
  h5::write_attribute(f, "/", "voxel_size_m", std::vector<double>{0.4, 0.4, 0.4});
  h5::write_attribute(f, "/", "camera_names", std::vector<std::string>{"CAM_FRONT"});
  h5::write_strings(f, "/scenes/name", {"scene-0"});
  std::vector<std::string> tokens;
  std::vector<int32_t> scene(n, 0), prev, next;
  std::vector<int64_t> time;
  std::vector<uint8_t> keyframe(n, 1), labels, mask;
  std::vector<double> pose, intrinsics, extrinsics, lidar;
  for (int i = 0; i < n; ++i) {
    tokens.push_back("token" + std::to_string(i));
    prev.push_back(i - 1);
    next.push_back(i + 1 < n ? i + 1 : -1);
    time.push_back(i * 500000);
    for (int k = 0; k < 16; ++k) pose.push_back(k % 5 == 0 ? 1.0 : 0.0);
    for (int k = 0; k < 9; ++k) intrinsics.push_back(k % 4 == 0 ? 1.0 : 0.0);
    for (int k = 0; k < 16; ++k) extrinsics.push_back(k % 5 == 0 ? 1.0 : 0.0);
    for (double c : {0.1, 0.1, 0.1}) lidar.push_back(c);
    const auto frame = scene_labels(i);
    labels.insert(labels.end(), frame.begin(), frame.end());
    mask.insert(mask.end(), kVoxels, 1);
  }
  const int64_t rows = n;
  h5::write_strings(f, "/frames/token", tokens);
  h5::write(f, "/frames/scene", scene, {rows});
  h5::write(f, "/frames/timestamp_us", time, {rows});
  h5::write(f, "/frames/is_keyframe", keyframe, {rows});
  h5::write(f, "/frames/prev", prev, {rows});
  h5::write(f, "/frames/next", next, {rows});
  h5::write(f, "/frames/world_from_ego", pose, {rows, 4, 4});
  h5::write(f, "/cameras/intrinsics", intrinsics, {rows, 1, 3, 3});
  h5::write(f, "/cameras/ego_from_camera", extrinsics, {rows, 1, 4, 4});
  h5::write(f, "/lidar/origin", lidar, {rows, 3});
  h5::write(f, "/occupancy/semantics", labels, {rows, kX, kY, kZ});
  if (with_mask) h5::write(f, "/occupancy/mask_camera", mask, {rows, kX, kY, kZ});
  const std::string uuid = out.uuid();
  out.commit();
  return uuid;
}

void write_pred(const std::string& path, const std::string& frames_uuid,
                const std::vector<std::vector<uint8_t>>& frames,
                const std::vector<int64_t>& grid = {kX, kY, kZ}) {
  h5::OutputArtifact out(path, "pred", nlohmann::json::object());
  h5::File& f = out.file();
  out.set_frames_uuid(frames_uuid);
  h5::write_attribute(f, "/", "class_names", kClasses);
  h5::write_attribute(f, "/", "free_class", int64_t{2});
  h5::write_attribute(f, "/", "grid_shape", grid);
  std::vector<int32_t> rows;
  std::vector<uint8_t> labels;
  for (size_t i = 0; i < frames.size(); ++i) {
    rows.push_back(static_cast<int32_t>(i));
    labels.insert(labels.end(), frames[i].begin(), frames[i].end());
  }
  const int64_t n = static_cast<int64_t>(frames.size());
  h5::write(f, "/pred/frame", rows, {n});
  h5::write(f, "/pred/semantics", labels, {n, grid[0], grid[1], grid[2]});
  out.commit();
}

nlohmann::json eval_json(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {OCC_BINARY, "eval", "--json", "-q"};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult result = run(argv);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

TEST(EvalCli, PerfectPredictionScoresOneHundredInEveryFormat) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5"), pred = dir.file("pred.h5");
  write_pred(pred, write_frames(frames, 2), {scene_labels(0), scene_labels(1)});
  const auto report = eval_json({pred, "--gt", frames, "--metric", "miou,rayiou,ssc", "--origin-range", "1"});
  EXPECT_EQ(report["frames"], 2);
  EXPECT_EQ(report["miou"]["miou"], 100.0);
  EXPECT_EQ(report["miou"]["class_iou"]["car"], 100.0);
  EXPECT_FALSE(report["miou"]["class_iou"].contains("free"));
  EXPECT_EQ(report["rayiou"]["rayiou"], 100.0);
  EXPECT_GT(report["rayiou"]["rays_scored"].get<int64_t>(), 0);
  EXPECT_EQ(report["ssc"]["completion_iou"], 100.0);

  const RunResult text = run({OCC_BINARY, "eval", pred, "--gt", frames, "-q"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("mIoU                        100.00"), std::string::npos) << text.out;
  const RunResult csv =
      run({OCC_BINARY, "eval", pred, "--gt", frames, "--csv", "-q", "-o", dir.file("m.json")});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("section,name,value\nmiou,miou,100.000000\n", 0), 0u) << csv.out;
  EXPECT_EQ(nlohmann::json::parse(read_text(dir.file("m.json")))["miou"]["miou"], 100.0);
}

TEST(EvalCli, WrongClassesLowerTheScore) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5"), pred = dir.file("pred.h5");
  auto wrong = scene_labels(0);
  wrong[static_cast<size_t>((1 * kY + 1) * kZ + 1)] = 1;  // the car predicted as road
  write_pred(pred, write_frames(frames, 1), {wrong});
  const auto report = eval_json({pred, "--gt", frames});
  EXPECT_EQ(report["miou"]["class_iou"]["car"], 0.0);
  EXPECT_DOUBLE_EQ(report["miou"]["class_iou"]["road"].get<double>(), 100.0 * 16 / 17);
}

TEST(EvalCli, GridMismatchNamesBothFiles) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5"), pred = dir.file("pred.h5");
  write_pred(pred, write_frames(frames, 1), {std::vector<uint8_t>(4 * 4 * 2, 2)}, {4, 4, 2});
  const RunResult result = run({OCC_BINARY, "eval", pred, "--gt", frames});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "occ eval: cannot evaluate '" + pred +
                            "': dataset '/pred/semantics' has grid (4, 4, 2), but '" + frames +
                            "' has (4, 4, 3)\n");
}

TEST(EvalCli, PredictionOfAnotherFramesFileIsRefused) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5"), other = dir.file("other.h5"), pred = dir.file("pred.h5");
  write_frames(frames, 1);
  write_pred(pred, write_frames(other, 1), {scene_labels(0)});
  const RunResult result = run({OCC_BINARY, "eval", pred, "--gt", frames});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("was made from another frames file"), std::string::npos) << result.err;
}

TEST(EvalCli, LabelsOutOfRangeAreAnError) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5"), pred = dir.file("pred.h5");
  auto bad = scene_labels(0);
  bad[5] = 40;
  write_pred(pred, write_frames(frames, 1), {bad});
  const RunResult result = run({OCC_BINARY, "eval", pred, "--gt", frames});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "occ eval: cannot evaluate '" + pred +
                            "': dataset '/pred/semantics' row 0 has label 40 at voxel 5, but '" + frames +
                            "' defines 3 classes\n");
}

TEST(EvalCli, PredDirCountsMissingTokens) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5");
  write_frames(frames, 3);
  std::filesystem::create_directory(dir.file("sub"));
  npy::write_npz(dir.file("sub/token0.npz"), {{"arr_0", npy::make_uint8({kX, kY, kZ}, scene_labels(0))}},
                 true);
  npy::write_npz(dir.file("sub/token2.npz"), {{"semantics", npy::make_uint8({kX, kY, kZ}, scene_labels(2))}},
                 false);
  const RunResult refused = run({OCC_BINARY, "eval", "--pred-dir", dir.file("sub"), "--gt", frames});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "occ eval: cannot evaluate '" + dir.file("sub") + "': 1 of 3 keyframes of '" +
                             frames + "' have no prediction (first: '" + dir.file("sub/token1.npz") +
                             "'); --allow-missing evaluates the others\n");
  const auto report = eval_json({"--pred-dir", dir.file("sub"), "--gt", frames, "--allow-missing"});
  EXPECT_EQ(report["frames"], 2);
  EXPECT_EQ(report["missing"], 1);
  EXPECT_EQ(report["miou"]["miou"], 100.0);
  npy::write_npz(dir.file("sub/token1.npz"),
                 {{"arr_0", npy::make_uint8({kX, kY}, std::vector<uint8_t>(16, 2))}}, true);
  const RunResult shape = run({OCC_BINARY, "eval", "--pred-dir", dir.file("sub"), "--gt", frames});
  EXPECT_EQ(shape.exit_code, 1);
  EXPECT_NE(shape.err.find("labels have shape (4, 4), but '" + frames + "' has grid (4, 4, 3)"),
            std::string::npos)
      << shape.err;
}

TEST(EvalCli, UsageErrorsExitTwo) {
  TempDir dir;
  const std::string frames = dir.file("frames.h5"), pred = dir.file("pred.h5");
  write_pred(pred, write_frames(frames, 1, /*with_mask=*/false), {scene_labels(0)});
  const RunResult unknown = run({OCC_BINARY, "eval", pred, "--gt", frames, "--metric", "miou,psnr"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err,
            "occ eval: unknown metric 'psnr' (choose from miou, ssc, rayiou, mave, depth, sceneflow)\n");
  const RunResult both = run({OCC_BINARY, "eval", pred, "--pred-dir", dir.path().string(), "--gt", frames});
  EXPECT_EQ(both.exit_code, 2);
  const RunResult no_mask = run({OCC_BINARY, "eval", pred, "--gt", frames});
  EXPECT_EQ(no_mask.exit_code, 1);
  EXPECT_NE(no_mask.err.find("has no dataset '/occupancy/mask_camera' (--all-voxels evaluates every voxel)"),
            std::string::npos)
      << no_mask.err;
  EXPECT_EQ(eval_json({pred, "--gt", frames, "--all-voxels"})["miou"]["miou"], 100.0);
  const RunResult no_flow = run({OCC_BINARY, "eval", pred, "--gt", frames, "--metric", "mave"});
  EXPECT_EQ(no_flow.exit_code, 1);
  EXPECT_NE(no_flow.err.find("cannot compute mave"), std::string::npos) << no_flow.err;
}

}  // namespace
}  // namespace occ::test

namespace occ::test {
namespace {

// A KITTI-layout pair of folders: GT (disp_occ_0, disp_occ_1, flow_occ, obj_map) and results.
void write_kitti_frame(const TempDir& dir, const std::string& name, float d_error, bool with_result) {
  namespace fs = std::filesystem;
  for (const char* sub :
       {"gt/disp_occ_0", "gt/disp_occ_1", "gt/flow_occ", "res/disp_0", "res/disp_1", "res/flow"}) {
    fs::create_directories(dir.file(sub));
  }
  const metrics::DisparityMap d = {4, 2, {40, 40, 40, 40, 20, 20, 20, 20}};
  const metrics::FlowMap f = {4, 2, std::vector<float>(8, 10.0f), std::vector<float>(8, 0.0f),
                              std::vector<uint8_t>(8, 1)};
  metrics::write_kitti_disparity(dir.file("gt/disp_occ_0/" + name), d);
  metrics::write_kitti_disparity(dir.file("gt/disp_occ_1/" + name), d);
  metrics::write_kitti_flow(dir.file("gt/flow_occ/" + name), f);
  if (!with_result) return;
  metrics::DisparityMap estimate = d;
  estimate.values[0] += d_error;  // one pixel off by d_error
  metrics::write_kitti_disparity(dir.file("res/disp_0/" + name), estimate);
  metrics::write_kitti_disparity(dir.file("res/disp_1/" + name), d);
  metrics::write_kitti_flow(dir.file("res/flow/" + name), f);
}

TEST(EvalCli, KittiSceneFlowFolders) {
  TempDir dir;
  write_kitti_frame(dir, "000000_10.png", 10.0f,
                    true);  // 10 px of 40: an outlier at every rule but 8 px/10 %
  write_kitti_frame(dir, "000001_10.png", 0.0f, true);
  const auto report =
      eval_json({"--metric", "sceneflow", "--gt", dir.file("gt"), "--pred-dir", dir.file("res")});
  EXPECT_EQ(report["frames"], 2);
  EXPECT_DOUBLE_EQ(report["sceneflow"]["3px_5pct"]["D1"]["all"].get<double>(), 100.0 / 16);
  EXPECT_DOUBLE_EQ(report["sceneflow"]["3px_5pct"]["SF"]["all"].get<double>(), 100.0 / 16);
  EXPECT_EQ(report["sceneflow"]["3px_5pct"]["Fl"]["all"], 0.0);
  EXPECT_TRUE(report["sceneflow"]["3px_5pct"]["D1"]["fg"].is_null());  // no obj_map: all background
  EXPECT_DOUBLE_EQ(report["sceneflow"]["8px_10pct"]["D1"]["all"].get<double>(), 100.0 / 16);
  EXPECT_DOUBLE_EQ(report["sceneflow"]["DE"].get<double>(), 10.0 / 16);
  write_kitti_frame(dir, "000002_10.png", 0.0f, false);
  const RunResult missing = run(
      {OCC_BINARY, "eval", "--metric", "sceneflow", "--gt", dir.file("gt"), "--pred-dir", dir.file("res")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("1 of 3 frames have no result"), std::string::npos) << missing.err;
  const RunResult mixed = run({OCC_BINARY, "eval", "--metric", "sceneflow,miou", "--gt", dir.file("gt"),
                               "--pred-dir", dir.file("res")});
  EXPECT_EQ(mixed.exit_code, 2);
}

}  // namespace
}  // namespace occ::test
