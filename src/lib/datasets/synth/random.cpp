#include "datasets/synth/random.h"

#include <cmath>

namespace occ::synth {
namespace {

double smooth(double t) {
  return t * t * (3 - 2 * t);
}
double lerp(double a, double b, double t) {
  return a + (b - a) * t;
}

}  // namespace

double value_noise_2d(double x, double y, uint64_t seed) {
  const double fx = std::floor(x), fy = std::floor(y);
  const auto ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
  const double tx = smooth(x - fx), ty = smooth(y - fy);
  const double a = lattice_value(ix, iy, 0, seed), b = lattice_value(ix + 1, iy, 0, seed);
  const double c = lattice_value(ix, iy + 1, 0, seed), d = lattice_value(ix + 1, iy + 1, 0, seed);
  return lerp(lerp(a, b, tx), lerp(c, d, tx), ty);
}

double value_noise_3d(double x, double y, double z, uint64_t seed) {
  const double fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
  const auto ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy), iz = static_cast<int64_t>(fz);
  const double tx = smooth(x - fx), ty = smooth(y - fy), tz = smooth(z - fz);
  double layer[2];
  for (int k = 0; k < 2; ++k) {
    const double a = lattice_value(ix, iy, iz + k, seed), b = lattice_value(ix + 1, iy, iz + k, seed);
    const double c = lattice_value(ix, iy + 1, iz + k, seed), d = lattice_value(ix + 1, iy + 1, iz + k, seed);
    layer[k] = lerp(lerp(a, b, tx), lerp(c, d, tx), ty);
  }
  return lerp(layer[0], layer[1], tz);
}

double fractal_noise_2d(double x, double y, int octaves, uint64_t seed) {
  double sum = 0, weight = 1, total = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += weight * value_noise_2d(x, y, seed + static_cast<uint64_t>(o));
    total += weight;
    x *= 2.03;
    y *= 2.03;
    weight *= 0.5;
  }
  return sum / total;
}

double fractal_noise_3d(double x, double y, double z, int octaves, uint64_t seed) {
  double sum = 0, weight = 1, total = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += weight * value_noise_3d(x, y, z, seed + static_cast<uint64_t>(o));
    total += weight;
    x *= 2.03;
    y *= 2.03;
    z *= 2.03;
    weight *= 0.5;
  }
  return sum / total;
}

}  // namespace occ::synth
