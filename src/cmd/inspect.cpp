// occ inspect: describe any occ HDF5 file and optionally validate it.
#include <iostream>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/describe.h"

namespace occ::cmd {
namespace {

struct InspectOptions {
  std::string path;
  bool validate = false;
  bool json = false;
  std::string frames;  // frames file a derived file must come from
};

void run_inspect(const InspectOptions& options) {
  const h5::File file = h5::File::open(options.path);
  const bool validate = options.validate || !options.frames.empty();
  h5::FileReport report = h5::describe_file(file, validate);
  if (!options.frames.empty()) {
    const h5::File frames = h5::open_artifact(options.frames, "frames");
    try {
      h5::require_made_from(file, frames);
    } catch (const FormatError& error) {
      report.problems.push_back(error.what());
    }
  }
  std::cout << (options.json ? h5::report_json(report) : h5::report_text(report));
  if (!report.problems.empty()) {
    throw SchemaError(str(quoted(options.path), " is not valid: ", join(report.problems, "; ")));
  }
}

}  // namespace

Runner register_inspect(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  app.add_option("file", options->path, "HDF5 file to describe")->required();
  app.add_flag(
      "--validate", options->validate,
      "check the file against the schema its 'schema' attribute names; exit 1 listing every problem");
  app.add_flag("--json", options->json, "print the report as JSON instead of text");
  app.add_option(
      "--frames", options->frames,
      "frames file this derived file (masks, flow, pred) must have been made from; implies --validate");
  return [options] { run_inspect(*options); };
}

}  // namespace occ::cmd
