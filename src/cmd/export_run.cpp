// occ export's run (the data module): the export and one line saying what
// it wrote.
#include <cstdio>

#include "core/error.h"
#include "export.h"

namespace occ::cmd {

void run_export(exporting::ExportOptions& options) {
  const exporting::ExportSummary summary = exporting::run_export(options);
  const char* unit = summary.kind == "model" ? "tensors" : "frames";  // pred and frames files hold frames
  std::printf("exported %lld %s to %s (%s)\n", static_cast<long long>(summary.items), unit,
              occ::quoted(options.output).c_str(), options.format.c_str());
}

}  // namespace occ::cmd
