#include "commands.h"

namespace occ::cmd {

const std::vector<Command>& command_table() {
  static const std::vector<Command> commands = {
      {"cluster-masks", "superpixel pseudo masks for ProtoOcc (SEEDS, SLIC, LSC)", "Data",
       register_cluster_masks},
      {"flow-labels", "optical flow, consistency and dynamic masks for Let Occ Flow", "Data",
       register_flow_labels},
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
