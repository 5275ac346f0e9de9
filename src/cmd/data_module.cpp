// libocc_data_commands.so: the torch-free commands that need OpenCV's codec,
// video and contrib modules (image files, videos, superpixels, optical flow),
// opened by the occ executable on demand (program.h).
#include "core/threads.h"
#include "core/version.h"
#include "eval.h"
#include "module.h"
#include "program.h"
#include "registration.h"

int occ_module_main(int argc, char** argv) {
  using namespace occ::cmd;
  static const Unit unit = {
      Home::data_module,
      {{"prep", register_prep},
       {"cluster-masks", register_cluster_masks},
       {"flow-labels", register_flow_labels},
       {"eval", declare_and_run<EvalCommand, add_eval_options, run_eval>},
       {"render", register_render},
       {"export", register_export}},
      {},
      occ::set_thread_budget,
      nullptr,
  };
  return run_program(argc, argv, unit);
}

const char* occ_module_version() {
  return OCC_VERSION;
}
