// occ prep: turn a dataset into a frames file. Subcommands: synth (the
// embedded synthetic driving world), nuscenes (prep_nuscenes.cpp),
// kitti-mot (prep_kitti.cpp), semantickitti (prep_semantickitti.cpp),
// merge (prep_merge.cpp).
#include <cmath>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "datasets/synth/writer.h"
#include "prep_kitti.h"
#include "prep_merge.h"
#include "prep_nuscenes.h"
#include "prep_semantickitti.h"

namespace occ::cmd {
namespace {

void run_synth(const synth::SynthOptions& options) {
  const synth::SynthReport report = synth::write_synth_dataset(options);
  const auto& s = report.seconds;
  log::info("wrote ", report.frames, " frames (", report.lidar_points, " LiDAR points, ", report.boxes,
            " boxes) to ", occ::quoted(options.output), " in ", std::round(report.total_seconds * 10) / 10,
            " s");
  log::verbose("seconds per stage: scene ", s.scene, ", occupancy ", s.occupancy, ", masks ", s.masks,
               ", rendering ", s.rendering, ", lidar ", s.lidar, ", writing ", s.writing);
}

void add_synth(CLI::App& prep, const std::shared_ptr<synth::SynthOptions>& options) {
  CLI::App* synth =
      prep.add_subcommand("synth", "generate the synthetic driving world with exact ground truth");
  synth->fallthrough();  // global options (-j, -v) may follow the subcommand
  synth->add_option("-o,--output", options->output, "frames file to write (HDF5)")->required();
  synth->add_option("--scenes", options->scenes, "number of scenes, each its own world");
  synth->add_option("--frames-per-scene", options->frames_per_scene, "keyframes per scene");
  synth->add_option("--seed", options->seed, "random seed: same seed and options give the same data");
  synth->add_option("--rig", options->rig,
                    "sensor rig: nuscenes (6 cameras, Occ3D grid) or kitti (1 camera, SemanticKITTI grid)");
  synth->add_option("--image-size", options->image_size,
                    "image height x width, e.g. 96x176 (default: nuscenes 96x176, kitti 96x320)");
  synth->add_option("--fps", options->fps, "keyframes per second");
  synth->add_option("--sweeps", options->sweeps, "unannotated frames between consecutive keyframes");
  synth->add_option("--grid", options->grid,
                    "occupancy grid: occ3d, semantickitti or X,Y,Z,VOXEL_M,OX,OY,OZ (default: the rig's)");
  synth->add_option("--compression", options->compression, "HDF5 compression: none, deflate[:N] or zstd[:N]");
}

}  // namespace

Runner register_prep(CLI::App& app) {
  auto synth_options = std::make_shared<synth::SynthOptions>();
  app.require_subcommand(1);
  add_synth(app, synth_options);
  const Runner nuscenes = add_prep_nuscenes(app);
  const Runner kitti_tracking = add_prep_kitti_tracking(app);
  const Runner semantickitti = add_prep_semantickitti(app);
  const Runner merge = add_prep_merge(app);
  return [&app, synth_options, nuscenes, kitti_tracking, semantickitti, merge] {
    if (app.got_subcommand("synth")) run_synth(*synth_options);
    nuscenes();
    kitti_tracking();
    semantickitti();
    merge();
  };
}

}  // namespace occ::cmd
