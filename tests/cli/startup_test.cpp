// What each command loads (issue 24, docs/startup.md): the occ executable
// answers --help, inspect, eval (but for sceneflow), --version (LibTorch
// without CUDA) and every command's options (help and usage errors) without
// LibTorch, OpenCV or a command module; the other data commands and eval
// --metric sceneflow run in libocc_data_commands.so and train/predict in
// libocc_torch_commands.so, each opened only by the commands that need it.
// The dynamic loader's own record of the files it opened (LD_DEBUG=files) is
// the evidence; no timing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/export_files.h"
#include "support/run.h"
#include "support/temp_dir.h"

namespace occ::test {
namespace {

// Runs occ with the loader listing every file it opens on stderr.
RunResult run_traced(const std::string& binary, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/env", "LD_DEBUG=files", binary};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

// Whether the loader opened a file whose name starts with `library`: lines
// "file=libtorch.so.1.13 [0];  needed by ..." and, for dlopen,
// "file=/path/to/libocc_torch_commands.so [0];  dynamically loaded by ...".
bool loaded(const RunResult& result, const std::string& library) {
  std::istringstream lines(result.err);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t at = line.find("file=");
    if (at == std::string::npos) continue;
    const std::string path = line.substr(at + 5, line.find(' ', at) - at - 5);
    if (std::filesystem::path(path).filename().string().rfind(library, 0) == 0) return true;
  }
  return false;
}

// Whether the torch module's LibTorch has CUDA (libc10_cuda), seen by running
// a command in that module: occ --version then needs the runtime.
bool libtorch_has_cuda() {
  TempDir dir;
  const RunResult predict =
      run_traced(OCC_BINARY, {"predict", dir.file("none.h5"), dir.file("none.h5"), "-o", dir.file("p.h5")});
  EXPECT_TRUE(loaded(predict, "libtorch")) << predict.err;
  return loaded(predict, "libc10_cuda");
}

// A small valid masks file (no OpenCV needed to describe it).
std::string write_masks(const TempDir& dir) {
  const std::string path = dir.file("masks.h5");
  h5::OutputArtifact out(path, "masks", {{"method", "seeds"}, {"count", 4}});
  out.set_frames_uuid("00000000-0000-4000-8000-000000000000");
  h5::write_attribute(out.file(), "/", "method", std::string("seeds"));
  h5::write_attribute(out.file(), "/", "parameters", std::string("{}"));
  h5::write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{4, 6});
  h5::write(out.file(), "/masks/labels", std::vector<uint16_t>(2 * 3 * 24, 1), {2, 3, 4, 6});
  h5::write(out.file(), "/masks/count", std::vector<int32_t>(6, 4), {2, 3});
  out.commit();
  return path;
}

TEST(Startup, HelpInspectAndDataCommandOptionsLoadNoLibTorchOpenCvOrModule) {
  TempDir dir;
  const std::string masks = write_masks(dir);
  const std::vector<std::vector<std::string>> commands = {{"--help"},
                                                          {"help", "eval"},
                                                          {"eval", "--help"},
                                                          {"render", "--help"},
                                                          {"help", "cluster-masks"},
                                                          {"flow-labels", "--help"},
                                                          {"inspect", masks},
                                                          {"inspect", "--validate", masks}};
  for (const auto& args : commands) {
    const RunResult result = run_traced(OCC_BINARY, args);
    const std::string what = "occ " + args[0] + (args.size() > 1 ? " " + args[1] : "");
    EXPECT_EQ(result.exit_code, 0) << what << "\n" << result.err;
    EXPECT_FALSE(result.out.empty()) << what;
    EXPECT_TRUE(loaded(result, "libhdf5")) << what << ": LD_DEBUG=files traced nothing";
    for (const char* library :
         {"libtorch", "libc10", "libopencv", "libocc_data_commands", "libocc_torch_commands"})
      EXPECT_FALSE(loaded(result, library)) << what << " loaded " << library;
  }
}

TEST(Startup, UsageErrorsOfDataCommandsNeedNoModule) {
  for (const char* command : {"eval", "render", "cluster-masks", "flow-labels"}) {
    const RunResult result = run_traced(OCC_BINARY, {command, "--no-such-option", "x.h5"});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find(std::string("occ ") + command + ": "), std::string::npos) << result.err;
    EXPECT_FALSE(loaded(result, "libocc_data_commands")) << command;
    EXPECT_FALSE(loaded(result, "libopencv")) << command;
  }
}

