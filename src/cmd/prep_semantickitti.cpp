// occ prep semantickitti: SemanticKITTI scene completion sequences into a frames file.
#include "prep_semantickitti.h"

#include "datasets/semantickitti_prep.h"
#include "prep_image_options.h"

namespace occ::cmd {

CLI::App* add_prep_semantickitti(CLI::App& prep, datasets::SemanticKittiPrepOptions* options) {
  CLI::App* app = prep.add_subcommand(
      "semantickitti",
      "read SemanticKITTI sequences (voxels, calib, poses, times, image_2) into a frames file");
  app->fallthrough();  // global options (-j, -v) may follow the subcommand
  app->add_option("--dataroot", options->dataroot, "folder holding sequences/<seq>/")->required();
  app->add_option("-o,--output", options->output, "frames file to write (HDF5)")->required();
  app->add_option("--sequences", options->sequences,
                  "sequences to read, comma-separated (08 is the val split); default: every one with voxels/")
      ->delimiter(',');
  add_image_options(*app, options->embed_images, options->image_size);
  add_velodyne_option(*app, options->lidar);
  app->add_option("--compression", options->compression, "HDF5 compression: none, deflate[:N] or zstd[:N]")
      ->capture_default_str();
  return app;
}

}  // namespace occ::cmd
