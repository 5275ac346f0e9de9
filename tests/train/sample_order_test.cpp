// The deterministic order of the loader: the hash against splitmix64's
// published outputs, permutations, and batches split across epochs and ranks.
#include "train/sample_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace occ::train {
namespace {

TEST(SampleOrderTest, Splitmix64MatchesTheReferenceGenerator) {
  // Vigna's splitmix64.c seeded with 0 yields these first two outputs; our
  // splitmix64(x) is one step of that generator from state x.
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(splitmix64(0x9e3779b97f4a7c15ULL), 0x6e789e6aa1b965f4ULL);
  EXPECT_NE(hash_values({1, 2}), hash_values({2, 1}));
  EXPECT_EQ(unit_interval(0), 0.0);
  EXPECT_LT(unit_interval(UINT64_MAX), 1.0);
}

TEST(SampleOrderTest, EpochPermutationsAreRepeatableAndDiffer) {
  const auto first = epoch_permutation(50, /*seed=*/3, /*epoch=*/0);
  std::vector<int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), int64_t{0});
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(first, identity);
  EXPECT_EQ(epoch_permutation(50, 3, 0), first);
  EXPECT_NE(epoch_permutation(50, 3, 1), first);
  EXPECT_NE(epoch_permutation(50, 4, 0), first);
  EXPECT_TRUE(epoch_permutation(0, 3, 0).empty());
  EXPECT_EQ(epoch_permutation(1, 3, 0), std::vector<int64_t>{0});
}

TEST(SampleOrderTest, BatchesRunOnAcrossEpochs) {
  // 5 rows, batches of 2, drop_last: 2 batches per epoch, row 4's slot (or
  // another, when shuffled) left out of each epoch.
  const SampleOrder order({10, 11, 12, 13, 14}, /*batch_size=*/2, /*rank=*/0, /*world_size=*/1,
                          /*shuffle=*/false, /*drop_last=*/true, /*seed=*/0);
  EXPECT_EQ(order.global_batches_per_epoch(), 2);
  EXPECT_EQ(order.rank_batches_per_epoch(), 2);
  const auto batch3 = order.batch(3);  // epoch 1, second batch
  ASSERT_EQ(batch3.size(), 2u);
  EXPECT_EQ(batch3[0].row, 12);
  EXPECT_EQ(batch3[0].epoch, 1);
  EXPECT_EQ(batch3[0].position, 2);
  EXPECT_EQ(batch3[1].row, 13);
}

TEST(SampleOrderTest, RanksTakeConsecutiveSlicesOfTheGlobalBatch) {
  std::vector<int64_t> rows(10);
  std::iota(rows.begin(), rows.end(), int64_t{100});
  const SampleOrder whole(rows, 6, 0, 1, /*shuffle=*/true, /*drop_last=*/false, 9);
  std::vector<SampleOrder> ranks;
  for (int64_t rank = 0; rank < 3; ++rank) ranks.emplace_back(rows, 2, rank, 3, true, false, 9);
  for (int64_t batch = 0; batch < 4; ++batch) {  // two epochs of a full and a short batch
    std::vector<int64_t> joined;
    for (const auto& rank : ranks) {
      for (const auto& slot : rank.batch(batch)) joined.push_back(slot.row);
    }
    std::vector<int64_t> expected;
    for (const auto& slot : whole.batch(batch)) expected.push_back(slot.row);
    EXPECT_EQ(joined, expected) << batch;
  }
  // The short batch holds 4 frames: ranks 0 and 1 take 2 each, rank 2 none.
  EXPECT_EQ(ranks[1].rank_batches_per_epoch(), 2);
  EXPECT_EQ(ranks[2].rank_batches_per_epoch(), 1);
  EXPECT_TRUE(ranks[2].batch(1).empty());
}

}  // namespace
}  // namespace occ::train
