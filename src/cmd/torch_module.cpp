// libocc_torch_commands.so: the commands that need LibTorch (train, predict)
// and, where LibTorch was built with CUDA, `occ --version`, which then asks
// the runtime whether CUDA is available; opened by the occ executable on
// demand (program.h).
#include <iostream>

#include "core/version.h"
#include "module.h"
#include "nn/runtime.h"
#include "predict.h"
#include "program.h"
#include "registration.h"
#include "train.h"
#include "version.h"

namespace {

void print_version(std::ostream& out) {
  occ::cmd::print_versions(out, occ::nn::torch_version(), occ::nn::cuda_available());
}

}  // namespace

int occ_module_main(int argc, char** argv) {
  using namespace occ::cmd;
  static const Unit unit = {
      Home::torch_module,
      {{"train", declare_and_run<TrainCli, add_train_options, run_train>},
       {"predict", declare_and_run<PredictCli, add_predict_options, run_predict>}},
      {},
      occ::nn::apply_thread_budget,
      print_version,
  };
  return run_program(argc, argv, unit);
}

const char* occ_module_version() {
  return OCC_VERSION;
}
