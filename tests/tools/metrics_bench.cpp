// Times the metric kernels on labels saved as .npy by scripts/bench_eval.py,
// without HDF5 or process start-up, so the benchmark can report compute
// throughput next to the end-to-end `occ eval` time. Prints one JSON object.
//
//   metrics_bench GT.npy PRED.npy MASK.npy [ORIGINS_PER_FRAME] [RAY_FRAMES]
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/threads.h"
#include "datasets/npy.h"
#include "metrics/confusion.h"
#include "metrics/rayiou.h"

using namespace occ;

namespace {

// CPU time of this thread: the machine may be shared, and both kernels run
// on one thread here, so CPU seconds are the per-core cost.
double thread_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: metrics_bench GT.npy PRED.npy MASK.npy [ORIGINS_PER_FRAME] [RAY_FRAMES]\n";
    return 2;
  }
  try {
    const npy::Array gt = npy::read_npy(argv[1]);
    const npy::Array pred = npy::read_npy(argv[2]);
    const npy::Array mask = npy::read_npy(argv[3]);
    const int origins = argc > 4 ? std::stoi(argv[4]) : 8;
    const int64_t frames = gt.shape[0];
    const int64_t ray_frames = argc > 5 ? std::min<int64_t>(std::stoll(argv[5]), frames) : frames;
    geom::VoxelGrid grid;  // Occ3D's origin and voxels
    grid.shape = {gt.shape[1], gt.shape[2], gt.shape[3]};
    const int64_t voxels = grid.count();

    double start = thread_seconds();
    metrics::Occ3dMiou miou(18, 17);
    for (int64_t f = 0; f < frames; ++f) {
      miou.add(gt.bytes.data() + f * voxels, pred.bytes.data() + f * voxels, mask.bytes.data() + f * voxels,
               voxels);
    }
    const double miou_seconds = thread_seconds() - start;

    // One thread: rays per second per core.
    set_thread_budget(1);
    const auto directions = metrics::lidar_ray_directions();
    metrics::RayIou rays(18, 17, {});
    int64_t cast = 0;
    start = thread_seconds();
    for (int64_t f = 0; f < ray_frames; ++f) {
      metrics::RayFrame frame;
      frame.gt = gt.bytes.data() + f * voxels;
      frame.pred = pred.bytes.data() + f * voxels;
      // Origins spread along the driving direction, as keyframes of a scene are.
      for (int o = 0; o < origins; ++o) frame.origins_m.push_back({-14.0 + 4.0 * o, 0.3 * o, 1.84});
      cast += metrics::add_frame_rays(frame, grid, directions, rays);
    }
    const double ray_seconds = thread_seconds() - start;
    nlohmann::json out = {{"frames", frames},
                          {"miou", 100 * miou.miou()},
                          {"miou_seconds", miou_seconds},
                          {"ray_frames", ray_frames},
                          {"rays_cast", cast},
                          {"ray_seconds", ray_seconds},
                          {"rays_per_second_per_core", static_cast<double>(cast) / ray_seconds},
                          {"rayiou", 100 * rays.rayiou()}};
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const Error& error) {
    std::cerr << "metrics_bench: " << error.what() << "\n";
    return 1;
  }
}
