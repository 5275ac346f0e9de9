// occ prep's runs (the data module): the chosen subcommand's reader or
// generator, then one line saying what it wrote.
#include <cmath>
#include <stdexcept>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "datasets/synth/writer.h"
#include "prep.h"

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

void run_nuscenes(const datasets::NuScenesPrepOptions& options) {
  const auto report = datasets::prep_nuscenes(options);
  log::info("wrote ", report.frames, " frames (", report.sweeps, " sweeps) of ", report.scenes, " scenes (",
            report.boxes, " boxes, ", report.lidar_points, " LiDAR points) to ", occ::quoted(options.output),
            " in ", report.seconds, " s");
}

void run_kitti_tracking(const datasets::KittiPrepOptions& options) {
  const auto report = datasets::prep_kitti_tracking(options);
  log::info("wrote ", report.frames, " frames of ", report.sequences, " sequences (", report.boxes,
            " boxes) to ", occ::quoted(options.output), " in ", report.seconds, " s");
}

void run_semantickitti(const datasets::SemanticKittiPrepOptions& options) {
  const auto report = datasets::prep_semantickitti(options);
  log::info("wrote ", report.frames, " frames of ", report.sequences, " sequences to ",
            occ::quoted(options.output), " in ", report.seconds, " s");
}

void run_merge(const datasets::MergeOptions& options) {
  const int64_t frames = datasets::merge_frames(options);
  log::info("wrote ", frames, " frames of ", options.inputs.size(), " parts to ",
            occ::quoted(options.output));
}

}  // namespace

void run_prep(PrepCli& cli) {
  if (cli.subcommand == "synth") {
    run_synth(cli.synth);
  } else if (cli.subcommand == "nuscenes") {
    run_nuscenes(cli.nuscenes);
  } else if (cli.subcommand == "kitti-mot") {
    run_kitti_tracking(cli.kitti_tracking);
  } else if (cli.subcommand == "semantickitti") {
    run_semantickitti(cli.semantickitti);
  } else if (cli.subcommand == "merge") {
    run_merge(cli.merge);
  } else {
    throw std::logic_error("occ prep has no subcommand " + quoted(cli.subcommand));
  }
}

}  // namespace occ::cmd
