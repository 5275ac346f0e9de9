// occ cluster-masks's run (the data module).
#include <cstdio>

#include "cluster_masks.h"

namespace occ::cmd {

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

}  // namespace occ::cmd
