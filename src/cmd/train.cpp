// occ train: fit a model of any registered kind (baseline, ProtoOcc, ...) on a
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
#include "models/registry.h"
#include "train/data_loader.h"
#include "train/distributed.h"
#include "train/log_sinks.h"
#include "train/trainer.h"

namespace occ::cmd {
namespace {

// A kind's command-line shorthand (models::TrainSwitch) as the user gave it.
struct SwitchUse {
  const models::ModelKind* kind = nullptr;
  const models::TrainSwitch* option = nullptr;
  bool given = false;
  std::string value;
};

struct TrainCli {
  train::TrainRequest request;
  train::LogSinkPaths sinks;
  bool print_config = false;
  int nproc = 1;
  std::vector<std::unique_ptr<SwitchUse>> switches;
};

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
  std::string kinds;
  for (const models::ModelKind& kind : models::model_kinds())
    kinds += (kinds.empty() ? "" : ", ") + kind.name;
  app.add_option("--model", r.config.model_kind, "model kind: " + kinds);
  app.add_option(
      "--flow", r.flow_labels_path,
      "optical-flow label file (occ flow-labels) made from the --frames file, for models that read "
      "flow labels (Let Occ Flow); ignored with a warning by others");
  app.add_option("--init-from", r.init_from,
                 "start from the matching weights (same module path and shape) of another model file, e.g. "
                 "stage 2 from stage 1; prints loaded/missing/unexpected/mismatched counts");
  app.add_flag("--init-strict", r.init_strict, "with --init-from: every tensor must match both ways");
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
  // Each kind's shorthands, in an option group of its own.
  for (const models::ModelKind& kind : models::model_kinds()) {
    if (kind.switches.empty()) continue;
    auto* group =
        app.add_option_group(kind.switches_title, "shorthands for --set model.<key> (occ-train(1))");
    for (const models::TrainSwitch& option : kind.switches) {
      auto use = std::make_unique<SwitchUse>();
      use->kind = &kind;
      use->option = &option;
      SwitchUse* raw = use.get();
      if (option.takes_value) {
        group->add_option_function<std::string>(
            "--" + option.flag,
            [raw](const std::string& value) {
              raw->given = true;
              raw->value = value;
            },
            option.help);
      } else {
        group->add_flag_callback(
            "--" + option.flag, [raw] { raw->given = true; }, option.help);
      }
      cli->switches.push_back(std::move(use));
    }
  }
  return [cli] { run_train(*cli); };
}

}  // namespace occ::cmd
