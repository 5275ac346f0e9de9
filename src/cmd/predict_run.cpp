// occ predict's run (the torch module): the model (or the layer prior) over
// every keyframe, then the time each stage took.
#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "metrics/layer_prior.h"
#include "predict.h"
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

}  // namespace

void run_predict(PredictCli& cli) {
  train::PredictRequest& request = cli.request;
  if (cli.layer_prior) {
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

}  // namespace occ::cmd
