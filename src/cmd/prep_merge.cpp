// occ prep merge: join frames files written as shards into one.
#include "prep_merge.h"

#include <memory>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "datasets/frames_merge.h"

namespace occ::cmd {

Runner add_prep_merge(CLI::App& prep) {
  auto options = std::make_shared<datasets::MergeOptions>();
  CLI::App* app =
      prep.add_subcommand("merge", "join frames files written part by part (--shard I/N) into one");
  app->fallthrough();  // global options (-j, -v) may follow the subcommand
  app->add_option("inputs", options->inputs, "frames files to join, in row order")->required();
  app->add_option("-o,--output", options->output, "frames file to write (HDF5)")->required();
  app->add_option("--compression", options->compression, "HDF5 compression: none, deflate[:N] or zstd[:N]")
      ->capture_default_str();
  return [app, options] {
    if (!app->parsed()) return;
    const int64_t frames = datasets::merge_frames(*options);
    log::info("wrote ", frames, " frames of ", options->inputs.size(), " parts to ",
              occ::quoted(options->output));
  };
}

}  // namespace occ::cmd
