#include "train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <torch/nn/module.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/signals.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "metrics/layer_prior.h"
#include "models/class_counts_consumer.h"
#include "models/occupancy_model.h"
#include "models/registry.h"
#include "train/adamw.h"
#include "train/data_loader.h"
#include "train/device.h"
#include "train/distributed.h"
#include "train/flow_label_file.h"
#include "train/superpixel_masks.h"
#include "train/train_settings.h"
#include "train/validation.h"

namespace occ::train {
namespace {

at::Tensor cpu_generator_state() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_cpu_generator_state(const at::Tensor& state) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

// Every trainable parameter of every group, named by its module path.
std::vector<NamedParameter> named_parameters(models::OccupancyModel& model) {
  std::unordered_map<const void*, std::string> names;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    names[item.value().unsafeGetTensorImpl()] = item.key();
  }
  std::vector<NamedParameter> parameters;
  for (const auto& group : model.parameter_groups()) {
    for (const at::Tensor& parameter : group.parameters) {
      const auto found = names.find(parameter.unsafeGetTensorImpl());
      if (found == names.end())
        throw Error(str("parameter group ", quoted(group.name), " holds a foreign tensor"));
      parameters.push_back({found->second, parameter, group.lr_multiplier, group.name});
    }
  }
  return parameters;
}

// Averages of the loss terms and the gradient norm since the last log row.
struct RunningTerms {
  std::vector<std::string> order;
  std::map<std::string, double> sums;
  int64_t steps = 0;

  void add(const std::string& name, double value) {
    if (sums.find(name) == sums.end()) order.push_back(name);
    sums[name] += value;
  }
  double mean(const std::string& name) const {
    return sums.at(name) / static_cast<double>(std::max<int64_t>(steps, 1));
  }
  void clear() {
    for (auto& [name, sum] : sums) sum = 0;
    steps = 0;
  }
};

class Trainer {
 public:
  explicit Trainer(const TrainRequest& request)
      : request_(request),
        device_(parse_device(request.device)),
        environment_(distributed_environment_from_env()) {}

  TrainResult run();

 private:
  void build();
  void train_step();
  void log_row(bool validate);
  void save(const char* why);
  // Sets each parameter's multiplier for the stage of the coming update.
  void apply_stage();
  bool leader() const { return environment_.rank == 0; }
  // Averages loss terms, gradients etc. over the processes (no-op alone).
  void average(std::vector<at::Tensor>& tensors) {
    if (group_) group_->average(tensors);
  }
  std::vector<at::Tensor> buffers() {
    std::vector<at::Tensor> tensors;
    for (const auto& buffer : model_->buffers()) tensors.push_back(buffer);
    return tensors;
  }
  [[noreturn]] void non_finite(const std::string& what, double value) const;

  const TrainRequest& request_;
  c10::Device device_;
  DistributedEnvironment environment_;
  std::unique_ptr<ProcessGroup> group_;
  models::GridSpec grid_;
  ModelFileContents contents_;
  TrainSettings train_;
  DataSettings data_;
  std::shared_ptr<models::OccupancyModel> model_;
  std::unique_ptr<AdamW> optimizer_;
  std::unique_ptr<BatchLoader> loader_;
  models::ModelInputs inputs_;    // what the model reads besides frames
  std::string masks_path_;        // the training loader's masks ("" : none)
  std::string flow_labels_path_;  // the training loader's flow labels ("" : none)
  RunningTerms running_;
  std::vector<double> group_multipliers_;  // the model's multiplier per optimiser parameter
  int64_t step_ = 0;
  int64_t saved_step_ = -1;  // step of the checkpoint at the output path (-1: none yet)
  double last_lr_ = 0;
  std::chrono::steady_clock::time_point row_start_ = std::chrono::steady_clock::now();
};

// Fails before any training when the model file could not be written at the
// end (a run of hours must not die at its first checkpoint).
void require_writable_output(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(folder)) {
    throw IoError(
        str("cannot write ", quoted(path), ": folder ", quoted(folder.string()), " does not exist"));
  }
  if (access(folder.c_str(), W_OK) != 0) {
    throw IoError(
        str("cannot write ", quoted(path), ": folder ", quoted(folder.string()), " is not writable"));
  }
}