// eval scores voxels in the executable: a whole miou + ssc run on a real
// pair of files, and an error, open no module, no OpenCV and no LibTorch.
TEST(Startup, EvalOfVoxelMetricsRunsInTheExecutable) {
  TempDir dir;
  ExportFrames frames;
  frames.grid_shape = {4, 4, 2};
  frames.semantics.assign(2 * 32, 11);
  frames.mask_camera.assign(2 * 32, 1);
  frames.mask_lidar.assign(2 * 32, 1);
  const std::string frames_path = dir.file("frames.h5"), pred_path = dir.file("pred.h5");
  ExportPred pred;
  pred.grid_shape = frames.grid_shape;
  pred.semantics.assign(2 * 32, 11);
  write_export_pred(pred_path, write_export_frames(frames_path, frames), pred);
  const std::string missing = dir.file("missing.h5");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"eval", pred_path, "--gt", frames_path, "--metric", "miou,ssc", "--json"},
        std::vector<std::string>{"eval", "--gt", missing, missing}}) {
    const RunResult eval = run_traced(OCC_BINARY, args);
    const bool ok = args[1] == pred_path;
    EXPECT_EQ(eval.exit_code, ok ? 0 : 1) << eval.err;
    if (ok) {
      EXPECT_NE(eval.out.find("\"driveable_surface\": 100.0"), std::string::npos) << eval.out;
    } else {
      EXPECT_NE(eval.err.find("occ eval: "), std::string::npos) << eval.err;
      EXPECT_NE(eval.err.find(missing), std::string::npos) << eval.err;
    }
    EXPECT_TRUE(loaded(eval, "libhdf5")) << "LD_DEBUG=files traced nothing";
    for (const char* library :
         {"libtorch", "libc10", "libopencv", "libocc_data_commands", "libocc_torch_commands"})
      EXPECT_FALSE(loaded(eval, library)) << args[1] << " loaded " << library;
  }
}

