#pragma once
// `occ predict`: a trained model over every keyframe of a frames file, in
// batches without gradients, into a predictions file (schema occ.pred).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ::train {

struct PredictRequest {
  std::string model_path;
  std::string frames_path;
  std::string output_path;
  bool probabilities = false;  // also write /pred/probabilities (float16)
  bool depth = false;          // also write /pred/depth (models that render depth)
  // Extra outputs by name (models::ModelKind::extra_outputs, e.g. ProtoOcc's
  // "prototypes"); a name the model's kind and configuration do not offer
  // is a UsageError before any work.
  std::vector<std::string> extras;
  int batch_size = 1;
  std::string device = "cpu";
  bool quiet = false;
  nlohmann::json provenance;
};

struct PredictResult {
  int64_t frames = 0;
  // Wall seconds per stage summed over all frames (backbone,
  // view_transformation, decoder, as the model marks them; loading and
  // writing as data and write).
  std::map<std::string, double> stage_seconds;
};

PredictResult run_prediction(const PredictRequest& request);

}  // namespace occ::train
