// occ cluster-masks: superpixel pseudo masks for ProtoOcc's prototype optimisation.
#include "cluster_masks.h"
#include "common.h"

namespace occ::cmd {

void add_cluster_masks_options(CLI::App& app, ClusterMasksCli* cli) {
  auto& options = cli->options;
  auto& superpixels = options.superpixels;
  app.add_option("frames", options.frames_path, "frames file (occ prep) with camera images")->required();
  app.add_option("-o,--output", options.output_path, "masks file to write (schema occ.masks)")->required();
  auto* method = app.add_option("--method", superpixels.method,
                                "superpixel method: seeds (the paper's), slic, slico or lsc");
  auto* count = app.add_option("--count", superpixels.count,
                               "target number of segments per image (paper: 299 for M = 350 prototypes)");
  auto* match =
      app.add_option("--match-prototypes", options.match_prototypes,
                     "derive --count from the prototype ratio r: ceil(ceil(H/8)/r) * ceil(ceil(W/8)/r)");
  app.add_option("--import", options.import_dir,
                 "read label maps another tool wrote (e.g. Segment Anything) instead of superpixels: "
                 "DIR/<frame token>/<camera>.png, one id per pixel (8- or 16-bit), keyframes only")
      ->excludes(method)
      ->excludes(count)
      ->excludes(match);
  app.add_option("--size", cli->size,
                 "stored mask size HxW (images are resized first); default: the image size");
  app.add_option("--seeds-levels", superpixels.seeds_levels, "SEEDS block levels");
  app.add_option("--seeds-prior", superpixels.seeds_prior, "SEEDS shape smoothing, 0-5");
  app.add_option("--seeds-bins", superpixels.seeds_histogram_bins, "SEEDS colour histogram bins");
  app.add_option("--seeds-iterations", superpixels.seeds_iterations, "SEEDS iterations");
  app.add_option("--slic-ruler", superpixels.slic_ruler, "SLIC compactness");
  app.add_option("--lsc-ratio", superpixels.lsc_ratio, "LSC compactness");
  app.add_option("--iterations", superpixels.iterations, "SLIC/SLICO/LSC iterations");
  app.add_option("--min-element", superpixels.min_element_percent,
                 "SLIC/SLICO/LSC: merge segments smaller than this percent of the region size");
  app.add_option("--compression", cli->compression, "none, deflate[:0-9] or zstd[:1-22]");
  app.add_flag(
      "--report", options.report,
      "print boundary recall and achievable segmentation accuracy against ground-truth segments (synth)");
  add_config_option(app);
}

}  // namespace occ::cmd
