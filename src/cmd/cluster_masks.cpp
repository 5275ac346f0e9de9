// occ cluster-masks: superpixel pseudo masks for ProtoOcc's prototype optimisation.
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "common.h"
#include "labels/cluster_masks.h"

namespace occ::cmd {
namespace {

struct ClusterMasksCli {
  labels::ClusterMaskOptions options;
  std::string size;
  std::string compression = "deflate";
};

void run_cluster_masks(ClusterMasksCli& cli) {
  auto& options = cli.options;
  if (!cli.size.empty()) options.size = labels::parse_size(cli.size, "--size");
  options.compression = h5::Compression::parse(cli.compression);
  options.validate();
  nlohmann::json resolved = options.superpixels.to_json();
  resolved["frames"] = options.frames_path;
  resolved["match_prototypes"] = options.match_prototypes;
  resolved["size"] = cli.size;
  resolved["compression"] = options.compression.text();
  resolved["import"] = options.import_dir;
  const labels::ClusterMaskSummary summary = labels::make_cluster_masks(options, resolved);
  if (options.import_dir.empty()) {
    std::printf("masks      %lld maps, %.1f segments on average (target %d)\n",
                static_cast<long long>(summary.maps), summary.mean_count, summary.target_count);
  } else {
    std::printf("masks      %lld maps imported from %s, %.1f segments on average\n",
                static_cast<long long>(summary.maps), options.import_dir.c_str(), summary.mean_count);
  }
  if (summary.has_quality) {
    std::printf("boundary recall (2 px)          %.4f\n", summary.quality.boundary_recall);
    std::printf("achievable segmentation acc.    %.4f\n", summary.quality.achievable_accuracy);
  }
}

}  // namespace

Runner register_cluster_masks(CLI::App& app) {
  auto cli = std::make_shared<ClusterMasksCli>();
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
  return [cli] { run_cluster_masks(*cli); };
}

}  // namespace occ::cmd
