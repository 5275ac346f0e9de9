// The CLI tests' copies of the tiny settings (tests/support/tiny_models.h)
// are the registry's, so a test that runs the occ binary shrinks the same
// modules the conformance test does.
#include <gtest/gtest.h>

#include "models/registry.h"
#include "support/tiny_models.h"

namespace occ::test {
namespace {

TEST(TinyModels, ListsAreTheRegistrysTinySettings) {
  EXPECT_EQ(tiny_baseline_settings(), models::find_model_kind("baseline").tiny_settings);
  EXPECT_EQ(tiny_letoccflow_settings(), models::find_model_kind("letoccflow").tiny_settings);
}

}  // namespace
}  // namespace occ::test
