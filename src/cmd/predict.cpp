// occ predict: run a trained model over the keyframes of a frames file and
// write the predicted occupancy (schema occ.pred) for occ eval, render and
// export. The options, declared without LibTorch; predict_run.cpp runs.
#include <set>
#include <string>

#include "models/model_catalog.h"
#include "predict.h"

namespace occ::cmd {

void add_predict_options(CLI::App& app, PredictCli* cli) {
  train::PredictRequest* request = &cli->request;
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
  for (const models::KindDescription& kind : models::model_catalog()) {
    for (const models::ExtraOutput& extra : kind.extra_outputs) {
      if (!declared.insert(extra.name).second) continue;
      const std::string name = extra.name;
      app.add_flag_callback(
          "--" + name, [request, name] { request->extras.push_back(name); }, extra.help);
    }
  }
  app.add_option("--batch-size", request->batch_size, "frames per forward pass");
  app.add_option("--device", request->device, "cpu, cuda or cuda:N (cuda needs a LibTorch built with CUDA)");
  app.add_flag("--layer-prior", cli->layer_prior,
               "image-blind predictor: `model` is a training frames file, and every voxel gets the class "
               "most frequent in its height layer over that file's camera-observed keyframe voxels");
}

}  // namespace occ::cmd
