#include "commands.h"

namespace occ::cmd {

const std::vector<Command>& command_table() {
  static const std::vector<Command> commands = {
      {"prep", "turn a dataset (or the synthetic world) into a frames file", "Data", register_prep},
      {"cluster-masks", "superpixel pseudo masks for ProtoOcc (SEEDS, SLIC, LSC)", "Data",
       register_cluster_masks},
      {"flow-labels", "optical flow, consistency and dynamic masks for Let Occ Flow", "Data",
       register_flow_labels},
      {"train", "fit a model (baseline) on a frames file; checkpoints, resume, logs", "Learning",
       register_train},
      {"predict", "run a trained model over a frames file into a predictions file", "Learning",
       register_predict},
      {"eval", "score predictions: Occ3D mIoU, SSC, RayIoU, mAVE, OccScore, depth", "Results", register_eval},
      {"render", "pictures and videos: BEV, 3D voxels, cameras, depth, flow, masks, compare", "Results",
       register_render},
      {"export",
       "pred, model and frames files to Occ3D, SemanticKITTI, PLY, OpenOcc, torch, safetensors, nuScenes",
       "Results", register_export},
      {"inspect", "describe and validate any occ HDF5 file", "Files", register_inspect},
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
