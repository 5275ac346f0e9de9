// occ predict: run a trained model over the keyframes of a frames file and
// write the predicted occupancy (schema occ.pred) for occ eval, render and export.
#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "commands.h"
#include "models/registry.h"
#include "train/predictor.h"

namespace occ::cmd {
namespace {

void run_predict(train::PredictRequest& request) {
  request.provenance = {{"model", request.model_path},
                        {"frames", request.frames_path},
                        {"probabilities", request.probabilities},
                        {"depth", request.depth},
                        {"extras", request.extras},
                        {"batch_size", request.batch_size},
                        {"device", request.device}};
  const train::PredictResult result = train::run_prediction(request);
  std::printf("predictions %lld frames -> %s\n", static_cast<long long>(result.frames),
              request.output_path.c_str());
  double total = 0;
  for (const auto& [stage, seconds] : result.stage_seconds) total += seconds;
  std::printf("%-20s %10s %12s %6s\n", "stage", "seconds", "ms/frame", "share");
  for (const auto& [stage, seconds] : result.stage_seconds) {
    std::printf("%-20s %10.3f %12.1f %5.1f%%\n", stage.c_str(), seconds,
                1000.0 * seconds / static_cast<double>(std::max<int64_t>(result.frames, 1)),
                total > 0 ? 100.0 * seconds / total : 0.0);
  }
}

}  // namespace

Runner register_predict(CLI::App& app) {
  auto request = std::make_shared<train::PredictRequest>();
  app.add_option("model", request->model_path, "model file written by occ train")->required();
  app.add_option("frames", request->frames_path, "frames file to predict (every keyframe)")->required();
  app.add_option("-o,--output", request->output_path, "predictions file to write (schema occ.pred)")
      ->required();
  app.add_flag("--probabilities", request->probabilities,
               "also store class probabilities per voxel (float16; large)");
  app.add_flag("--depth", request->depth,
               "also store each camera's rendered depth (models that render depth)");
  // The extra outputs model kinds declare (e.g. ProtoOcc's --prototypes);
  // the model file's kind is checked when it is read.
  std::set<std::string> declared;
  for (const models::ModelKind& kind : models::model_kinds()) {
    for (const models::ExtraOutput& extra : kind.extra_outputs) {
      if (!declared.insert(extra.name).second) continue;
      const std::string name = extra.name;
      app.add_flag_callback(
          "--" + name, [request, name] { request->extras.push_back(name); }, extra.help);
    }
  }
  app.add_option("--batch-size", request->batch_size, "frames per forward pass");
  app.add_option("--device", request->device, "cpu, cuda or cuda:N (cuda needs a LibTorch built with CUDA)");
  return [request] { run_predict(*request); };
}

}  // namespace occ::cmd
