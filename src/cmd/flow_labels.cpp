// occ flow-labels: optical flow between keyframes (through the sweeps),
// forward-backward validity, static flow and dynamic masks for Let Occ Flow.
#include "flow_labels.h"
#include "common.h"

namespace occ::cmd {

void add_flow_labels_options(CLI::App& app, FlowLabelsCli* cli) {
  auto& options = cli->options;
  app.add_option("frames", options.frames_path,
                 "frames file (occ prep) with camera images and prev/next links; keyframes are labelled")
      ->required();
  app.add_option("-o,--output", options.output_path, "flow file to write (schema occ.flow)")->required();
  auto* method =
      app.add_option("--method", options.method, "optical flow: dis, deepflow, tvl1, rlof or farneback");
  app.add_option(
         "--import", options.import_dir,
         "read the optical flow another tool wrote instead of computing it: "
         "DIR/<next|prev>/<frame token>/<camera>.png (KITTI 16-bit), .flo (Middlebury) or .npy (HxWx2)")
      ->excludes(method);
  app.add_option("--pairs", options.pairs, "directions to compute: next, prev or both")->delimiter(',');
  app.add_option("--size", cli->size, "working and stored size HxW; default: the image size");
  app.add_option("--fb-alpha", options.fb_alpha, "forward-backward check: relative tolerance alpha");
  app.add_option("--fb-beta", options.fb_beta, "forward-backward check: absolute tolerance beta (px^2)");
  app.add_option("--dynamic-threshold", options.dynamic_threshold_px,
                 "pixels at --threshold-width: |flow - static flow| above this on movable objects marks them "
                 "dynamic");
  app.add_option("--threshold-width", options.threshold_width,
                 "image width the dynamic threshold is given at, scaled to the working width (Let Occ Flow: "
                 "8 px at 704); 0: the threshold is in working pixels");
  app.add_flag("--direct", options.direct,
               "flow between keyframes computed directly, not composed through the sweeps between them");
  app.add_option("--depth", options.depth_source,
                 "depth for static flow: auto, camera (/cameras/depth), lidar (projected points) or none");
  app.add_option("--compression", cli->compression, "none, deflate[:0-9] or zstd[:1-22]");
  app.add_flag(
      "--report", options.report,
      "print EPE and Fl outliers against the true flow, static and dynamic pixels (synthetic frames)");
  add_config_option(app);
}

}  // namespace occ::cmd