TEST(Startup, EachModuleIsOpenedOnlyByItsCommands) {
  TempDir dir;
  // eval --metric sceneflow reads KITTI's PNG maps: the data module, no LibTorch.
  const std::string missing = dir.file("missing");
  const RunResult eval =
      run_traced(OCC_BINARY, {"eval", "--metric", "sceneflow", "--gt", missing, "--pred-dir", missing});
  EXPECT_EQ(eval.exit_code, 1) << eval.err;
  EXPECT_NE(eval.err.find("occ eval: "), std::string::npos) << eval.err;
  EXPECT_NE(eval.err.find(missing), std::string::npos) << eval.err;
  EXPECT_TRUE(loaded(eval, "libocc_data_commands"));
  EXPECT_TRUE(loaded(eval, "libopencv_imgcodecs"));
  EXPECT_FALSE(loaded(eval, "libtorch"));
  EXPECT_FALSE(loaded(eval, "libocc_torch_commands"));
  // train parses in the executable, then runs in the torch module.
  const RunResult train = run_traced(OCC_BINARY, {"train", "--frames", missing, "-o", dir.file("m.h5")});
  EXPECT_EQ(train.exit_code, 1) << train.err;
  EXPECT_NE(train.err.find("occ train: "), std::string::npos) << train.err;
  EXPECT_NE(train.err.find(missing), std::string::npos) << train.err;
  EXPECT_TRUE(loaded(train, "libocc_torch_commands"));
  EXPECT_TRUE(loaded(train, "libtorch"));
  EXPECT_FALSE(loaded(train, "libocc_data_commands"));
  // A usage error found by the module keeps its exit status and prefix.
  const RunResult bad = run({OCC_BINARY, "train", "--frames", missing, "--nproc", "0"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_EQ(bad.err, "occ train: --nproc must be at least 1\n");
}

TEST(Startup, MissingModuleIsAClearErrorAndTheRestStillWorks) {
  TempDir dir;
  // The executable alone in a folder: no module beside it or in ../lib/occ.
  const std::string alone = dir.file("occ");
  std::filesystem::copy_file(OCC_BINARY, alone);
  const std::string masks = write_masks(dir);
  EXPECT_EQ(run({alone, "inspect", masks}).exit_code, 0);
  EXPECT_EQ(run({alone, "eval", "--help"}).exit_code, 0);
  EXPECT_EQ(run({alone, "eval", "--no-such-option"}).exit_code, 2);
  EXPECT_EQ(run({alone, "train", "--help"}).exit_code, 0);
  EXPECT_EQ(run({alone, "export", "--no-such-option"}).exit_code, 2);
  const RunResult train = run({alone, "train", "--frames", masks, "-o", dir.file("m.h5")});
  EXPECT_EQ(train.exit_code, 1);
  EXPECT_EQ(train.err.rfind("occ train: cannot load the command module libocc_torch_commands.so: ", 0), 0u)
      << train.err;
  EXPECT_NE(train.err.find(dir.file("libocc_torch_commands.so")), std::string::npos) << train.err;
  EXPECT_NE(train.err.find("No such file or directory"), std::string::npos) << train.err;
  EXPECT_TRUE(train.out.empty());
  // eval runs in the executable (the masks file is no frames file), but
  // sceneflow needs the data module.
  const RunResult eval = run({alone, "eval", "--gt", masks, masks});
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_NE(eval.err.find(masks), std::string::npos) << eval.err;
  EXPECT_EQ(eval.err.find("command module"), std::string::npos) << eval.err;
  const RunResult sceneflow = run({alone, "eval", "--metric", "sceneflow", "--gt", dir.path().string(),
                                   "--pred-dir", dir.path().string()});
  EXPECT_EQ(sceneflow.exit_code, 1);
  EXPECT_EQ(sceneflow.err.rfind("occ eval: cannot load the command module libocc_data_commands.so: ", 0), 0u)
      << sceneflow.err;
  // Only a LibTorch with CUDA needs the torch module to answer --version.
  const RunResult version = run({alone, "--version"});
  if (libtorch_has_cuda()) {
    EXPECT_EQ(version.exit_code, 1);
    EXPECT_NE(version.err.find("libocc_torch_commands.so"), std::string::npos) << version.err;
  } else {
    EXPECT_EQ(version.exit_code, 0) << version.err;
    EXPECT_NE(version.out.find("CUDA not available"), std::string::npos) << version.out;
  }
}

TEST(Startup, ALibraryThatIsNoOccModuleIsRefused) {
  TempDir dir;
  // Another shared library (occ's HDF5 filter plugin) under a module's name.
  const std::string alone = dir.file("occ");
  std::filesystem::copy_file(OCC_BINARY, alone);
  std::filesystem::copy_file(
      std::filesystem::path(OCC_BINARY).parent_path() / "hdf5-plugins" / "libh5zstd.so",
      dir.file("libocc_torch_commands.so"));
  const RunResult train = run({alone, "train", "--frames", "x.h5", "-o", "y.h5"});
  EXPECT_EQ(train.exit_code, 1);
  EXPECT_NE(train.err.find(dir.file("libocc_torch_commands.so") + "': not an occ command module"),
            std::string::npos)
      << train.err;
  // A file that is no shared library at all: dlopen's own reason is given.
  {
    std::ofstream text(dir.file("libocc_data_commands.so"));
    text << std::string(200, 'x') << "\n";  // longer than an ELF header
  }
  const RunResult eval = run({alone, "eval", "--metric", "sceneflow", "--gt", "x", "--pred-dir", "y"});
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_NE(eval.err.find(dir.file("libocc_data_commands.so") + "': "), std::string::npos) << eval.err;
  EXPECT_NE(eval.err.find("ELF"), std::string::npos) << eval.err;
}

TEST(Startup, TrainPredictPrepAndExportOptionsLoadNoModule) {
  const std::vector<std::vector<std::string>> commands = {{"train", "--help"},
                                                          {"help", "train"},
                                                          {"predict", "--help"},
                                                          {"help", "predict"},
                                                          {"prep", "--help"},
                                                          {"prep", "synth", "--help"},
                                                          {"prep", "nuscenes", "--help"},
                                                          {"prep", "kitti-mot", "--help"},
                                                          {"prep", "semantickitti", "--help"},
                                                          {"prep", "merge", "--help"},
                                                          {"help", "prep"},
                                                          {"export", "--help"},
                                                          {"help", "export"}};
  for (const auto& args : commands) {
    const RunResult result = run_traced(OCC_BINARY, args);
    std::string what = "occ";
    for (const auto& arg : args) what += " " + arg;
    EXPECT_EQ(result.exit_code, 0) << what << "\n" << result.err;
    EXPECT_NE(result.out.find("Usage: occ "), std::string::npos) << what;
    EXPECT_TRUE(loaded(result, "libhdf5")) << what << ": LD_DEBUG=files traced nothing";
    for (const char* library :
         {"libtorch", "libc10", "libopencv", "libocc_data_commands", "libocc_torch_commands"})
      EXPECT_FALSE(loaded(result, library)) << what << " loaded " << library;
  }
  // The options the executable declares come from the model kinds'
  // description and the export formats' table.
  const RunResult train = run({OCC_BINARY, "train", "--help"});
  for (const char* text : {"model kind: baseline, protoocc, letoccflow", "ProtoOcc ablations", "--no-mod",
                           "Let Occ Flow stages, ablations and LiDAR", "--stage2-from", "--device TEXT=cpu"})
    EXPECT_NE(train.out.find(text), std::string::npos) << text;
  const RunResult predict = run({OCC_BINARY, "predict", "--help"});
  for (const char* text : {"--prototypes", "--rendered-flow", "--layer-prior"})
    EXPECT_NE(predict.out.find(text), std::string::npos) << text;
  const RunResult exporting = run({OCC_BINARY, "export", "--help"});
  for (const char* text : {"occ3d-npz (pred -> folder)", "kitti-sceneflow", "nuscenes (frames -> folder)"})
    EXPECT_NE(exporting.out.find(text), std::string::npos) << text;
}

TEST(Startup, UsageErrorsOfTrainPredictPrepAndExportNeedNoModule) {
  const std::vector<std::vector<std::string>> commands = {{"train", "--no-such-option"},
                                                          {"train", "-o", "m.h5"},  // no --frames
                                                          {"train", "--frames", "f.h5", "--no-mod=x"},
                                                          {"predict", "--no-such-option"},
                                                          {"predict", "m.h5", "f.h5"},  // no -o
                                                          {"prep"},                     // no subcommand
                                                          {"prep", "synth"},            // no -o
                                                          {"prep", "synth", "-o", "x.h5", "--scenes", "two"},
                                                          {"prep", "merge", "--no-such-option"},
                                                          {"export", "--no-such-option"},
                                                          {"export", "p.h5", "-o", "out"}};  // no --format
  for (const auto& args : commands) {
    const RunResult result = run_traced(OCC_BINARY, args);
    std::string what = "occ";
    for (const auto& arg : args) what += " " + arg;
    EXPECT_EQ(result.exit_code, 2) << what << "\n" << result.err;
    EXPECT_NE(result.err.find("occ " + args[0] + ": "), std::string::npos) << what << "\n" << result.err;
    for (const char* library : {"libtorch", "libopencv", "libocc_data_commands", "libocc_torch_commands"})
      EXPECT_FALSE(loaded(result, library)) << what << " loaded " << library;
  }
}

TEST(Startup, VersionNeedsTheTorchModuleOnlyWhereLibTorchHasCuda) {
  const RunResult version = run_traced(OCC_BINARY, {"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  for (const char* line : {"occ ", "LibTorch ", "OpenCV ", "HDF5 ", "zstd ", "CUDA "})
    EXPECT_NE(version.out.find(line), std::string::npos) << line;
  const bool cuda = libtorch_has_cuda();
  EXPECT_EQ(loaded(version, "libocc_torch_commands"), cuda);
  EXPECT_EQ(loaded(version, "libtorch"), cuda);
  EXPECT_FALSE(loaded(version, "libopencv"));
  if (!cuda) {
    EXPECT_NE(version.out.find("\nCUDA not available\n"), std::string::npos) << version.out;
  }
}

}  // namespace
}  // namespace occ::test