void Trainer::build() {
  if (leader()) require_writable_output(request_.output_path);
  grid_ = grid_of_frames_file(request_.frames_path);
  const FramesFile frames(request_.frames_path);
  at::Tensor rng_state;
  if (!request_.resume_path.empty()) {
    LoadedModel loaded = load_model_file(request_.resume_path);
    if (!loaded.contents.frames_uuid.empty() && loaded.contents.frames_uuid != frames.uuid()) {
      throw UsageError(str("--resume ", quoted(request_.resume_path),
                           " was trained on another frames file (uuid ", loaded.contents.frames_uuid,
                           ") than ", quoted(request_.frames_path), " (uuid ", frames.uuid(), ")"));
    }
    contents_ = loaded.contents;
    contents_.config =
        resume_run_config(contents_.config, request_.config.assignments, request_.config.config_file);
    model_ = loaded.model;
    step_ = contents_.step;
  } else {
    contents_.model_kind = models::find_model_kind(request_.config.model_kind).name;
    contents_.config = resolve_run_config(request_.config, grid_);
    contents_.grid = grid_;
    contents_.frames_uuid = frames.uuid();
  }
  train_ = parse_train_section(contents_.config["train"]);
  data_ = parse_data_section(contents_.config["data"]);
  inputs_ = models::find_model_kind(contents_.model_kind).inputs(contents_.config["model"]);
  masks_path_ = masks_for_model(inputs_, contents_.model_kind, request_.masks_path);
  flow_labels_path_ = flow_labels_for_model(inputs_, contents_.model_kind, request_.flow_labels_path);
  // Side files of another frames file fail now, not after the model is built.
  if (!masks_path_.empty()) const SuperpixelMasks opened_to_check(masks_path_, frames);
  if (!flow_labels_path_.empty()) const FlowLabelFile opened_to_check(flow_labels_path_, frames);
  const std::vector<int64_t> rows =
      training_rows(models::find_model_kind(contents_.model_kind), inputs_, request_.frames_path);
  if (!model_) {
    // The seed fixes the initial weights too.
    at::manual_seed(train_.seed);
    model_ = models::find_model_kind(contents_.model_kind).create(contents_.config["model"], grid_);
    if (!request_.backbone_weights.empty()) model_->load_backbone_weights(request_.backbone_weights);
    if (!request_.init_from.empty()) {
      const WarmStart warm = init_from_model_file(request_.init_from, *model_, request_.init_strict);
      log::info(str("--init-from ", quoted(request_.init_from), ": ", warm.loaded, " tensors loaded, ",
                    warm.missing.size(), " missing, ", warm.unexpected.size(), " unexpected, ",
                    warm.mismatched.size(), " of another shape"));
      for (const std::string& name : warm.mismatched) log::debug("--init-from: shape differs: ", name);
      for (const std::string& name : warm.missing) log::debug("--init-from: missing: ", name);
    }
  } else if (!request_.backbone_weights.empty()) {
    throw UsageError("--backbone-weights starts a run; a resumed run keeps its weights");
  } else if (!request_.init_from.empty()) {
    throw UsageError("--init-from starts a run; a resumed run keeps its weights");
  }
  auto* weighted = dynamic_cast<models::ClassCountsConsumer*>(model_.get());
  if (weighted != nullptr && weighted->wants_class_counts()) {
    // Counted again on resume: the same frames file (uuid checked above).
    const std::vector<int64_t> counts = metrics::class_counts_of_frames(request_.frames_path, rows);
    weighted->set_class_counts(counts);
    log::info(str("class counts of the ", rows.size(),
                  " training frames (camera-visible voxels): ", join(counts, " ")));
  }
  model_->to(device_);
  if (environment_.enabled()) {
    group_ = std::make_unique<ProcessGroup>(environment_);
    // Every rank starts from rank 0's weights (the seed already makes them
    // equal; this also covers --backbone-weights read by one file system).
    std::vector<at::Tensor> state = model_->parameters();
    for (const at::Tensor& buffer : buffers()) state.push_back(buffer);
    group_->broadcast_from_rank0(state);
  }
  optimizer_ = std::make_unique<AdamW>(named_parameters(*model_), train_.optimizer);
  std::set<std::string> groups;
  for (const NamedParameter& parameter : optimizer_->parameters()) {
    group_multipliers_.push_back(parameter.lr_multiplier);
    groups.insert(parameter.group);
  }
  for (const TrainStage& stage : train_.stages) {
    for (const auto& [group, multiplier] : stage.lr_multipliers) {
      if (groups.count(group) == 0) {
        throw UsageError(str("train.stages: the ", contents_.model_kind, " model has no parameter group ",
                             quoted(group), " (it has ",
                             join(std::vector<std::string>(groups.begin(), groups.end()), ", "), ")"));
      }
    }
  }
  if (!request_.resume_path.empty()) {
    load_training_state(request_.resume_path, *optimizer_, rng_state);
    if (optimizer_->steps() != step_) {
      throw FormatError(str(quoted(request_.resume_path), ": optimiser state is at step ",
                            optimizer_->steps(), ", the model at step ", step_));
    }
    set_cpu_generator_state(rng_state);
    saved_step_ = step_;
  }
  if (step_ >= train_.steps) {
    throw UsageError(str("the run has done ", step_, " of ", train_.steps,
                         " steps already; raise them with --set train.steps=N to continue"));
  }
  LoaderOptions options;
  options.batch_size = train_.batch_size;
  options.seed = train_.seed;
  options.workers = data_.workers;
  options.prefetch = data_.prefetch;
  options.rank = environment_.rank;
  options.world_size = environment_.world_size;
  options.masks_path = masks_path_;
  options.flow_labels_path = flow_labels_path_;
  options.ask_for(inputs_, /*training=*/true);
  options.with_targets =
      models::find_model_kind(contents_.model_kind).supervision == models::Supervision::semantic;
  loader_ = std::make_unique<BatchLoader>(request_.frames_path, rows, data_.image, options,
                                          step_ * train_.accumulate);
}

