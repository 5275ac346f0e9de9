// Size and speed of an occupancy model preset (issue 7): parameters per
// module, multiply-accumulates (MACs, the "FLOPs" papers quote) and wall time
// per forward stage (backbone, view transformation, decoder), peak memory,
// and optionally the time of a training step. One JSON object on stdout;
// scripts/bench_model.sh runs it per preset (one process each, so peak
// memory is per preset). No assertions: timings belong here, never to tests.
//
//   model_bench [--model baseline] [--size small] [--image 224x400] [--cameras 6]
//               [--grid 200,200,16] [--repeats 2] [--train-steps 0] [--threads 0]
//               [--set key=value ...]
// Models that read superpixel masks (ProtoOcc) get block masks in training.
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config_tree.h"
#include "models/occupancy_model.h"
#include "models/registry.h"
#include "nn/flop_counter.h"
#include "train/adamw.h"

namespace {

struct BenchOptions {
  std::string model = "baseline";
  std::string size = "small";
  int64_t height = 224, width = 400, cameras = 6;
  std::array<int64_t, 3> grid{200, 200, 16};
  int repeats = 2;
  int train_steps = 0;
  int threads = 0;
  std::vector<std::string> assignments;
};

// A ring of cameras 1.5 m above the ground looking outwards every 360/N
// degrees (nuScenes-like), so voxel queries hit every camera.
occ::models::Batch ring_batch(const BenchOptions& options) {
  const int64_t n = options.cameras;
  occ::models::Batch batch;
  batch.images = at::randn({1, n, 3, options.height, options.width});
  batch.intrinsics = at::zeros({1, n, 3, 3});
  batch.ego_from_camera = at::zeros({1, n, 4, 4});
  for (int64_t c = 0; c < n; ++c) {
    const double f = 0.8 * static_cast<double>(options.width);
    batch.intrinsics[0][c][0][0] = f;
    batch.intrinsics[0][c][1][1] = f;
    batch.intrinsics[0][c][0][2] = options.width / 2.0;
    batch.intrinsics[0][c][1][2] = options.height / 2.0;
    batch.intrinsics[0][c][2][2] = 1.0;
    const double yaw = 2.0 * M_PI * static_cast<double>(c) / static_cast<double>(n);
    const double cy = std::cos(yaw), sy = std::sin(yaw);
    // Columns: camera x (right), y (down), z (forward) in the ego frame.
    const double rotation[3][3] = {{sy, 0, cy}, {-cy, 0, sy}, {0, -1, 0}};
    for (int r = 0; r < 3; ++r) {
      for (int k = 0; k < 3; ++k) batch.ego_from_camera[0][c][r][k] = rotation[r][k];
    }
    batch.ego_from_camera[0][c][2][3] = 1.5;
    batch.ego_from_camera[0][c][3][3] = 1.0;
  }
  batch.frames = {0};
  return batch;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

BenchOptions parse(int argc, char** argv) {
  BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "model_bench: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--model") {
      options.model = value();
    } else if (flag == "--size") {
      options.size = value();
    } else if (flag == "--image") {
      const std::string text = value();
      if (std::sscanf(text.c_str(), "%ldx%ld", &options.height, &options.width) != 2) std::exit(2);
    } else if (flag == "--cameras") {
      options.cameras = std::atol(value().c_str());
    } else if (flag == "--grid") {
      const std::string text = value();
      if (std::sscanf(text.c_str(), "%ld,%ld,%ld", &options.grid[0], &options.grid[1], &options.grid[2]) !=
          3) {
        std::exit(2);
      }
    } else if (flag == "--repeats") {
      options.repeats = std::atoi(value().c_str());
    } else if (flag == "--train-steps") {
      options.train_steps = std::atoi(value().c_str());
    } else if (flag == "--threads") {
      options.threads = std::atoi(value().c_str());
    } else if (flag == "--set") {
      options.assignments.push_back(value());
    } else {
      std::fprintf(stderr, "model_bench: unknown option %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) try {
  const BenchOptions options = parse(argc, argv);
  at::globalContext().setFlushDenormal(true);
  if (options.threads > 0) at::set_num_threads(options.threads);
  occ::models::GridSpec grid;
  grid.shape = options.grid;
  const auto& kind = occ::models::find_model_kind(options.model);
  nlohmann::json config = kind.default_config(options.size, grid);
  nlohmann::json wrapped = {{"model", config}};
  for (const auto& assignment : options.assignments) occ::apply_assignment(wrapped, assignment);
  at::manual_seed(0);
  auto model = kind.create(wrapped["model"], grid);
  const occ::models::Batch batch = ring_batch(options);

  nlohmann::json report;
  report["model"] = options.model;
  report["size"] = options.size;
  report["image"] = {options.height, options.width};
  report["cameras"] = options.cameras;
  report["grid"] = options.grid;
  report["query_shape"] = wrapped["model"].value("query_shape", nlohmann::json());
  report["threads"] = at::get_num_threads();
  nlohmann::json parameters;
  for (const auto& child : model->named_children()) parameters[child.key()] = parameter_count(*child.value());
  parameters["total"] = parameter_count(*model);
  report["parameters"] = parameters;

  // MACs per stage: the counter's total read at each stage mark.
  {
    c10::NoGradGuard no_grad;
    model->eval();
    occ::models::StageClock clock;
    occ::nn::FlopCounter counter;
    std::map<std::string, int64_t> macs;
    int64_t before = 0;
    clock.set_listener([&](const std::string& stage) {
      const int64_t now = counter.total_macs();
      macs[stage] += now - before;
      before = now;
    });
    model->set_stage_clock(&clock);
    clock.start();
    model->forward(batch);
    model->set_stage_clock(nullptr);
    nlohmann::json gmacs;
    int64_t total = 0;
    for (const auto& [stage, count] : macs) {
      gmacs[stage] = static_cast<double>(count) / 1e9;
      total += count;
    }
    gmacs["total"] = static_cast<double>(total) / 1e9;
    report["gmacs"] = gmacs;
    report["macs_by_operator"] = counter.by_operator();
  }

  // Forward latency per stage: the median over the repeats (after the MAC pass
  // above, which also warmed up allocations).
  {
    c10::NoGradGuard no_grad;
    std::map<std::string, std::vector<double>> seconds;
    for (int r = 0; r < std::max(1, options.repeats); ++r) {
      occ::models::StageClock clock;
      model->set_stage_clock(&clock);
      clock.start();
      model->forward(batch);
      for (const auto& [stage, value] : clock.seconds()) seconds[stage].push_back(value);
    }
    model->set_stage_clock(nullptr);
    nlohmann::json latency;
    double total = 0;
    for (auto& [stage, values] : seconds) {
      std::sort(values.begin(), values.end());
      const double median = values[values.size() / 2];
      latency[stage] = median * 1000.0;
      total += median;
    }
    latency["total"] = total * 1000.0;
    report["forward_ms"] = latency;
  }

  if (options.train_steps > 0) {
    model->train();
    std::vector<occ::train::NamedParameter> named;
    for (const auto& group : model->parameter_groups()) {
      for (const auto& parameter : group.parameters)
        named.push_back({"p" + std::to_string(named.size()), parameter, group.lr_multiplier, group.name});
    }
    occ::train::AdamW optimizer(named, {});
    occ::models::Batch training = batch;
    training.semantics =
        at::randint(0, grid.num_classes, {1, grid.shape[0], grid.shape[1], grid.shape[2]}, at::kLong);
    training.mask_camera = at::ones({1, grid.shape[0], grid.shape[1], grid.shape[2]});
    if (kind.inputs(wrapped["model"]).masks) {
      // ProtoOcc's pseudo masks: 14 x 25 blocks per image, as many as its
      // prototypes at r = 4 on a 448x800 image (350).
      const at::Tensor rows =
          at::arange(options.height).div(std::max<int64_t>(1, options.height / 14), "floor");
      const at::Tensor columns =
          at::arange(options.width).div(std::max<int64_t>(1, options.width / 25), "floor");
      training.masks = (rows.view({-1, 1}) * 25 + columns.view({1, -1}))
                           .expand({1, options.cameras, options.height, options.width})
                           .contiguous();
    }
    std::vector<double> steps;
    for (int s = 0; s < options.train_steps + 1; ++s) {
      const auto start = std::chrono::steady_clock::now();
      optimizer.zero_grad();
      const auto output = model->forward(training);
      at::Tensor total;
      for (const auto& [name, term] : model->losses(output, training))
        total = total.defined() ? total + term : term;
      total.backward();
      occ::train::clip_gradient_norm(optimizer.parameters(), 35.0);
      optimizer.step(1e-4);
      if (s > 0)
        steps.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(steps.begin(), steps.end());
    const double median = steps[steps.size() / 2];
    report["train_step_s"] = median;
    report["train_samples_per_s"] = 1.0 / median;
  }
  report["peak_rss_mib"] = peak_rss_mib();
  std::printf("%s\n", report.dump().c_str());
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "model_bench: %s\n", error.what());
  return 1;
}
