#include "train/sample_order.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace occ::train {

uint64_t splitmix64(uint64_t value) {
  uint64_t z = value + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t hash_values(std::initializer_list<uint64_t> values) {
  uint64_t hash = 0;
  for (const uint64_t value : values) hash = splitmix64(hash ^ splitmix64(value));
  return hash;
}

double unit_interval(uint64_t hash) {
  return static_cast<double>(hash >> 11) * 0x1.0p-53;
}

std::vector<int64_t> epoch_permutation(int64_t count, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t{0});
  // Own generator and bounded draw rather than std::uniform_int_distribution,
  // whose algorithm differs between standard libraries.
  uint64_t state = hash_values({seed, static_cast<uint64_t>(epoch), 0x5eed0f0f0f0f0f0fULL});
  for (int64_t i = count - 1; i > 0; --i) {
    const uint64_t bound = static_cast<uint64_t>(i) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;  // rejection removes modulo bias
    uint64_t draw = 0;
    do {
      state = splitmix64(state);
      draw = state;
    } while (draw >= limit);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(draw % bound)]);
  }
  return order;
}

SampleOrder::SampleOrder(std::vector<int64_t> rows, int64_t batch_size, int64_t rank, int64_t world_size,
                         bool shuffle, bool drop_last, uint64_t seed)
    : rows_(std::move(rows)),
      batch_size_(batch_size),
      rank_(rank),
      world_size_(world_size),
      shuffle_(shuffle),
      seed_(seed) {
  const auto count = static_cast<int64_t>(rows_.size());
  const int64_t global = batch_size_ * world_size_;
  global_batches_per_epoch_ = drop_last ? count / global : (count + global - 1) / global;
  rank_batches_per_epoch_ = count / global;
  if (!drop_last && count % global > rank_ * batch_size_) ++rank_batches_per_epoch_;
}

std::vector<SampleSlot> SampleOrder::batch(int64_t batch) const {
  std::vector<SampleSlot> slots;
  if (global_batches_per_epoch_ == 0) return slots;
  const int64_t epoch = batch / global_batches_per_epoch_;
  const int64_t in_epoch = batch % global_batches_per_epoch_;
  const auto count = static_cast<int64_t>(rows_.size());
  if (epoch != cached_epoch_) {
    if (shuffle_) {
      cached_order_ = epoch_permutation(count, seed_, epoch);
    } else {
      cached_order_.resize(static_cast<size_t>(count));
      std::iota(cached_order_.begin(), cached_order_.end(), int64_t{0});
    }
    cached_epoch_ = epoch;
  }
  const int64_t first = in_epoch * batch_size_ * world_size_ + rank_ * batch_size_;
  const int64_t last = std::min(first + batch_size_, count);
  for (int64_t position = first; position < last; ++position) {
    slots.push_back(
        {rows_[static_cast<size_t>(cached_order_[static_cast<size_t>(position)])], epoch, position});
  }
  return slots;
}

}  // namespace occ::train
