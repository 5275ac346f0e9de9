// occ: one binary of subcommands. The executable runs the commands that
// need neither LibTorch nor OpenCV (inspect, eval but for sceneflow),
// parses the options of every other command itself, and opens the module of
// a command on demand to run it (program.h, docs/startup.md).
#include <iostream>

#include "cluster_masks.h"
#include "core/threads.h"
#include "eval.h"
#include "export.h"
#include "flow_labels.h"
#include "predict.h"
#include "prep.h"
#include "program.h"
#include "registration.h"
#include "render.h"
#include "train.h"
#include "version.h"

namespace {

#if OCC_LIBTORCH_HAS_CUDA
// Whether CUDA is available is a question for the LibTorch runtime (a GPU,
// a driver): the torch module answers.
constexpr void (*print_version)(std::ostream&) = nullptr;
#else
// A LibTorch built without CUDA never has it, and its version is the one
// CMake found when occ was configured (as the torch module's TORCH_VERSION):
// no need to load LibTorch to say so.
void print_version(std::ostream& out) {
  occ::cmd::print_versions(out, OCC_LIBTORCH_VERSION, /*cuda_available=*/false);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  using namespace occ::cmd;
  static const Unit unit = {
      Home::executable,
      {{"inspect", register_inspect},
       // every metric but sceneflow, which it hands to the data module
       {"eval", declare_and_run<EvalCommand, add_eval_options, run_eval>}},
      {{"prep", declare_only<PrepCli, add_prep_options>},
       {"cluster-masks", declare_only<ClusterMasksCli, add_cluster_masks_options>},
       {"flow-labels", declare_only<FlowLabelsCli, add_flow_labels_options>},
       {"train", declare_only<TrainCli, add_train_options>},
       {"predict", declare_only<PredictCli, add_predict_options>},
       {"render", declare_only<RenderCli, add_render_options>},
       {"export", declare_only<occ::exporting::ExportOptions, add_export_options>}},
      occ::set_own_thread_budget,  // the executable never loads OpenCV
      print_version,
  };
  return run_program(argc, argv, unit);
}
