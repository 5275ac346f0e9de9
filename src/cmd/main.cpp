// occ: one binary of subcommands. The executable runs the commands that
// need neither LibTorch nor OpenCV's codec, video and contrib modules
// (inspect), parses the options of the data commands itself, and opens the
// module of every other command on demand (program.h, docs/startup.md).
#include "core/threads.h"
#include "eval.h"
#include "program.h"
#include "registration.h"

int main(int argc, char** argv) {
  using namespace occ::cmd;
  static const Unit unit = {
      Home::executable,
      {{"inspect", register_inspect}},
      {{"eval", declare_only<EvalCommand, add_eval_options>}},
      occ::set_own_thread_budget,  // the executable never loads OpenCV
      nullptr,
  };
  return run_program(argc, argv, unit);
}
