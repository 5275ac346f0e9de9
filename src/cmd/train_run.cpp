// occ train's run (the torch module): the training loop, a local
// data-parallel launch (--nproc) or --print-config, and the summary.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "train.h"
#include "train/data_loader.h"
#include "train/distributed.h"
#include "train/log_sinks.h"
#include "train/trainer.h"

namespace occ::cmd {
namespace {

// Appends the given switches' assignments to --set (after the user's, so
// they win); a switch of another kind is a usage error.
void apply_switches(const std::vector<std::unique_ptr<SwitchUse>>& switches, train::ConfigRequest& config) {
  for (const auto& use : switches) {
    if (!use->given) continue;
    if (use->kind->name != config.model_kind)
      throw UsageError(str("--", use->option->flag, " is a switch of the ", use->kind->name,
                           " model (--model ", use->kind->name, ")"));
    const std::vector<std::string> assignments = use->option->assignments(use->value);
    config.assignments.insert(config.assignments.end(), assignments.begin(), assignments.end());
  }
}

nlohmann::json provenance(const train::TrainRequest& request, const train::LogSinkPaths& sinks) {
  return {{"frames", request.frames_path},
          {"val", request.val_path},
          {"masks", request.masks_path},
          {"flow", request.flow_labels_path},
          {"init_from", request.init_from},
          {"init_strict", request.init_strict},
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

// The request the trainer runs: the command line's values.
train::TrainRequest train_request(const TrainCli& cli) {
  train::TrainRequest request;
  request.frames_path = cli.frames_path;
  request.output_path = cli.output_path;
  request.val_path = cli.val_path;
  request.masks_path = cli.masks_path;
  request.flow_labels_path = cli.flow_labels_path;
  request.init_from = cli.init_from;
  request.init_strict = cli.init_strict;
  request.config.model_kind = cli.model_kind;
  request.config.size = cli.size;
  request.config.config_file = cli.config_file;
  request.config.assignments = cli.assignments;
  request.resume_path = cli.resume_path;
  request.backbone_weights = cli.backbone_weights;
  request.device = cli.device;
  request.stop_after_steps = cli.stop_after_steps;
  return request;
}

}  // namespace

void run_train(TrainCli& cli) {
  train::TrainRequest request = train_request(cli);
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
  apply_switches(cli.switches, request.config);
  if (cli.print_config) {
    // Every key --config and --set accept, with the values this run would use.
    const auto config =
        train::resolve_run_config(request.config, train::grid_of_frames_file(request.frames_path));
    std::printf("%s\n", config.dump(2).c_str());
    return;
  }
  if (request.output_path.empty()) throw UsageError("-o/--output is required");
  if (request.stop_after_steps < 0) throw UsageError("--stop-after must be >= 0");
  if (request.init_strict && request.init_from.empty()) throw UsageError("--init-strict needs --init-from");
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
  if (!request.val_path.empty()) {
    if (log.count("val_miou")) std::printf("val mIoU   %.2f\n", last("val_miou") * 100.0);
    if (log.count("val_depth_abs_rel"))
      std::printf("val depth  AbsRel %.4f RMSE %.3f m\n", last("val_depth_abs_rel"), last("val_depth_rmse"));
  }
  if (result.interrupted)
    throw InterruptedError(
        str("interrupted at step ", result.step, "; checkpoint written to ", quoted(request.output_path)));
}

}  // namespace occ::cmd
