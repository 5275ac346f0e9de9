// occ prep kitti-mot: KITTI tracking sequences into a frames file (its
// options; prep_run.cpp runs).
#include "prep_kitti.h"

#include "datasets/kitti_prep.h"
#include "prep_image_options.h"

namespace occ::cmd {

CLI::App* add_prep_kitti_tracking(CLI::App& prep, datasets::KittiPrepOptions* options) {
  CLI::App* app = prep.add_subcommand(
      "kitti-mot", "read KITTI tracking sequences (image_02, calib, oxts, label_02) into a frames file");
  app->fallthrough();  // global options (-j, -v) may follow the subcommand
  app->add_option(
         "--dataroot", options->dataroot,
         "KITTI tracking training/ or testing/ folder holding image_02/, calib/, oxts/ and label_02/")
      ->required();
  app->add_option("-o,--output", options->output, "frames file to write (HDF5)")->required();
  app->add_option("--sequences", options->sequences,
                  "sequences to read, comma-separated (0001,0002); default: every folder of image_02/")
      ->delimiter(',');
  add_image_options(*app, options->embed_images, options->image_size);
  add_velodyne_option(*app, options->lidar);
  app->add_option("--compression", options->compression, "HDF5 compression: none, deflate[:N] or zstd[:N]")
      ->capture_default_str();
  return app;
}

}  // namespace occ::cmd
