// occ render: pictures and videos of frames, predictions and pseudo labels.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "core/strings.h"
#include "labels/cluster_masks.h"
#include "viz/render.h"

namespace occ::cmd {
namespace {

struct RenderCli {
  viz::RenderOptions options;
  int64_t frame = 0;
  std::string frames;  // "A:B", inclusive
  std::string voxel_size = "540x960";
};

// "12:40" -> (12, 40); throws UsageError.
std::pair<int64_t, int64_t> parse_range(const std::string& text) {
  const size_t colon = text.find(':');
  try {
    size_t used_a = 0, used_b = 0;
    const int64_t a = std::stoll(text.substr(0, colon), &used_a);
    const int64_t b = std::stoll(text.substr(colon + 1), &used_b);
    if (colon == std::string::npos || used_a != colon || used_b != text.size() - colon - 1)
      throw std::exception();
    return {a, b};
  } catch (const std::exception&) {
    throw UsageError(str("--frames must be FIRST:LAST, got ", quoted(text)));
  }
}

void run_render(RenderCli& cli) {
  auto& options = cli.options;
  if (!cli.frames.empty()) {
    std::tie(options.first_frame, options.last_frame) = parse_range(cli.frames);
  } else {
    options.first_frame = options.last_frame = cli.frame;
  }
  options.voxel_size = labels::parse_size(cli.voxel_size, "--voxel-size");
  const viz::RenderSummary summary = viz::render(options);
  std::printf("wrote %s: %lld frame%s of %dx%d in %.2f s (%.2f frames/s)\n", options.output.c_str(),
              static_cast<long long>(summary.frames), summary.frames == 1 ? "" : "s", summary.size.width,
              summary.size.height, summary.seconds, summary.frames / std::max(1e-9, summary.seconds));
}

}  // namespace

Runner register_render(CLI::App& app) {
  auto cli = std::make_shared<RenderCli>();
  auto& options = cli->options;
  app.add_option("input", options.input, "frames file (ground truth) or pred file (predictions)")->required();
  app.add_option("-o,--output", options.output,
                 "picture (.png, .jpg) for one frame or video (.mp4, .avi) for a range")
      ->required();
  app.add_option(
         "--view", options.views,
         "views, composed into one sheet: bev, voxels, cameras, depth, flow, masks, prototypes, compare")
      ->delimiter(',');
  app.add_option("--frame", cli->frame, "frame to draw (row of the input)");
  app.add_option("--frames", cli->frames, "inclusive range FIRST:LAST for a video");
  app.add_option("--gt", options.gt,
                 "frames file a pred input was made from (cameras, depth, masks, prototypes, compare)");
  app.add_option("--masks", options.masks,
                 "masks file (occ cluster-masks) for the masks view, drawn beside the prototypes view");
  app.add_option("--flow", options.flow, "flow file (occ flow-labels) for the flow view");
  app.add_flag("--camera-mask", options.camera_only, "draw only camera-visible voxels, as Occ3D evaluates");
  app.add_flag("--overlay", options.overlay, "cameras view: project the occupancy onto the images");
  app.add_option("--bev-scale", options.bev_pixels_per_voxel, "BEV pixels per voxel");
  app.add_option("--voxel-size", cli->voxel_size, "size HxW of the voxels view");
  app.add_option("--tile-width", options.camera_tile_width, "width of each camera image in rig views");
  app.add_option("--fps", options.fps, "video frames per second");
  add_config_option(app);
  return [cli] { run_render(*cli); };
}

}  // namespace occ::cmd
