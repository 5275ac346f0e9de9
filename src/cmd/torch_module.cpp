// libocc_torch_commands.so: the commands that need LibTorch (train, predict)
// and `occ --version`, which names the LibTorch and CUDA occ runs on; opened
// by the occ executable on demand (program.h).
#include <iostream>

#include "core/library_versions.h"
#include "core/version.h"
#include "module.h"
#include "nn/runtime.h"
#include "program.h"

namespace {

void print_version(std::ostream& out) {
  out << "occ " << OCC_VERSION << "\n";
  out << "LibTorch " << occ::nn::torch_version() << "\n";
  for (const auto& [name, version] : occ::library_versions()) out << name << " " << version << "\n";
  out << "CUDA " << (occ::nn::cuda_available() ? "available" : "not available") << "\n";
}

}  // namespace

int occ_module_main(int argc, char** argv) {
  using namespace occ::cmd;
  static const Unit unit = {
      Home::torch_module,
      {{"train", register_train}, {"predict", register_predict}},
      {},
      occ::nn::apply_thread_budget,
      print_version,
  };
  return run_program(argc, argv, unit);
}

const char* occ_module_version() {
  return OCC_VERSION;
}
