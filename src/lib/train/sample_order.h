#pragma once
// Which frames go into which batch, and the random draws of augmentation, as
// pure functions of (seed, epoch, position): a run resumed at batch k, or run
// with a different number of threads, sees exactly the same batches.
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace occ::train {

// splitmix64's finaliser (Steele, Lea & Flood, "Fast splittable pseudorandom
// number generators", OOPSLA 2014): a bijective 64-bit mix, so hashing
// distinct inputs never collides and nearby seeds give unrelated outputs.
uint64_t splitmix64(uint64_t value);
// Chains splitmix64 over the values: a key for (seed, epoch, position, ...).
uint64_t hash_values(std::initializer_list<uint64_t> values);
// The top 53 bits of a hash as a double in [0, 1).
double unit_interval(uint64_t hash);

// A permutation of 0 .. count-1 (Fisher-Yates) drawn from (seed, epoch).
std::vector<int64_t> epoch_permutation(int64_t count, uint64_t seed, int64_t epoch);

// One frame of a batch: the frames-file row and where it sits in its epoch.
struct SampleSlot {
  int64_t row = 0;
  int64_t epoch = 0;
  int64_t position = 0;  // index into the epoch's order
};

// Global batch k of an epoch holds the positions [k*B*W, (k+1)*B*W) of the
// epoch's order (B = batch_size, W = world_size); rank r takes the slice
// [r*B, (r+1)*B) of it. Batches are counted over all epochs: global batch
// index g is batch g % batches_per_epoch of epoch g / batches_per_epoch.
class SampleOrder {
 public:
  SampleOrder(std::vector<int64_t> rows, int64_t batch_size, int64_t rank, int64_t world_size, bool shuffle,
              bool drop_last, uint64_t seed);

  // Global batches in one epoch; without drop_last the last one may be short.
  int64_t global_batches_per_epoch() const { return global_batches_per_epoch_; }
  // Batches of one epoch in which this rank gets at least one frame.
  int64_t rank_batches_per_epoch() const { return rank_batches_per_epoch_; }
  // This rank's frames of global batch `batch`; empty when the last, short
  // batch of an epoch has nothing left for this rank.
  // Not thread-safe: it caches the order of the last epoch asked for.
  std::vector<SampleSlot> batch(int64_t batch) const;

 private:
  std::vector<int64_t> rows_;
  int64_t batch_size_, rank_, world_size_;
  bool shuffle_;
  uint64_t seed_;
  int64_t global_batches_per_epoch_ = 0, rank_batches_per_epoch_ = 0;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<int64_t> cached_order_;  // indices into rows_
};

}  // namespace occ::train
