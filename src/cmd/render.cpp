// occ render: pictures and videos of frames, predictions and pseudo labels.
#include "render.h"
#include "common.h"

namespace occ::cmd {

void add_render_options(CLI::App& app, RenderCli* cli) {
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
}

}  // namespace occ::cmd
