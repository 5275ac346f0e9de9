// occ eval in the data module: the one metric that needs OpenCV's codecs,
// sceneflow (KITTI's 16-bit PNG disparity and flow maps), and the others as
// the executable runs them (eval_run.cpp).
#include "eval.h"
#include "metrics/kitti_sceneflow.h"

namespace occ::cmd {

void run_eval_with_sceneflow(EvalCommand& command) {
  prepare_eval(command);
  const metrics::EvalOptions& o = command.eval;
  print_eval_report(command, o.wants("sceneflow")
                                 ? metrics::evaluate_kitti_sceneflow({o.gt, o.pred_dir, o.allow_missing})
                                 : metrics::evaluate(o));
}

}  // namespace occ::cmd
