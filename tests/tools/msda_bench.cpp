// Times multi-scale deformable attention forward+backward, fused CPU kernel
// against the grid_sample reference, at the shapes of the Small baseline's
// spatial cross-attention (issue 7): 6 camera batches of hit queries, 8 heads,
// 8 points, 256 channels over a 448x800 image pyramid at strides 8..64.
//
//   msda_bench [--queries Q] [--batch B] [--levels L] [--points P]
//              [--channels C] [--heads H] [--repeats N] [--threads T]
//
// Prints forward+backward per implementation, the speed-up, then forward
// only. No assertions: timings belong to this program, never to unit tests.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "nn/deformable_attention.h"

namespace {

struct BenchOptions {
  int64_t batch = 6;       // cameras of one sample (batch size 1)
  int64_t queries = 2000;  // hit queries per camera (of 50x50x16 voxel queries)
  int64_t levels = 4;      // strides 8, 16, 32, 64 (a fifth level would be 128)
  int64_t points = 8;
  int64_t channels = 256;
  int64_t heads = 8;
  int repeats = 3;
  int threads = 0;  // 0: LibTorch's default
};

int64_t parse_int(const char* text, const char* name) {
  char* end = nullptr;
  const long long parsed = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || parsed < 1) {
    std::fprintf(stderr, "msda_bench: %s needs a positive integer, got '%s'\n", name, text);
    std::exit(2);
  }
  return parsed;
}

BenchOptions parse(int argc, char** argv) {
  BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "msda_bench: %s needs a value\n", flag.c_str());
      std::exit(2);
    }
    const int64_t value = parse_int(argv[++i], flag.c_str());
    if (flag == "--queries")
      options.queries = value;
    else if (flag == "--batch")
      options.batch = value;
    else if (flag == "--levels")
      options.levels = value;
    else if (flag == "--points")
      options.points = value;
    else if (flag == "--channels")
      options.channels = value;
    else if (flag == "--heads")
      options.heads = value;
    else if (flag == "--repeats")
      options.repeats = static_cast<int>(value);
    else if (flag == "--threads")
      options.threads = static_cast<int>(value);
    else {
      std::fprintf(stderr, "msda_bench: unknown option %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return options;
}

// Best of `repeats` forward+backward runs, in milliseconds.
double time_forward_backward(bool fused, const occ::nn::LevelLayout& layout, const at::Tensor& value,
                             const at::Tensor& locations, const at::Tensor& weights,
                             const at::Tensor& grad_output, int repeats) {
  double best = 1e300;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    const at::Tensor v = value.detach().requires_grad_(true);
    const at::Tensor l = locations.detach().requires_grad_(true);
    const at::Tensor w = weights.detach().requires_grad_(true);
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor output =
        fused ? occ::nn::msda_fused(v, layout.spatial_shapes, layout.level_start_index, l, w)
              : occ::nn::msda_reference(v, layout.spatial_shapes, layout.level_start_index, l, w);
    const auto grads = torch::autograd::grad({output}, {v, l, w}, {grad_output});
    const auto stop = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(stop - start).count());
  }
  return best;
}

// Best of `repeats` forward-only runs without autograd (inference), in ms.
double time_forward(bool fused, const occ::nn::LevelLayout& layout, const at::Tensor& value,
                    const at::Tensor& locations, const at::Tensor& weights, int repeats) {
  torch::NoGradGuard no_grad;
  double best = 1e300;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    const auto start = std::chrono::steady_clock::now();
    const at::Tensor output = fused ? occ::nn::msda_fused(value, layout.spatial_shapes,
                                                          layout.level_start_index, locations, weights)
                                    : occ::nn::msda_reference(value, layout.spatial_shapes,
                                                              layout.level_start_index, locations, weights);
    const auto stop = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(stop - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const BenchOptions options = parse(argc, argv);
  if (options.threads > 0) at::set_num_threads(options.threads);
  if (options.channels % options.heads != 0) {
    std::fprintf(stderr, "msda_bench: --channels must be divisible by --heads\n");
    return 2;
  }
  // 448x800 image, level l at stride 8 * 2^l, sizes rounded up like a conv stack.
  std::vector<std::pair<int64_t, int64_t>> shapes;
  int64_t positions = 0;
  for (int64_t level = 0; level < options.levels; ++level) {
    const int64_t stride = int64_t{8} << level;
    const int64_t height = (448 + stride - 1) / stride;
    const int64_t width = (800 + stride - 1) / stride;
    shapes.emplace_back(height, width);
    positions += height * width;
  }
  const occ::nn::LevelLayout layout = occ::nn::make_level_layout(shapes);
  at::manual_seed(0);
  const int64_t head_dims = options.channels / options.heads;
  const at::Tensor value = at::randn({options.batch, positions, options.heads, head_dims});
  const at::Tensor locations =
      at::rand({options.batch, options.queries, options.heads, options.levels, options.points, 2});
  const at::Tensor weights =
      at::rand({options.batch, options.queries, options.heads, options.levels, options.points});
  const at::Tensor grad_output = at::randn({options.batch, options.queries, options.channels});

  std::printf(
      "msda_bench: batch %lld, queries %lld, heads %lld, channels %lld, points %lld, "
      "levels %lld (",
      static_cast<long long>(options.batch), static_cast<long long>(options.queries),
      static_cast<long long>(options.heads), static_cast<long long>(options.channels),
      static_cast<long long>(options.points), static_cast<long long>(options.levels));
  for (size_t level = 0; level < shapes.size(); ++level)
    std::printf("%s%lldx%lld", level ? ", " : "", static_cast<long long>(shapes[level].first),
                static_cast<long long>(shapes[level].second));
  std::printf("), %d threads, best of %d\n", at::get_num_threads(), options.repeats);

  const double reference_ms =
      time_forward_backward(false, layout, value, locations, weights, grad_output, options.repeats);
  std::printf("reference (grid_sample) forward+backward: %10.1f ms\n", reference_ms);
  const double fused_ms =
      time_forward_backward(true, layout, value, locations, weights, grad_output, options.repeats);
  std::printf("fused CPU kernel        forward+backward: %10.1f ms\n", fused_ms);
  std::printf("speed-up forward+backward: %.2fx\n", reference_ms / fused_ms);
  const double reference_forward_ms = time_forward(false, layout, value, locations, weights, options.repeats);
  const double fused_forward_ms = time_forward(true, layout, value, locations, weights, options.repeats);
  std::printf("forward only (no grad): reference %.1f ms, fused %.1f ms, speed-up %.2fx\n",
              reference_forward_ms, fused_forward_ms, reference_forward_ms / fused_forward_ms);
  return 0;
}
