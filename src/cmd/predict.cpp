// occ predict: run a trained model over the keyframes of a frames file and
// write the predicted occupancy (schema occ.pred) for occ eval, render and export.
#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "commands.h"
#include "core/error.h"
#include "metrics/layer_prior.h"
#include "models/registry.h"
#include "train/predictor.h"

namespace occ::cmd {
namespace {

// --layer-prior: the image-blind predictor; `model` names a training frames
// file (metrics/layer_prior.h).
void run_layer_prior(const train::PredictRequest& request) {
  if (request.probabilities || request.depth || !request.extras.empty())
    throw UsageError(
        "--layer-prior writes class ids only: --probabilities, --depth and model extras need a model");
  const nlohmann::json provenance = {{"layer_prior", request.model_path}, {"frames", request.frames_path}};
  const int64_t frames = metrics::write_layer_prior_predictions(request.model_path, request.frames_path,
                                                                request.output_path, provenance);
  std::printf("layer prior of %s: predictions %lld frames -> %s\n", request.model_path.c_str(),
              static_cast<long long>(frames), request.output_path.c_str());
}

void run_predict(train::PredictRequest& request, bool layer_prior) {
  if (layer_prior) {
    run_layer_prior(request);
    return;
  }
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
  auto layer_prior = std::make_shared<bool>(false);
  app.add_option("model", request->model_path,
                 "model file written by occ train (with --layer-prior: a training frames file)")
      ->required();
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
  app.add_flag("--layer-prior", *layer_prior,
               "image-blind predictor: `model` is a training frames file, and every voxel gets the class "
               "most frequent in its height layer over that file's camera-observed keyframe voxels");
  return [request, layer_prior] { run_predict(*request, *layer_prior); };
}

}  // namespace occ::cmd
