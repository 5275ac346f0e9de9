// occ prep nuscenes: nuScenes v1.0 / Lyft Level5 tables and Occ3D labels
// into a frames file.
#include "prep_nuscenes.h"

#include "core/strings.h"
#include "datasets/nuscenes_prep.h"
#include "datasets/nuscenes_splits.h"
#include "prep_image_options.h"

namespace occ::cmd {

CLI::App* add_prep_nuscenes(CLI::App& prep, datasets::NuScenesPrepOptions* options) {
  CLI::App* app = prep.add_subcommand(
      "nuscenes", "read nuScenes v1.0 (or Lyft Level5) tables, images and Occ3D labels into a frames file");
  app->fallthrough();  // global options (-j, -v) may follow the subcommand
  app->add_option("--dataroot", options->dataroot, "dataset folder holding <version>/, samples/ and sweeps/")
      ->required();
  app->add_option("--version", options->version,
                  str("table folder below --dataroot: ", join(datasets::nuscenes_versions(), ", ")))
      ->capture_default_str();
  app->add_option("-o,--output", options->output, "frames file to write (HDF5)")->required();
  app->add_option("--occ3d", options->occ3d,
                  "Occ3D ground truth folder (gts) holding <scene>/<sample token>/labels.npz");
  app->add_option(
      "--openocc", options->openocc,
      "OpenOcc ground truth folder holding <scene>/<sample token>/labels.npz (semantics and flow); "
      "with --occ3d only its flow is used");
  app->add_flag("--sweeps", options->sweeps,
                "add a row (is_keyframe 0, no labels) for every non-key CAM_FRONT image, with each other "
                "camera's nearest non-key image");
  app->add_option(
      "--split", options->split,
      str("official scene split: ", join(datasets::nuscenes_split_names(), ", "), " (default: every scene)"));
  app->add_option("--scenes", options->scenes, "scene names to keep, comma-separated (scene-0061,...)")
      ->delimiter(',');
  app->add_flag("--lidar-points", options->lidar_points,
                "store each keyframe's LIDAR_TOP points in the ego frame");
  add_image_options(*app, options->embed_images, options->image_size);
  app->add_option("--compression", options->compression, "HDF5 compression: none, deflate[:N] or zstd[:N]")
      ->capture_default_str();
  app->add_option("--shard", options->shard,
                  "I/N: write part I of N (contiguous runs of the selected scenes); join parts in order with "
                  "occ prep merge");
  return app;
}

}  // namespace occ::cmd