void Trainer::non_finite(const std::string& what, double value) const {
  const std::string kept = saved_step_ >= 0 ? str("the checkpoint of step ", saved_step_, " in ",
                                                  quoted(request_.output_path), " is kept")
                                            : std::string("no checkpoint was written");
  throw Error(str("step ", step_ + 1, ": ", what, " is ", value, " (not finite); training stopped, ", kept));
}

void Trainer::train_step() {
  model_->train();
  optimizer_->zero_grad();
  if (group_) {
    // As DistributedDataParallel(broadcast_buffers=True): BN statistics follow rank 0.
    std::vector<at::Tensor> state = buffers();
    group_->broadcast_from_rank0(state);
  }
  std::vector<std::string> names;
  std::vector<double> values;
  model_->on_step(step_);
  for (int pass = 0; pass < train_.accumulate; ++pass) {
    std::optional<models::Batch> batch = loader_->next();
    if (!batch) throw Error("the training loader ended early");
    const models::Batch on_device = batch->to(device_);
    const models::ModelOutput output = model_->forward(on_device);
    const models::LossTerms terms = model_->losses(output, on_device);
    at::Tensor total;
    for (size_t i = 0; i < terms.size(); ++i) {
      if (pass == 0) {
        names.push_back(terms[i].first);
        values.push_back(0.0);
      }
      values[i] += terms[i].second.item<double>() / train_.accumulate;
      total = total.defined() ? total + terms[i].second : terms[i].second;
    }
    (total / static_cast<double>(train_.accumulate)).backward();
  }
  // Loss values and gradients averaged over the processes; every rank sees
  // the same numbers, so all of them take the same decisions below.
  std::vector<at::Tensor> reduced{at::tensor(values, at::kDouble)};
  std::vector<at::Tensor> gradients;
  if (group_) {
    for (const auto& named : optimizer_->parameters()) {
      at::Tensor parameter = named.parameter;
      // Every rank must reduce the same tensors; alone, a parameter without
      // a gradient is simply left out of the update.
      if (!parameter.grad().defined()) parameter.mutable_grad() = at::zeros_like(parameter);
      gradients.push_back(parameter.grad());
    }
  }
  average(reduced);
  average(gradients);
  double total_value = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const double value = reduced[0][static_cast<int64_t>(i)].item<double>();
    if (!std::isfinite(value)) non_finite(str("loss term ", quoted(names[i])), value);
    running_.add(names[i], value);
    total_value += value;
  }
  running_.add("loss", total_value);
  const double norm =
      clip_gradient_norm(optimizer_->parameters(),
                         train_.grad_clip > 0 ? train_.grad_clip : std::numeric_limits<double>::infinity());
  if (!std::isfinite(norm)) non_finite("the gradient norm", norm);
  running_.add("grad_norm", norm);
  last_lr_ = train_.schedule.at(step_);
  apply_stage();
  optimizer_->step(last_lr_);
  ++step_;
  ++running_.steps;
}

