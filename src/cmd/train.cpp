// occ train: fit a model of any registered kind (baseline, ProtoOcc, ...) on a
// frames file; writes a model file with checkpoints, optimiser state and the
// training log. The options, declared from the kinds' description
// (models/model_catalog.h) without LibTorch; train_run.cpp runs.
#include <memory>
#include <string>

#include "train.h"

namespace occ::cmd {

void add_train_options(CLI::App& app, TrainCli* cli) {
  TrainCli& r = *cli;
  app.add_option("--frames", r.frames_path, "training frames file (occ prep) with images and occupancy")
      ->required();
  app.add_option("-o,--output", r.output_path, "model file to write; checkpoints replace it atomically");
  app.add_option("--val", r.val_path,
                 "validation frames file: mIoU every train.val_every steps and at the end");
  app.add_option("--masks", r.masks_path,
                 "superpixel masks file (occ cluster-masks) made from the --frames file, for models that "
                 "read masks (ProtoOcc's prototype optimisation); ignored with a warning by others");
  std::string kinds;
  for (const models::KindDescription& kind : models::model_catalog())
    kinds += (kinds.empty() ? "" : ", ") + kind.name;
  app.add_option("--model", r.model_kind, "model kind: " + kinds);
  app.add_option(
      "--flow", r.flow_labels_path,
      "optical-flow label file (occ flow-labels) made from the --frames file, for models that read "
      "flow labels (Let Occ Flow); ignored with a warning by others");
  app.add_option("--init-from", r.init_from,
                 "start from the matching weights (same module path and shape) of another model file, e.g. "
                 "stage 2 from stage 1; prints loaded/missing/unexpected/mismatched counts");
  app.add_flag("--init-strict", r.init_strict, "with --init-from: every tensor must match both ways");
  app.add_option("--size", r.size, "size preset of the model: small (default), base, tiny or demo");
  app.add_option("--config", r.config_file,
                 "TOML file overriding configuration keys in [model], [data] and [train] sections");
  app.add_option("--set", r.assignments,
                 "override one configuration key, e.g. --set train.steps=500 --set model.embed_dims=128 "
                 "(repeatable; see occ-train(1) for the keys)")
      ->default_str("");  // no "=[]": the help of --set shows no default
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
  for (const models::KindDescription& kind : models::model_catalog()) {
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
}

}  // namespace occ::cmd
