// occ flow-labels's run (the data module).
#include <cstdio>

#include "flow_labels.h"
#include "labels/cluster_masks.h"

namespace occ::cmd {
namespace {

void print_error(const char* name, const labels::FlowError& error) {
  std::printf("%-26s EPE %7.3f px   Fl %6.2f %%   (%lld px)\n", name, error.epe,
              100.0 * error.outlier_fraction, static_cast<long long>(error.pixels));
}

}  // namespace

void run_flow_labels(FlowLabelsCli& cli) {
  auto& options = cli.options;
  if (!cli.size.empty()) options.size = labels::parse_size(cli.size, "--size");
  options.compression = h5::Compression::parse(cli.compression);
  options.validate();
  const nlohmann::json resolved = {{"frames", options.frames_path},
                                   {"method", options.method},
                                   {"pairs", options.pairs},
                                   {"size", cli.size},
                                   {"fb_alpha", options.fb_alpha},
                                   {"fb_beta", options.fb_beta},
                                   {"dynamic_threshold_px", options.dynamic_threshold_px},
                                   {"threshold_width", options.threshold_width},
                                   {"direct", options.direct},
                                   {"import", options.import_dir},
                                   {"depth", options.depth_source},
                                   {"compression", options.compression.text()}};
  const labels::FlowLabelSummary summary = labels::make_flow_labels(options, resolved);
  if (options.import_dir.empty()) {
    std::printf("flow       %s, %lld flow fields, %.3f s each\n", options.method.c_str(),
                static_cast<long long>(summary.flow_computations), summary.seconds_per_flow);
  } else {
    std::printf("flow       imported from %s, %lld flow fields, %.3f s each\n", options.import_dir.c_str(),
                static_cast<long long>(summary.flow_computations), summary.seconds_per_flow);
  }
  std::printf("pairs      %s: %lld labelled rows, %.2f frame pairs per label\n",
              summary.through_sweeps ? "keyframe to keyframe through the sweeps" : "direct",
              static_cast<long long>(summary.labelled_rows), summary.mean_steps);
  std::printf("consistent %.4f of pixels with a neighbour frame\n", summary.consistent_fraction);
  std::printf("static     depth from %s; movable from %s; dynamic %.4f of pixels (threshold %.2f px)\n",
              summary.depth_source.c_str(), summary.movable_source.c_str(), summary.dynamic_fraction,
              summary.dynamic_threshold_px);
  if (summary.has_report) {
    std::printf(
        "trackable  %.4f of pixels have a visible true target, %.4f of those consistent; %.4f have no depth "
        "(sky)\n",
        summary.trackable_fraction, summary.trackable_consistent_fraction, summary.no_depth_fraction);
    print_error("static pixels", summary.static_error);
    print_error("dynamic pixels", summary.dynamic_error);
    print_error("static, consistent only", summary.static_error_consistent);
    print_error("dynamic, consistent only", summary.dynamic_error_consistent);
    std::printf("%-26s IoU %7.3f      precision %.3f   recall %.3f   (%lld px moving)\n",
                "dynamic mask vs moving", summary.dynamic_iou, summary.dynamic_precision,
                summary.dynamic_recall, static_cast<long long>(summary.moving_pixels));
  }
}

}  // namespace occ::cmd
