// Times NeuS volume rendering forward+backward, the fused CPU kernel against
// the LibTorch reference (issue 15), at Let Occ Flow's nuScenes training
// shapes: 6 cameras x 32x88 rays x 256 samples through a 100x100x10-cell
// field (vertex grid 101x101x11, 0.8 m x 0.8 m x 0.64 m over +-40 m, z -1..5.4)
// with SDF and flow volumes and every output receiving a gradient.
//
//   volume_render_bench --impl fused|reference [--cameras N] [--rows R]
//                       [--cols C] [--samples S] [--repeats K] [--threads T]
//
// One implementation per process, so that the peak resident memory (ru_maxrss
// minus the resident size before the first timed run) is its own; prints one
// JSON line with wall-clock medians and the process CPU time per run (all
// threads; less sensitive to other work on a shared machine). scripts/bench_volume_render.sh interleaves
// processes and quotes medians. No assertions: timings belong here, never to unit tests.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "render/neus_rendering.h"
#include "render/rays.h"

namespace {

struct BenchOptions {
  std::string impl = "fused";
  int64_t cameras = 6, rows = 32, cols = 88, samples = 256;
  int repeats = 3;
  int threads = 2;
};

[[noreturn]] void usage(const std::string& message) {
  std::fprintf(stderr, "volume_render_bench: %s\n", message.c_str());
  std::exit(2);
}

BenchOptions parse(int argc, char** argv) {
  BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string text = argv[++i];
    if (flag == "--impl") {
      if (text != "fused" && text != "reference") usage("--impl is fused or reference, got '" + text + "'");
      options.impl = text;
      continue;
    }
    char* end = nullptr;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (end == text.c_str() || *end != '\0' || value < 1)
      usage(flag + " needs a positive integer, got '" + text + "'");
    if (flag == "--cameras")
      options.cameras = value;
    else if (flag == "--rows")
      options.rows = value;
    else if (flag == "--cols")
      options.cols = value;
    else if (flag == "--samples")
      options.samples = value;
    else if (flag == "--repeats")
      options.repeats = static_cast<int>(value);
    else if (flag == "--threads")
      options.threads = static_cast<int>(value);
    else
      usage("unknown option " + flag);
  }
  return options;
}

double resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0.0;
}

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

}  // namespace

int main(int argc, char** argv) {
  using occ::render::VolumeBox;
  const BenchOptions options = parse(argc, argv);
  at::set_num_threads(options.threads);
  at::manual_seed(0);
  const VolumeBox box = VolumeBox::from_cells({-40, -40, -1}, {40, 40, 5.4}, {100, 100, 10});
  const int64_t X = box.vertex_shape[0], Y = box.vertex_shape[1], Z = box.vertex_shape[2];
  // A ground plane at z = 0 with bumps, and a random flow.
  const at::Tensor z = at::arange(Z, at::kFloat) * static_cast<float>(box.voxel_size_m[2]) - 1.0f;
  const at::Tensor sdf =
      (z.reshape({1, 1, 1, 1, Z}).expand({1, 1, X, Y, Z}) + 0.5f * at::randn({1, 1, X, Y, Z}, at::kFloat))
          .contiguous();
  const at::Tensor flow = at::randn({1, 2, X, Y, Z}, at::kFloat);
  // Six cameras 1.6 m up, 60 degrees apart, 256x704 renders.
  std::vector<at::Tensor> poses, intrinsics;
  for (int64_t camera = 0; camera < options.cameras; ++camera) {
    const double yaw = static_cast<double>(camera) * 2.0 * M_PI / static_cast<double>(options.cameras);
    const double c = std::cos(yaw), s = std::sin(yaw);
    at::Tensor pose = at::eye(4, at::kFloat);
    const double axes[3][3] = {{s, -c, 0.0}, {0.0, 0.0, -1.0}, {c, s, 0.0}};  // camera x, y, z in ego
    for (int64_t row = 0; row < 3; ++row)
      for (int64_t col = 0; col < 3; ++col) pose[row][col] = axes[col][row];
    pose[2][3] = 1.6;
    poses.push_back(pose);
    intrinsics.push_back(
        at::tensor({400.0f, 0.0f, 352.0f, 0.0f, 400.0f, 128.0f, 0.0f, 0.0f, 1.0f}).reshape({3, 3}));
  }
  const int64_t per_camera = options.rows * options.cols;
  const at::Tensor pixels =
      occ::render::ray_grid_pixels(1, 256, 704, options.rows, options.cols, occ::render::make_generator(1));
  const occ::render::CameraRays rays = occ::render::camera_rays(pixels, at::stack(intrinsics).unsqueeze(0),
                                                                at::stack(poses).unsqueeze(0), box);
  const occ::render::RaySamples samples = occ::render::stratified_samples(
      rays.origins, rays.directions, rays.near, rays.far, options.samples,
      occ::render::ray_jitter(1, options.cameras, per_camera, occ::render::make_generator(2)));
  const at::Tensor inv_s = at::full({}, std::exp(1.0), at::kFloat);
  const bool fused = options.impl == "fused";

  const double resident_before = resident_mib();
  std::vector<double> times, forward_times, cpu_times;
  for (int repeat = 0; repeat < options.repeats; ++repeat) {
    const at::Tensor s = sdf.detach().requires_grad_(true);
    const at::Tensor f = flow.detach().requires_grad_(true);
    const at::Tensor v = inv_s.detach().requires_grad_(true);
    const std::clock_t cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    const occ::render::RenderOutput out = fused ? occ::render::render_fused({s, f}, box, samples, v, 0.5)
                                                : occ::render::render_reference({s, f}, box, samples, v, 0.5);
    forward_times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    // Every output a training step reads gets a gradient.
    const std::vector<at::Tensor> outputs = {out.weights, out.distance,         out.opacity,
                                             out.flow,    out.sample_gradients, out.sample_flow};
    std::vector<at::Tensor> grads;
    for (const auto& output : outputs) grads.push_back(at::ones_like(output) * 1e-3);
    torch::autograd::grad(outputs, {s, f, v}, grads);
    const auto stop = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    cpu_times.push_back(1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
  }
  std::sort(times.begin(), times.end());
  std::sort(forward_times.begin(), forward_times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  const double median_ms = times[times.size() / 2];
  const double total_rays = static_cast<double>(options.cameras * per_camera);
  std::printf(
      "{\"impl\": \"%s\", \"threads\": %d, \"rays\": %.0f, \"samples\": %lld, \"repeats\": %d, "
      "\"median_ms\": %.1f, \"min_ms\": %.1f, \"forward_ms\": %.1f, \"cpu_ms\": %.1f, \"rays_per_s\": %.0f, "
      "\"peak_extra_mib\": %.1f}\n",
      options.impl.c_str(), at::get_num_threads(), total_rays, static_cast<long long>(options.samples),
      options.repeats, median_ms, times.front(), forward_times[forward_times.size() / 2],
      cpu_times[cpu_times.size() / 2], total_rays / (median_ms / 1000.0),
      peak_resident_mib() - resident_before);
  return 0;
}
