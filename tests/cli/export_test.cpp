// occ export as a user runs it: outputs, exit codes, messages, and no
// partial output on bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/export_files.h"
#include "support/run.h"

namespace occ::test {
namespace {

// frames.h5 (two keyframes, LiDAR origins) and pred.h5 (a car voxel in
// each frame, no flow), model.h5.
struct ExportInputs {
  TempDir dir;
  std::string frames = dir.file("frames.h5"), pred = dir.file("pred.h5"), model = dir.file("model.h5");
  ExportInputs() {
    ExportFrames spec;
    spec.lidar_origin = {{1, 0, 2}, {1, 0, 2}};
    const std::string uuid = write_export_frames(frames, spec);
    ExportPred pred_spec;
    pred_spec.semantics.assign(2 * 200 * 200 * 16, 17);
    pred_spec.semantics[0] = 4;
    pred_spec.semantics[200 * 200 * 16 + 1] = 4;
    write_export_pred(pred, uuid, pred_spec);
    write_export_model(model);
  }
  // Everything in the folder besides the inputs.
  std::vector<std::string> outputs() const {
    std::vector<std::string> names;
    for (const auto& name : dir.entries()) {
      if (name != "frames.h5" && name != "pred.h5" && name != "model.h5") names.push_back(name);
    }
    return names;
  }
};

TEST(ExportCli, WritesAnOcc3dSubmissionFolder) {
  ExportInputs in;
  const RunResult result = run(
      {OCC_BINARY, "export", in.pred, "--gt", in.frames, "-f", "occ3d-npz", "-o", in.dir.file("sub"), "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "exported 2 frames to '" + in.dir.file("sub") + "' (occ3d-npz)\n");
  EXPECT_EQ(result.err, "");
  EXPECT_TRUE(std::filesystem::exists(in.dir.file("sub/token-a.npz")));
  EXPECT_TRUE(std::filesystem::exists(in.dir.file("sub/token-b.npz")));
  EXPECT_EQ(in.outputs(), std::vector<std::string>{"sub"});
}

TEST(ExportCli, ModelsExportToTorchAndSafetensors) {
  ExportInputs in;
  for (const std::string format : {"torch", "safetensors"}) {
    const std::string out = in.dir.file("model." + format);
    const RunResult result = run({OCC_BINARY, "export", in.model, "-f", format, "-o", out});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("exported 4 tensors"), std::string::npos) << result.out;
    EXPECT_GT(std::filesystem::file_size(out), 70u);
  }
}

TEST(ExportCli, FramesExportToANuScenesLayout) {
  TempDir dir;
  ExportFrames spec;
  spec.image_height = 4;
  spec.image_width = 8;
  write_export_frames(dir.file("frames.h5"), spec);
  const RunResult result = run({OCC_BINARY, "export", dir.file("frames.h5"), "-f", "nuscenes", "-o",
                                dir.file("ns"), "--nuscenes-version", "v1.0-mini", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "exported 2 frames to '" + dir.file("ns") + "' (nuscenes)\n");
  EXPECT_TRUE(std::filesystem::exists(dir.file("ns/v1.0-mini/sample_data.json")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("ns/samples/CAM_FRONT/scene-0__CAM_FRONT__500000.jpg")));
}

TEST(ExportCli, UnknownFormatIsAUsageError) {
  ExportInputs in;
  const RunResult result = run({OCC_BINARY, "export", in.pred, "-f", "obj", "-o", in.dir.file("x")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(
      result.err,
      "occ export: unknown format 'obj' (formats: occ3d-npz, semantickitti, ply, openocc, kitti-sceneflow, "
      "torch, safetensors, nuscenes)\n");
  EXPECT_TRUE(in.outputs().empty());
}

TEST(ExportCli, PredFormatsNeedTheFramesFileForTokens) {
  ExportInputs in;
  for (const std::string format : {"occ3d-npz", "openocc", "ply"}) {
    const RunResult result = run({OCC_BINARY, "export", in.pred, "-f", format, "-o", in.dir.file("out")});
    EXPECT_EQ(result.exit_code, 2) << format;
    EXPECT_NE(result.err.find("give --gt FRAMES.h5"), std::string::npos) << result.err;
  }
  EXPECT_TRUE(in.outputs().empty());
}

TEST(ExportCli, AFormatForTheOtherKindIsAUsageError) {
  ExportInputs in;
  const RunResult result = run({OCC_BINARY, "export", in.pred, "-f", "torch", "-o", in.dir.file("m.pt")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("format 'torch' exports model files"), std::string::npos) << result.err;
  const RunResult frames = run({OCC_BINARY, "export", in.frames, "-f", "ply", "-o", in.dir.file("a.ply")});
  EXPECT_EQ(frames.exit_code, 2);
  EXPECT_TRUE(in.outputs().empty());
}

TEST(ExportCli, OpenOccWithoutFlowNeedsZeroFlow) {
  ExportInputs in;
  const std::string out = in.dir.file("sub.gz");
  const RunResult refused =
      run({OCC_BINARY, "export", in.pred, "--gt", in.frames, "-f", "openocc", "-o", out});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("has no dataset '/pred/flow'"), std::string::npos) << refused.err;
  EXPECT_TRUE(in.outputs().empty());
  const RunResult written = run(
      {OCC_BINARY, "export", in.pred, "--gt", in.frames, "-f", "openocc", "-o", out, "--zero-flow", "-q"});
  ASSERT_EQ(written.exit_code, 0) << written.err;
  EXPECT_EQ(in.outputs(), std::vector<std::string>{"sub.gz"});
}

TEST(ExportCli, UnwritableOrOccupiedOutputsFailCleanly) {
  ExportInputs in;
  // A regular file where a folder should be: nothing can be created under it.
  const RunResult unwritable = run({OCC_BINARY, "export", in.pred, "--gt", in.frames, "-f", "occ3d-npz", "-o",
                                    in.dir.file("pred.h5/sub")});
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_EQ(unwritable.err.rfind("occ export: cannot write '" + in.dir.file("pred.h5/sub") + "'", 0), 0u)
      << unwritable.err;
  std::filesystem::create_directory(in.dir.file("sub"));
  std::ofstream(in.dir.file("sub/keep.txt")) << "mine";
  const RunResult occupied =
      run({OCC_BINARY, "export", in.pred, "--gt", in.frames, "-f", "occ3d-npz", "-o", in.dir.file("sub")});
  EXPECT_EQ(occupied.exit_code, 1);
  EXPECT_NE(occupied.err.find("folder exists and is not empty"), std::string::npos) << occupied.err;
  EXPECT_EQ(in.outputs(), std::vector<std::string>{"sub"});
  EXPECT_TRUE(std::filesystem::exists(in.dir.file("sub/keep.txt")));
}

TEST(ExportCli, PlyFrameOutOfRangeLeavesNothing) {
  ExportInputs in;
  const RunResult result = run({OCC_BINARY, "export", in.pred, "--gt", in.frames, "-f", "ply", "--frame", "5",
                                "-o", in.dir.file("f.ply")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--frame 5 is out of range"), std::string::npos) << result.err;
  EXPECT_TRUE(in.outputs().empty());
  const RunResult one = run({OCC_BINARY, "export", in.pred, "--gt", in.frames, "-f", "ply", "--frame", "1",
                             "-o", in.dir.file("f.ply")});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(in.outputs(), std::vector<std::string>{"f.ply"});
}

}  // namespace
}  // namespace occ::test