void Trainer::apply_stage() {
  const std::map<std::string, double> scheduled = model_->lr_multipliers_at(step_);
  if (train_.stages.empty() && scheduled.empty()) return;
  const TrainStage* stage = train_.stage_at(step_);
  for (size_t i = 0; i < group_multipliers_.size(); ++i) {
    const NamedParameter& parameter = optimizer_->parameters()[i];
    double multiplier = group_multipliers_[i];
    const auto own = scheduled.find(parameter.group);
    if (own != scheduled.end()) multiplier = own->second;
    if (stage != nullptr) {
      const auto found = stage->lr_multipliers.find(parameter.group);
      if (found != stage->lr_multipliers.end()) multiplier = found->second;
    }
    optimizer_->set_lr_multiplier(i, multiplier);
  }
}

void Trainer::log_row(bool validate) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - row_start_).count();
  LogRow row{{"step", static_cast<double>(step_)}, {"lr", last_lr_}};
  for (const std::string& name : running_.order) row.emplace_back(name, running_.mean(name));
  row.emplace_back("seconds_per_step", seconds / static_cast<double>(std::max<int64_t>(running_.steps, 1)));
  // Every validation column of the kind, NaN on rows without validation
  // (a column keeps its place in the log).
  const models::ModelKind& kind = models::find_model_kind(contents_.model_kind);
  std::vector<std::pair<std::string, double>> scores;
  for (const std::string& metric : kind.validation) {
    if (metric == "miou") scores.emplace_back("val_miou", std::nan(""));
    if (metric == "depth") {
      for (const char* column : {"val_depth_abs_rel", "val_depth_sq_rel", "val_depth_rmse"})
        scores.emplace_back(column, std::nan(""));
    }
  }
  if (validate && leader()) {
    LoaderOptions options = LoaderOptions::single_pass(train_.batch_size);
    options.workers = data_.workers;
    options.prefetch = data_.prefetch;
    // What the model reads at inference (history, neighbours); masks and
    // flow labels only serve training losses.
    options.ask_for(inputs_, /*training=*/false);
    for (const std::string& metric : kind.validation) {
      if (metric == "miou") {
        BatchLoader val(request_.val_path, rows_with_targets(request_.val_path), data_.image, options);
        const double miou = evaluate_miou(*model_, val, grid_, device_).miou;
        for (auto& [column, value] : scores)
          if (column == "val_miou") value = miou;
        log::info(str("step ", step_, ": validation mIoU ", miou * 100.0, " on ", quoted(request_.val_path)));
      } else if (metric == "depth") {
        LoaderOptions depth_options = options;
        depth_options.with_targets = false;
        BatchLoader val(request_.val_path, keyframe_rows(request_.val_path), data_.image, depth_options);
        const DepthValidation depth = evaluate_depth(*model_, val, request_.val_path, device_);
        for (auto& [column, value] : scores) {
          if (column == "val_depth_abs_rel") value = depth.abs_rel;
          if (column == "val_depth_sq_rel") value = depth.sq_rel;
          if (column == "val_depth_rmse") value = depth.rmse;
        }
        log::info(str("step ", step_, ": validation depth AbsRel ", depth.abs_rel, " RMSE ", depth.rmse,
                      " on ", quoted(request_.val_path)));
      } else {
        throw Error(str("the ", kind.name, " kind declares an unknown validation metric ", quoted(metric)));
      }
    }
  }
  for (const auto& score : scores) row.push_back(score);
  for (const auto& [column, value] : row) {
    auto& values = contents_.log[column];
    // A column that appears later (a new loss term) is padded with NaN.
    values.resize(static_cast<size_t>(contents_.log["step"].size() - (column == "step" ? 0 : 1)),
                  std::nan(""));
    values.push_back(value);
  }
  if (request_.on_log && leader()) request_.on_log(step_, row);
  running_.clear();
  row_start_ = std::chrono::steady_clock::now();
}

