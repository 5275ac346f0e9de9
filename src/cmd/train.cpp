// occ train: fit a model (baseline, and later ProtoOcc and Let Occ Flow) on a
// frames file; writes a model file with checkpoints, optimiser state and the
// training log.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "core/error.h"
#include "core/strings.h"
#include "train/data_loader.h"
#include "train/distributed.h"
#include "train/log_sinks.h"
#include "train/trainer.h"

namespace occ::cmd {
namespace {

// ProtoOcc's ablation switches (the rows of the paper's Tables 4 and 5), as
// shorthands for --set model.<key>=... .
struct ProtoOccSwitches {
  bool no_mapping = false;
  bool no_optimisation = false;
  bool no_decoding = false;
  std::string augmentations;  // empty: the configuration's
};

struct TrainCli {
  train::TrainRequest request;
  train::LogSinkPaths sinks;
  bool print_config = false;
  int nproc = 1;
  ProtoOccSwitches protoocc;
};

// Appends the switches to the --set assignments (after the user's, so they
// win).
void apply_protoocc_switches(const ProtoOccSwitches& switches, train::ConfigRequest& config) {
  std::vector<std::string> assignments;
  // Optimisation works on mapped prototypes: no mapping, no optimisation.
  if (switches.no_mapping)
    assignments.insert(assignments.end(), {"model.proto_mapping=false", "model.proto_optimisation=false"});
  if (switches.no_optimisation) assignments.push_back("model.proto_optimisation=false");
  if (switches.no_decoding) assignments.push_back("model.mod=false");
  if (!switches.augmentations.empty())
    assignments.push_back("model.mod_augmentations=" + switches.augmentations);
  if (assignments.empty()) return;
  if (config.model_kind != "protoocc")
    throw UsageError(
        "--no-proto-mapping, --no-proto-opt, --no-mod and --aug are ProtoOcc switches "
        "(--model protoocc)");
  config.assignments.insert(config.assignments.end(), assignments.begin(), assignments.end());
}

nlohmann::json provenance(const train::TrainRequest& request, const train::LogSinkPaths& sinks) {
  return {{"frames", request.frames_path},
          {"val", request.val_path},
          {"masks", request.masks_path},
          {"resume", request.resume_path},
          {"backbone_weights", request.backbone_weights},
          {"model", request.config.model_kind},
          {"size", request.config.size},
          {"config", request.config.config_file},
          {"set", request.config.assignments},
          {"device", request.device},
          {"stop_after_steps", request.stop_after_steps},
          {"csv", sinks.csv_path},
          {"tensorboard", sinks.tensorboard_dir}};
}

void run_train(TrainCli& cli) {
  auto& request = cli.request;
  if (cli.nproc < 1) throw UsageError("--nproc must be at least 1");
  if (cli.nproc > 1) {
    if (std::getenv("WORLD_SIZE") != nullptr)
      throw UsageError("--nproc cannot be used under WORLD_SIZE (torchrun, Slurm)");
    const int status = train::launch_local_ranks(cli.nproc);
    if (status == 130) throw InterruptedError("interrupted; rank 0 wrote a checkpoint");
    // Every rank checks the options (e.g. a missing --masks): keep exit status 2.
    if (status == 2) throw UsageError("a training process stopped on a usage error (its message is above)");
    if (status != 0) throw Error(str("a training process failed (exit status ", status, ")"));
    return;
  }
  apply_protoocc_switches(cli.protoocc, request.config);
  if (cli.print_config) {
    // Every key --config and --set accept, with the values this run would use.
    const auto config =
        train::resolve_run_config(request.config, train::grid_of_frames_file(request.frames_path));
    std::printf("%s\n", config.dump(2).c_str());
    return;
  }
  if (request.output_path.empty()) throw UsageError("-o/--output is required");
  if (request.stop_after_steps < 0) throw UsageError("--stop-after must be >= 0");
  request.provenance = provenance(request, cli.sinks);
  // Only rank 0 logs (and writes the model file).
  const bool leader = train::distributed_environment_from_env().rank == 0;
  train::LogSinks sinks(leader ? cli.sinks : train::LogSinkPaths{}, request.resume_path.empty()
                                                                        ? train::LogSinks::Mode::fresh
                                                                        : train::LogSinks::Mode::resume);
  request.on_log = [&sinks](int64_t step, const train::LogRow& row) { sinks.write(step, row); };
  const train::TrainResult result = train::run_training(request);
  const auto& log = result.log;
  auto last = [&](const char* column) {
    const auto found = log.find(column);
    return found == log.end() || found->second.empty() ? std::nan("") : found->second.back();
  };
  if (!leader) return;
  std::printf("model      %s\n", request.output_path.c_str());
  std::printf("steps      %lld%s\n", static_cast<long long>(result.step),
              result.finished ? ""
                              : (result.interrupted ? " (interrupted; --resume to continue)"
                                                    : " (stopped; --resume to continue)"));
  std::printf("loss       %.4f (last log row)\n", last("loss"));
  if (!request.val_path.empty()) std::printf("val mIoU   %.2f\n", last("val_miou") * 100.0);
  if (result.interrupted)
    throw InterruptedError(
        str("interrupted at step ", result.step, "; checkpoint written to ", quoted(request.output_path)));
}

}  // namespace

Runner register_train(CLI::App& app) {
  auto cli = std::make_shared<TrainCli>();
  auto& r = cli->request;
  app.add_option("--frames", r.frames_path, "training frames file (occ prep) with images and occupancy")
      ->required();
  app.add_option("-o,--output", r.output_path, "model file to write; checkpoints replace it atomically");
  app.add_option("--val", r.val_path,
                 "validation frames file: mIoU every train.val_every steps and at the end");
  app.add_option("--masks", r.masks_path,
                 "superpixel masks file (occ cluster-masks) made from the --frames file, for models that "
                 "read masks (ProtoOcc's prototype optimisation); ignored with a warning by others");
  app.add_option("--model", r.config.model_kind, "model kind: baseline or protoocc");
  app.add_option("--size", r.config.size, "size preset of the model: small (default), base, tiny or demo");
  app.add_option("--config", r.config.config_file,
                 "TOML file overriding configuration keys in [model], [data] and [train] sections");
  app.add_option("--set", r.config.assignments,
                 "override one configuration key, e.g. --set train.steps=500 --set model.embed_dims=128 "
                 "(repeatable; see occ-train(1) for the keys)");
  app.add_option("--resume", r.resume_path,
                 "continue the run saved in this model file exactly where it stopped (same frames file)");
  app.add_option("--backbone-weights", r.backbone_weights,
                 "image backbone weights saved from Python with torch.save (torchvision or mmdet names)");
  app.add_option("--device", r.device, "cpu, cuda or cuda:N (cuda needs a LibTorch built with CUDA)");
  app.add_option(
      "--nproc", cli->nproc,
      "data-parallel training with N processes on this machine (c10d Gloo); or start ranks yourself "
      "with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (torchrun/Slurm style)");
  app.add_option("--stop-after", r.stop_after_steps,
                 "stop after this many steps of this invocation with a checkpoint (0: run to the end)");
  app.add_option("--csv", cli->sinks.csv_path, "also write the training log to this CSV file");
  app.add_flag("--print-config", cli->print_config,
               "print the resolved configuration (every key --config and --set accept) as JSON and exit");
  app.add_option("--tensorboard", cli->sinks.tensorboard_dir,
                 "also write TensorBoard event files to this folder");
  auto* protoocc =
      app.add_option_group("ProtoOcc ablations", "shorthands for --set model.<key> (occ-train(1))");
  protoocc->add_flag("--no-proto-mapping", cli->protoocc.no_mapping,
                     "no prototype mapping (and so no prototype optimisation)");
  protoocc->add_flag("--no-proto-opt", cli->protoocc.no_optimisation,
                     "no prototype optimisation (no --masks)");
  protoocc->add_flag("--no-mod", cli->protoocc.no_decoding, "no multi-perspective occupancy decoding");
  protoocc->add_option("--aug", cli->protoocc.augmentations,
                       "augmented views of the decoding: dropout,noise,transpose,flip_x,flip_y (flip: both "
                       "flips) or none");
  return [cli] { run_train(*cli); };
}

}  // namespace occ::cmd
