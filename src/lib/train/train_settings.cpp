#include "train/train_settings.h"

#include "core/error.h"
#include "core/strings.h"

namespace occ::train {
namespace {

int64_t positive(const nlohmann::json& section, const std::string& key, const std::string& prefix) {
  const int64_t value = section.at(key).get<int64_t>();
  if (value < 1) throw UsageError(str(prefix, key, " must be at least 1, not ", value));
  return value;
}

int64_t non_negative(const nlohmann::json& section, const std::string& key, const std::string& prefix) {
  const int64_t value = section.at(key).get<int64_t>();
  if (value < 0) throw UsageError(str(prefix, key, " must be >= 0, not ", value));
  return value;
}

}  // namespace

nlohmann::json default_train_section() {
  return {
      {"steps", 1000},
      {"batch_size", 1},
      {"accumulate", 1},
      {"seed", 0},
      {"grad_clip", 35.0},
      {"checkpoint_every", 0},
      {"log_every", 10},
      {"val_every", 0},
      {"stages", nlohmann::json::array()},
      {"optimizer", {{"lr", 2e-4}, {"weight_decay", 0.01}, {"betas", {0.9, 0.999}}, {"eps", 1e-8}}},
      {"schedule",
       {{"kind", "cosine"},
        {"warmup_steps", 500},
        {"warmup_ratio", 1.0 / 3.0},
        {"min_lr_ratio", 1e-3},
        {"milestones", nlohmann::json::array()},
        {"gamma", 0.1}}},
  };
}

nlohmann::json default_data_section() {
  return {{"image", ImageOptions{}.to_json()}, {"workers", 1}, {"prefetch", 2}};
}

TrainSettings parse_train_section(const nlohmann::json& section) {
  const std::string prefix = "train.";
  TrainSettings settings;
  settings.steps = positive(section, "steps", prefix);
  settings.batch_size = static_cast<int>(positive(section, "batch_size", prefix));
  settings.accumulate = static_cast<int>(positive(section, "accumulate", prefix));
  settings.seed = static_cast<uint64_t>(non_negative(section, "seed", prefix));
  settings.grad_clip = section.at("grad_clip").get<double>();
  if (settings.grad_clip < 0) throw UsageError("train.grad_clip must be >= 0 (0: no clipping)");
  settings.checkpoint_every = non_negative(section, "checkpoint_every", prefix);
  settings.log_every = positive(section, "log_every", prefix);
  settings.val_every = non_negative(section, "val_every", prefix);

  const auto& optimizer = section.at("optimizer");
  const auto betas = optimizer.at("betas").get<std::vector<double>>();
  if (betas.size() != 2 || !(betas[0] >= 0 && betas[0] < 1) || !(betas[1] >= 0 && betas[1] < 1)) {
    throw UsageError("train.optimizer.betas must be two values in [0, 1)");
  }
  settings.optimizer.beta1 = betas[0];
  settings.optimizer.beta2 = betas[1];
  settings.optimizer.weight_decay = optimizer.at("weight_decay").get<double>();
  settings.optimizer.eps = optimizer.at("eps").get<double>();
  if (settings.optimizer.weight_decay < 0) throw UsageError("train.optimizer.weight_decay must be >= 0");
  if (!(settings.optimizer.eps > 0)) throw UsageError("train.optimizer.eps must be positive");

  const auto& schedule = section.at("schedule");
  settings.schedule.kind = schedule.at("kind").get<std::string>();
  settings.schedule.lr = optimizer.at("lr").get<double>();
  settings.schedule.total_steps = settings.steps;
  settings.schedule.warmup_steps = schedule.at("warmup_steps").get<int64_t>();
  settings.schedule.warmup_ratio = schedule.at("warmup_ratio").get<double>();
  settings.schedule.min_lr_ratio = schedule.at("min_lr_ratio").get<double>();
  settings.schedule.milestones = schedule.at("milestones").get<std::vector<int64_t>>();
  settings.schedule.gamma = schedule.at("gamma").get<double>();
  settings.schedule.validate();

  int64_t staged = 0;
  for (const auto& stage_json : section.at("stages")) {
    const std::string where = str("train.stages[", settings.stages.size(), "]");
    if (!stage_json.is_object()) throw UsageError(str(where, " must be a table {steps, lr_multipliers}"));
    TrainStage stage;
    for (const auto& [key, value] : stage_json.items()) {
      if (key == "steps" && value.is_number_integer() && value.get<int64_t>() >= 1) {
        stage.steps = value.get<int64_t>();
      } else if (key == "lr_multipliers" && value.is_object()) {
        for (const auto& [group, multiplier] : value.items()) {
          if (!multiplier.is_number() || multiplier.get<double>() < 0) {
            throw UsageError(str(where, ".lr_multipliers.", group, " must be a number >= 0"));
          }
          stage.lr_multipliers[group] = multiplier.get<double>();
        }
      } else {
        throw UsageError(str(where, ": unknown key or bad value ", quoted(key),
                             " (a stage has steps >= 1 and lr_multipliers {group = number})"));
      }
    }
    if (stage.steps < 1) throw UsageError(str(where, " needs steps >= 1"));
    staged += stage.steps;
    settings.stages.push_back(stage);
  }
  if (staged > settings.steps) {
    throw UsageError(str("train.stages cover ", staged, " steps, more than train.steps = ", settings.steps));
  }
  return settings;
}

const TrainStage* TrainSettings::stage_at(int64_t step) const {
  int64_t end = 0;
  for (const TrainStage& stage : stages) {
    end += stage.steps;
    if (step < end) return &stage;
  }
  return nullptr;
}

DataSettings parse_data_section(const nlohmann::json& section) {
  DataSettings settings;
  settings.image = ImageOptions::from_json(section.at("image"));
  settings.image.validate();
  settings.workers = static_cast<int>(positive(section, "workers", "data."));
  settings.prefetch = static_cast<int>(positive(section, "prefetch", "data."));
  return settings;
}

}  // namespace occ::train
