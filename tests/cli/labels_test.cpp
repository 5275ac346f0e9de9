// occ cluster-masks and occ flow-labels as a user runs them: outputs,
// provenance, --config, and bad input (exit codes, messages, no partial files).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/frames_builder.h"
#include "support/run.h"

namespace occ::test {
namespace {

// Two frames of two cameras: textured, with semantics and depth.
std::string write_frames(const TempDir& dir) {
  TestFrames data;
  data.frames = 2;
  data.cameras = 2;
  data.intrinsics = {{80, 0, 48, 0, 80, 32, 0, 0, 1}, {80, 0, 48, 0, 80, 32, 0, 0, 1}};
  for (int i = 0; i < 4; ++i) {
    data.images.push_back(texture(cv::Size(96, 64), 100 + i % 2, 2.5));
    data.depth.push_back(cv::Mat(64, 96, CV_32F, cv::Scalar(12.0f)));
    data.semantics.push_back(cv::Mat(64, 96, CV_8U, cv::Scalar(15)));
  }
  const std::string path = dir.file("frames.h5");
  write_test_frames(path, data);
  return path;
}

TEST(LabelsCli, ClusterMasksWritesAValidatedFileWithProvenance) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  const std::string masks = dir.file("masks.h5");
  const RunResult result =
      run({OCC_BINARY, "cluster-masks", frames, "-o", masks, "--count", "30", "-q", "-j", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("masks      4 maps"), std::string::npos) << result.out;
  EXPECT_EQ(result.err, "") << "-q: no progress";
  const h5::File file = h5::open_artifact(masks, "masks");
  h5::require_made_from(file, h5::File::open(frames));
  EXPECT_EQ(h5::read_string_attribute(file, "/", "method"), "seeds");
  EXPECT_NE(h5::read_string_attribute(file, "/", "created_by").find("cluster-masks"), std::string::npos);
  EXPECT_NE(h5::read_string_attribute(file, "/", "options").find("\"count\":30"), std::string::npos);
  EXPECT_EQ(run({OCC_BINARY, "inspect", masks, "--frames", frames}).exit_code, 0);
}

TEST(LabelsCli, FlowLabelsReadsOptionsFromAConfigFile) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  std::ofstream(dir.file("flow.toml")) << "method = \"farneback\"\npairs = [\"next\"]\n";
  const std::string flow = dir.file("flow.h5");
  const RunResult result =
      run({OCC_BINARY, "flow-labels", frames, "-o", flow, "--config", dir.file("flow.toml")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("flow       farneback, 4 flow fields"), std::string::npos) << result.out;
  const h5::File file = h5::open_artifact(flow, "flow");
  EXPECT_EQ(h5::read_string_attribute(file, "/", "method"), "farneback");
  EXPECT_TRUE(file.exists("/next/static_flow"));
  EXPECT_TRUE(file.exists("/next/dynamic"));
  EXPECT_FALSE(file.exists("/prev"));
  // The command line wins over the file.
  const RunResult override = run(
      {OCC_BINARY, "flow-labels", frames, "-o", flow, "--config", dir.file("flow.toml"), "--method", "dis"});
  EXPECT_NE(override.out.find("flow       dis"), std::string::npos) << override.out;
}

TEST(LabelsCli, BadInputIsAClearErrorAndLeavesNothing) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  const std::string out = dir.file("out.h5");
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;  // start of stderr
  };
  const std::vector<Case> cases = {
      {{"cluster-masks", frames, "-o", out, "--count", "1"},
       2,
       "occ cluster-masks: --count must be 2 to 65535"},
      {{"cluster-masks", frames, "-o", out, "--method", "quickshift"},
       2,
       "occ cluster-masks: unknown superpixel method 'quickshift'"},
      {{"cluster-masks", frames, "-o", out, "--size", "64"}, 2, "occ cluster-masks: --size must be HxW"},
      {{"flow-labels", frames, "-o", out, "--pairs", "next,later"},
       2,
       "occ flow-labels: unknown pair 'later'"},
      {{"flow-labels", frames, "-o", out, "--depth", "lidar"},
       1,
       "occ flow-labels: '" + frames + "' has no '/lidar/points'"},
      {{"flow-labels", dir.file("missing.h5"), "-o", out},
       1,
       "occ flow-labels: cannot open '" + dir.file("missing.h5") + "': No such file or directory"},
      {{"cluster-masks", frames, "-o", dir.file("no/folder/out.h5")},
       1,
       "occ cluster-masks: cannot write '" + dir.file("no/folder/out.h5") + "': No such file or directory"},
      {{"flow-labels", frames, "-o", out, "--report"},
       1,
       "occ flow-labels: '" + frames + "' lacks '/cameras/depth'"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{OCC_BINARY};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const RunResult result = run(argv);
    EXPECT_EQ(result.exit_code, c.exit_code) << c.message << "\n" << result.err;
    EXPECT_EQ(result.err.rfind(c.message, 0), 0u) << result.err;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"frames.h5"}) << c.message;
  }
  // A masks file is not a frames file.
  ASSERT_EQ(run({OCC_BINARY, "cluster-masks", frames, "-o", out, "-q"}).exit_code, 0);
  const RunResult wrong_kind = run({OCC_BINARY, "flow-labels", out, "-o", dir.file("flow.h5")});
  EXPECT_EQ(wrong_kind.exit_code, 1);
  EXPECT_EQ(wrong_kind.err, "occ flow-labels: '" + out + "' is an occ.masks file, expected occ.frames\n");
}

