// occ: one binary of subcommands. The executable runs the commands that
// need neither LibTorch nor OpenCV (inspect, eval but for sceneflow), parses the options of most data
// commands itself, and opens the module of every other command on demand (program.h, docs/startup.md).
#include "cluster_masks.h"
#include "core/threads.h"
#include "eval.h"
#include "flow_labels.h"
#include "program.h"
#include "registration.h"
#include "render.h"

int main(int argc, char** argv) {
  using namespace occ::cmd;
  static const Unit unit = {
      Home::executable,
      {{"inspect", register_inspect},
       // every metric but sceneflow, which it hands to the data module
       {"eval", declare_and_run<EvalCommand, add_eval_options, run_eval>}},
      {{"cluster-masks", declare_only<ClusterMasksCli, add_cluster_masks_options>},
       {"flow-labels", declare_only<FlowLabelsCli, add_flow_labels_options>},
       {"render", declare_only<RenderCli, add_render_options>}},
      occ::set_own_thread_budget,  // the executable never loads OpenCV
      nullptr,
  };
  return run_program(argc, argv, unit);
}
