// occ eval's run of the voxel metrics (miou, ssc, rayiou, mave, depth): in
// the executable, which links no OpenCV (docs/startup.md); a command line
// asking for sceneflow (KITTI's PNG maps) goes to the data module
// (eval_sceneflow_run.cpp).
#include <fstream>
#include <iostream>

#include "core/error.h"
#include "core/strings.h"
#include "eval.h"
#include "h5/atomic_file.h"
#include "metrics/report.h"
#include "program.h"

namespace occ::cmd {
namespace {

void write_report(const std::string& path, const std::string& text) {
  h5::AtomicPath atomic(path);
  {
    std::ofstream out(atomic.temp_path(), std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw IoError(str("cannot write ", occ::quoted(path)));
  }
  atomic.commit();
}

}  // namespace

void prepare_eval(EvalCommand& command) {
  command.eval.metrics.clear();
  std::string item;
  for (char c : command.metric_list + ",") {
    if (c != ',') {
      item += c;
    } else if (!item.empty()) {
      command.eval.metrics.push_back(item);
      item.clear();
    }
  }
  command.eval.camera_mask = !command.all_voxels;
  if (command.json && command.csv) throw UsageError("choose one of --json and --csv");
  command.eval.validate();
}

void print_eval_report(const EvalCommand& command, const nlohmann::ordered_json& report) {
  if (!command.output.empty()) write_report(command.output, report.dump(2) + "\n");
  if (command.json) {
    std::cout << report.dump(2) << "\n";
  } else if (command.csv) {
    std::cout << metrics::report_csv(report);
  } else {
    std::cout << metrics::report_text(report);
  }
}

void run_eval(EvalCommand& command) {
  prepare_eval(command);
  if (command.eval.wants("sceneflow")) throw HandOver{Home::data_module};
  print_eval_report(command, metrics::evaluate(command.eval));
}

}  // namespace occ::cmd