// A synthetic world with sweeps, as a user makes one: keyframe pairs through
// the sweeps by default, --direct on request, the report's lines.
TEST(LabelsCli, FlowLabelsOverSweepsLabelKeyframePairs) {
  TempDir dir;
  const std::string frames = dir.file("synth.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "synth", "-o", frames, "--scenes", "1", "--frames-per-scene", "2",
                 "--sweeps", "2", "--image-size", "32x64", "-q"})
                .exit_code,
            0);
  const std::string flow = dir.file("flow.h5");
  const RunResult sweeps = run({OCC_BINARY, "flow-labels", frames, "-o", flow, "--report", "-q"});
  ASSERT_EQ(sweeps.exit_code, 0) << sweeps.err;
  // 6 cameras x 3 frame pairs x both ways; 2 keyframes labelled.
  EXPECT_NE(sweeps.out.find("flow       dis, 36 flow fields"), std::string::npos) << sweeps.out;
  EXPECT_NE(
      sweeps.out.find("pairs      keyframe to keyframe through the sweeps: 2 labelled rows, 3.00 frame pairs "
                      "per label"),
      std::string::npos)
      << sweeps.out;
  EXPECT_NE(sweeps.out.find("(threshold 0.73 px)"), std::string::npos) << "8 px x 64 / 704" << sweeps.out;
  EXPECT_NE(sweeps.out.find("dynamic mask vs moving     IoU"), std::string::npos) << sweeps.out;
  EXPECT_NE(sweeps.out.find("trackable  "), std::string::npos) << sweeps.out;
  const RunResult direct =
      run({OCC_BINARY, "flow-labels", frames, "-o", flow, "--direct", "--threshold-width", "0", "-q"});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_NE(direct.out.find("flow       dis, 12 flow fields"), std::string::npos) << direct.out;
  EXPECT_NE(direct.out.find("pairs      direct: 2 labelled rows, 1.00 frame pairs per label"),
            std::string::npos)
      << direct.out;
  EXPECT_NE(direct.out.find("(threshold 8.00 px)"), std::string::npos) << direct.out;
  const h5::File file = h5::open_artifact(flow, "flow");
  EXPECT_NE(h5::read_string_attribute(file, "/", "parameters").find("\"keyframe_pairs\":\"direct\""),
            std::string::npos);
}

