#pragma once
// Deterministic randomness for the synthetic world. The standard library's
// distributions differ between implementations, so the same seed would give
// different worlds on different machines: everything here is our own.
#include <cstdint>

namespace occ::synth {

// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): a good 64-bit mixer.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t hash_combine(uint64_t a, uint64_t b) {
  return mix64(a ^ mix64(b));
}

class Random {
 public:
  explicit Random(uint64_t seed) : state_(mix64(seed)) {}
  uint64_t next() { return mix64(state_++); }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Uniform integer in [low, high].
  int integer(int low, int high) {
    return low + static_cast<int>(next() % static_cast<uint64_t>(high - low + 1));
  }
  bool chance(double probability) { return uniform() < probability; }

 private:
  uint64_t state_;
};

// Value noise (Perlin, "An image synthesizer", SIGGRAPH 1985, without
// gradients): hashed lattice values blended with a smoothstep, in [0, 1).
double value_noise_2d(double x, double y, uint64_t seed);
double value_noise_3d(double x, double y, double z, uint64_t seed);
// Sum of `octaves` noise layers, each twice the frequency and half the
// weight of the previous one, normalised to [0, 1).
double fractal_noise_2d(double x, double y, int octaves, uint64_t seed);
double fractal_noise_3d(double x, double y, double z, int octaves, uint64_t seed);
// A deterministic value in [0, 1) for an integer lattice point.
inline double lattice_value(int64_t x, int64_t y, int64_t z, uint64_t seed) {
  const uint64_t h = hash_combine(hash_combine(hash_combine(seed, uint64_t(x)), uint64_t(y)), uint64_t(z));
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace occ::synth
