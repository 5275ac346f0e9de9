// The torch-free check of a model file's AdamW state (occ inspect
// --validate): moments in pairs, each the shape of the parameter it names,
// an update count no larger than the model's step, generator state beside.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <functional>

#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/model_layout.h"
#include "support/temp_dir.h"

namespace occ::h5 {
namespace {

std::string str_path(const std::string& moment, const std::string& parameter) {
  return "/optimizer/" + moment + "/" + parameter;
}

void remove(File& file, const std::string& path) {
  ASSERT_GE(H5Ldelete(file.id(), path.c_str(), H5P_DEFAULT), 0) << path;
}

// A model with parameters head.w (2, 3) and head.b (3), both trained, and a
// buffer head.mean (3) without optimiser state; `change` edits the file.
std::vector<std::string> layout_problems(const std::function<void(File&)>& change = nullptr,
                                         bool with_optimizer = true) {
  test::TempDir dir;
  const std::string path = dir.file("m.h5");
  File file = File::create(path, path);
  write_attribute(file, "/", "step", int64_t{5});
  write(file, "/weights/head/w", std::vector<float>(6, 0.1f), {2, 3});
  write(file, "/weights/head/b", std::vector<float>(3, 0.0f), {3});
  write(file, "/weights/head/mean", std::vector<float>(3, 0.0f), {3});
  if (with_optimizer) {
    write(file, "/optimizer/steps", std::vector<int64_t>{5}, {});
    for (const char* moment : {"exp_avg", "exp_avg_sq"}) {
      write(file, str_path(moment, "head.w"), std::vector<float>(6, 0.0f), {2, 3});
      write(file, str_path(moment, "head.b"), std::vector<float>(3, 0.0f), {3});
    }
    write(file, "/rng/cpu", std::vector<uint8_t>(16, 1), {16});
  }
  if (change) change(file);
  return check_model_layout(file);
}

TEST(ModelLayout, ConsistentStateAndNoStateHaveNoProblems) {
  EXPECT_TRUE(layout_problems().empty()) << ::testing::PrintToString(layout_problems());
  EXPECT_TRUE(layout_problems(nullptr, false).empty());
}

TEST(ModelLayout, AMomentDroppedOrShortened) {
  const auto dropped = layout_problems([](File& file) { remove(file, "/optimizer/exp_avg_sq/head.w"); });
  ASSERT_EQ(dropped.size(), 1u) << ::testing::PrintToString(dropped);
  EXPECT_EQ(dropped[0],
            "dataset '/optimizer/exp_avg_sq/head.w' is missing: parameter 'head.w' has only one of its two "
            "AdamW moments");
  const auto shortened = layout_problems([](File& file) {
    remove(file, "/optimizer/exp_avg/head.w");
    write(file, "/optimizer/exp_avg/head.w", std::vector<float>(4, 0.0f), {2, 2});
  });
  ASSERT_EQ(shortened.size(), 1u) << ::testing::PrintToString(shortened);
  EXPECT_EQ(shortened[0],
            "dataset '/optimizer/exp_avg/head.w' has shape (2, 2), but parameter '/weights/head/w' has shape "
            "(2, 3)");
}

TEST(ModelLayout, StateOfNoParameterAndForeignState) {
  const auto orphan = layout_problems([](File& file) {
    for (const char* moment : {"exp_avg", "exp_avg_sq"})
      write(file, str_path(moment, "tail.w"), std::vector<float>(3, 0.0f), {3});
    write(file, "/optimizer/momentum/head.w", std::vector<float>(6, 0.0f), {2, 3});
  });
  ASSERT_EQ(orphan.size(), 2u) << ::testing::PrintToString(orphan);
  EXPECT_EQ(orphan[0],
            "dataset '/optimizer/momentum/head.w' is not AdamW state (steps, exp_avg/<parameter>, "
            "exp_avg_sq/<parameter>)");
  EXPECT_EQ(orphan[1], "optimiser state for 'tail.w' names no parameter ('/weights/tail/w' is missing)");
}

TEST(ModelLayout, UpdateCountAndGeneratorState) {
  const auto no_steps = layout_problems([](File& file) { remove(file, "/optimizer/steps"); });
  ASSERT_EQ(no_steps.size(), 1u) << ::testing::PrintToString(no_steps);
  EXPECT_EQ(no_steps[0], "dataset '/optimizer/steps' is missing: the optimiser state has no update count");
  const auto ahead = layout_problems([](File& file) {
    remove(file, "/optimizer/steps");
    write(file, "/optimizer/steps", std::vector<int64_t>{9}, {});
  });
  ASSERT_EQ(ahead.size(), 1u) << ::testing::PrintToString(ahead);
  EXPECT_EQ(ahead[0], "dataset '/optimizer/steps' holds 9 updates, but the model's 'step' attribute is 5");
  const auto no_rng = layout_problems([](File& file) { remove(file, "/rng/cpu"); });
  ASSERT_EQ(no_rng.size(), 1u) << ::testing::PrintToString(no_rng);
  EXPECT_EQ(no_rng[0], "dataset '/rng/cpu' is missing: the file has optimiser state but no generator state");
}

}  // namespace
}  // namespace occ::h5