// nuScenes sweeps as occ prep nuscenes --sweeps stores them (images by path,
// other cameras' nearest non-key images): the synthetic world exported in
// the nuScenes layout and read back, then labelled through the sweeps.
TEST(LabelsCli, FlowLabelsThroughNuScenesSweeps) {
  TempDir dir;
  const std::string synth = dir.file("synth.h5"), root = dir.file("nuscenes"), frames = dir.file("sweeps.h5");
  ASSERT_EQ(run({OCC_BINARY, "prep", "synth", "-o", synth, "--scenes", "1", "--frames-per-scene", "2",
                 "--sweeps", "2", "--image-size", "32x64", "-q"})
                .exit_code,
            0);
  ASSERT_EQ(run({OCC_BINARY, "export", synth, "--format", "nuscenes", "-o", root, "-q"}).exit_code, 0);
  const RunResult prep =
      run({OCC_BINARY, "prep", "nuscenes", "--dataroot", root, "--sweeps", "-o", frames, "-q"});
  ASSERT_EQ(prep.exit_code, 0) << prep.err;
  const std::string flow = dir.file("flow.h5");
  const RunResult result = run({OCC_BINARY, "flow-labels", frames, "-o", flow, "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("keyframe to keyframe through the sweeps: 2 labelled rows, 3.00 frame pairs"),
            std::string::npos)
      << result.out;
  const h5::File file = h5::open_artifact(flow, "flow");
  const auto valid = h5::read<uint8_t>(file, "/next/valid");
  const int64_t per_row = valid.size() / valid.shape[0];
  auto share = [&](int64_t row) {
    int64_t count = 0;
    for (int64_t i = row * per_row; i < (row + 1) * per_row; ++i)
      count += valid.values[static_cast<size_t>(i)];
    return static_cast<double>(count) / static_cast<double>(per_row);
  };
  EXPECT_GT(share(0), 0.1) << "keyframe 0 to keyframe 3 through rows 1 and 2";
  EXPECT_EQ(share(1), 0.0) << "sweep rows are not labelled";
  EXPECT_EQ(share(2), 0.0);
  EXPECT_EQ(share(3), 0.0) << "the last keyframe has no next keyframe";
}

TEST(LabelsCli, ImportExcludesTheComputedMethods) {
  TempDir dir;
  const std::string frames = write_frames(dir);
  const std::string out = dir.file("out.h5");
  const RunResult flow =
      run({OCC_BINARY, "flow-labels", frames, "-o", out, "--import", dir.path().string(), "--method", "dis"});
  EXPECT_EQ(flow.exit_code, 2);
  EXPECT_NE(flow.err.find("--method excludes --import"), std::string::npos) << flow.err;
  const RunResult masks =
      run({OCC_BINARY, "cluster-masks", frames, "-o", out, "--import", dir.path().string(), "--count", "30"});
  EXPECT_EQ(masks.exit_code, 2);
  EXPECT_NE(masks.err.find("--count excludes --import"), std::string::npos) << masks.err;
  const RunResult no_folder =
      run({OCC_BINARY, "flow-labels", frames, "-o", out, "--import", dir.file("raft")});
  EXPECT_EQ(no_folder.exit_code, 1);
  EXPECT_EQ(no_folder.err,
            "occ flow-labels: cannot open '" + dir.file("raft") + "' (--import): not a folder\n");
  std::filesystem::create_directory(dir.file("sam"));
  const RunResult missing =
      run({OCC_BINARY, "cluster-masks", frames, "-o", out, "--import", dir.file("sam")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err,
            "occ cluster-masks: missing mask file '" + dir.file("sam") + "/token-0/CAM_0.png'\n");
  std::filesystem::remove(dir.file("sam"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"frames.h5"});
}

}  // namespace
}  // namespace occ::test
