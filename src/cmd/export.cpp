// occ export: pred and model files to the formats other tools read (the
// options; export_run.cpp runs).
#include <string>

#include "core/strings.h"
#include "export.h"

namespace occ::cmd {
namespace {

std::string formats_help() {
  std::string text = "output format:";
  for (const auto& format : exporting::export_formats()) {
    text += str("\n  ", format.name, " (", format.input_kind, " -> ", format.output, "): ", format.summary);
  }
  return text;
}

}  // namespace

void add_export_options(CLI::App& app, exporting::ExportOptions* options) {
  auto& submission = options->submission;
  app.add_option("input", options->input,
                 "pred file (occ predict), model file (occ train) or frames file (occ prep)")
      ->required();
  app.add_option("-f,--format", options->format, formats_help())->required();
  app.add_option("-o,--output", options->output, "file or folder to write, per format; never left partial")
      ->required();
  app.add_option(
      "--gt", options->frames,
      "frames file the predictions were made on: sample tokens, grid geometry, poses, LiDAR origins");
  app.add_option("--layout", options->layout,
                 "semantickitti: official (sequences/<seq>/predictions, voxels) or flat (<token>.label ...)")
      ->capture_default_str();
  app.add_option("--frame", options->frame, "ply: prediction row to write when -o names a single .ply file");
  app.add_option("--method", submission.method, "openocc: method name in the submission")
      ->capture_default_str();
  app.add_option("--team", submission.team, "openocc: team name, as registered for the challenge");
  app.add_option("--authors", submission.authors, "openocc: author names (comma separated or repeated)")
      ->delimiter(',');
  app.add_option("--email", submission.email, "openocc: contact e-mail");
  app.add_option("--institution", submission.institution, "openocc: institution or company");
  app.add_option("--country", submission.country, "openocc: country or region (ISO 3166, e.g. DE)");
  app.add_option("--nuscenes-version", options->nuscenes_version,
                 "nuscenes: folder of the JSON tables, the dataset version nuScenes tools are given")
      ->capture_default_str();
  app.add_flag("--zero-flow", options->zero_flow,
               "openocc: write zero flow for a pred without /pred/flow (a RayIoU-only submission)");
}

}  // namespace occ::cmd
