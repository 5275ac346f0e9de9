// occ prep: turn a dataset into a frames file. Subcommands: synth (the
// embedded synthetic driving world), nuscenes (prep_nuscenes.cpp),
// kitti-mot (prep_kitti.cpp), semantickitti (prep_semantickitti.cpp),
// merge (prep_merge.cpp). Their options; prep_run.cpp runs.
#include <string>

#include "prep.h"
#include "prep_kitti.h"
#include "prep_merge.h"
#include "prep_nuscenes.h"
#include "prep_semantickitti.h"

namespace occ::cmd {
namespace {

CLI::App* add_synth(CLI::App& prep, synth::SynthOptions* options) {
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
  return synth;
}

}  // namespace

void add_prep_options(CLI::App& app, PrepCli* cli) {
  app.require_subcommand(1);
  for (CLI::App* subcommand :
       {add_synth(app, &cli->synth), add_prep_nuscenes(app, &cli->nuscenes),
        add_prep_kitti_tracking(app, &cli->kitti_tracking), add_prep_semantickitti(app, &cli->semantickitti),
        add_prep_merge(app, &cli->merge)}) {
    const std::string name = subcommand->get_name();
    subcommand->parse_complete_callback([cli, name] { cli->subcommand = name; });
  }
}

}  // namespace occ::cmd