void Trainer::save(const char* why) {
  contents_.step = step_;
  if (leader()) {  // only rank 0 writes
    save_model_file(request_.output_path, contents_, *model_, optimizer_.get(), cpu_generator_state(),
                    request_.provenance);
    log::debug(str("checkpoint (", why, ") at step ", step_, " in ", quoted(request_.output_path)));
  }
  saved_step_ = step_;
}

TrainResult Trainer::run() {
  // From the start, so a Ctrl-C while the model is built still ends with a
  // checkpoint after the first step rather than with nothing.
  set_cooperative_interrupt(true);
  struct Restore {
    ~Restore() { set_cooperative_interrupt(false); }
  } restore;
  // Subnormal floats make CPU training crawl (see nn::apply_thread_budget).
  at::globalContext().setFlushDenormal(true);
  build();

  ProgressStyle style;
  if (request_.quiet || !leader()) style.mode = ProgressStyle::Mode::silent;
  Progress progress("train", train_.steps - step_, style);
  const int64_t first_step = step_;
  TrainResult result;
  while (step_ < train_.steps) {
    try {
      train_step();
    } catch (...) {
      progress.cancel();
      throw;
    }
    progress.advance();
    progress.set_status(str("loss ", running_.mean("loss"), " lr ", last_lr_));
    const bool last = step_ == train_.steps;
    const bool validate =
        !request_.val_path.empty() && (last || (train_.val_every > 0 && step_ % train_.val_every == 0));
    if (validate || last || step_ % train_.log_every == 0) log_row(validate);
    if (last) break;
    // Every rank must stop at the same step: the decision is collective.
    const bool interrupted =
        group_ ? group_->max(interrupt_requested() ? 1.0 : 0.0) > 0 : interrupt_requested();
    if (interrupted) {
      result.interrupted = true;
      break;
    }
    if (request_.stop_after_steps > 0 && step_ - first_step >= request_.stop_after_steps) break;
    if (train_.checkpoint_every > 0 && step_ % train_.checkpoint_every == 0) save("periodic");
  }
  progress.finish();
  if (running_.steps > 0) log_row(false);
  save(result.interrupted ? "interrupted" : "end");
  result.step = step_;
  result.finished = step_ >= train_.steps;
  result.log = contents_.log;
  return result;
}

}  // namespace

std::string masks_for_model(const models::ModelInputs& needs, const std::string& model_kind,
                            const std::string& masks_path) {
  if (needs.masks && masks_path.empty()) {
    throw UsageError(str("the ", model_kind,
                         " model reads superpixel masks: give --masks FILE (made by occ cluster-masks "
                         "from the --frames file)"));
  }
  if (!needs.masks && !masks_path.empty()) {
    log::warn("--masks ", quoted(masks_path), " is ignored: the ", model_kind,
              " model (with this configuration) does not read masks");
    return "";
  }
  return masks_path;
}

std::string flow_labels_for_model(const models::ModelInputs& needs, const std::string& model_kind,
                                  const std::string& flow_path) {
  if (needs.flow_labels && flow_path.empty()) {
    throw UsageError(
        str("the ", model_kind,
            " model reads optical-flow labels: give --flow FILE (made by occ flow-labels from the "
            "--frames file)"));
  }
  if (!needs.flow_labels && !flow_path.empty()) {
    log::warn("--flow ", quoted(flow_path), " is ignored: the ", model_kind,
              " model (with this configuration) does not read flow labels");
    return "";
  }
  return flow_path;
}

std::vector<int64_t> training_rows(const models::ModelKind& kind, const models::ModelInputs& inputs,
                                   const std::string& frames_path) {
  if (kind.supervision == models::Supervision::semantic) {
    std::vector<int64_t> rows = rows_with_targets(frames_path);
    if (rows.empty())
      throw FormatError(str(quoted(frames_path),
                            " has no occupancy targets ('/occupancy/semantics'), which the ", kind.name,
                            " model trains on"));
    return rows;
  }
  std::vector<int64_t> rows = rows_with_neighbours(frames_path, inputs.neighbour_offsets);
  if (rows.empty())
    throw FormatError(str(quoted(frames_path),
                          " has no keyframe with a neighbour keyframe in its scene, which the ", kind.name,
                          " model needs to train"));
  return rows;
}

TrainResult run_training(const TrainRequest& request) {
  Trainer trainer(request);
  return trainer.run();
}

}  // namespace occ::train
