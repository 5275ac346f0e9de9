#include "commands.h"

namespace occ::cmd {

const std::vector<Command>& command_table() {
  static const std::vector<Command> commands = {
      {"prep", "turn a dataset (or the synthetic world) into a frames file", "Data", Home::data_module},
      {"cluster-masks", "superpixel pseudo masks for ProtoOcc (SEEDS, SLIC, LSC)", "Data", Home::data_module},
      {"flow-labels", "optical flow, consistency and dynamic masks for Let Occ Flow", "Data",
       Home::data_module},
      {"train", "fit a model (baseline, ProtoOcc, Let Occ Flow) on a frames file; checkpoints, resume, logs",
       "Learning", Home::torch_module},
      {"predict", "run a trained model over a frames file into a predictions file", "Learning",
       Home::torch_module},
      // sceneflow (OpenCV's PNG codec) is handed to the data module (eval_run.cpp)
      {"eval", "score predictions: Occ3D mIoU, SSC, RayIoU, mAVE, OccScore, depth", "Results",
       Home::executable},
      {"render", "pictures and videos: BEV, 3D voxels, cameras, depth, flow, masks, compare", "Results",
       Home::data_module},
      {"export",
       "pred, model and frames files to Occ3D, SemanticKITTI, PLY, OpenOcc, torch, safetensors, nuScenes",
       "Results", Home::data_module},
      {"inspect", "describe and validate any occ HDF5 file", "Files", Home::executable},
  };
  return commands;
}

const std::vector<std::string>& command_groups() {
  static const std::vector<std::string> groups = {"Data", "Learning", "Results", "Files"};
  return groups;
}

const Command* find_command(const std::string& name) {
  for (const auto& command : command_table()) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

}  // namespace occ::cmd
