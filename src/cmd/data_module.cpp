// libocc_data_commands.so: the torch-free commands that need OpenCV's codec,
// video and contrib modules (image files, videos, superpixels, optical flow),
// opened by the occ executable on demand (program.h).
#include "cluster_masks.h"
#include "core/threads.h"
#include "core/version.h"
#include "eval.h"
#include "export.h"
#include "flow_labels.h"
#include "module.h"
#include "prep.h"
#include "program.h"
#include "registration.h"
#include "render.h"

int occ_module_main(int argc, char** argv) {
  using namespace occ::cmd;
  static const Unit unit = {
      Home::data_module,
      {{"prep", declare_and_run<PrepCli, add_prep_options, run_prep>},
       {"cluster-masks", declare_and_run<ClusterMasksCli, add_cluster_masks_options, run_cluster_masks>},
       {"flow-labels", declare_and_run<FlowLabelsCli, add_flow_labels_options, run_flow_labels>},
       {"eval", declare_and_run<EvalCommand, add_eval_options, run_eval_with_sceneflow>},
       {"render", declare_and_run<RenderCli, add_render_options, run_render>},
       {"export", declare_and_run<occ::exporting::ExportOptions, add_export_options, run_export>}},
      {},
      occ::set_thread_budget,
      nullptr,
  };
  return run_program(argc, argv, unit);
}

const char* occ_module_version() {
  return OCC_VERSION;
}
