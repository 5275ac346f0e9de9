// occ prep merge: join frames files written as shards into one.
#include "prep_merge.h"

#include "datasets/frames_merge.h"

namespace occ::cmd {

CLI::App* add_prep_merge(CLI::App& prep, datasets::MergeOptions* options) {
  CLI::App* app =
      prep.add_subcommand("merge", "join frames files written part by part (--shard I/N) into one");
  app->fallthrough();  // global options (-j, -v) may follow the subcommand
  app->add_option("inputs", options->inputs, "frames files to join, in row order")->required();
  app->add_option("-o,--output", options->output, "frames file to write (HDF5)")->required();
  app->add_option("--compression", options->compression, "HDF5 compression: none, deflate[:N] or zstd[:N]")
      ->capture_default_str();
  return app;
}

}  // namespace occ::cmd
