// The model kinds are described once, torch-free (models/model_catalog.h,
// read by the occ executable to declare train's and predict's options), and
// built in the registry (models/registry.h), which takes the description
// from the catalog instead of repeating it.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "models/model_catalog.h"
#include "models/registry.h"

namespace occ::models {
namespace {

std::vector<std::string> switch_flags(const KindDescription& kind) {
  std::vector<std::string> flags;
  for (const TrainSwitch& option : kind.switches) flags.push_back(option.flag);
  return flags;
}

std::vector<std::string> extra_names(const KindDescription& kind) {
  std::vector<std::string> names;
  for (const ExtraOutput& extra : kind.extra_outputs) names.push_back(extra.name);
  return names;
}

TEST(ModelCatalog, EveryDescribedKindHasABuilderAndEveryBuiltKindADescription) {
  std::set<std::string> described;
  std::set<std::string> built;
  for (const KindDescription& kind : model_catalog()) described.insert(kind.name);
  for (const ModelKind& kind : model_kinds()) built.insert(kind.name);
  EXPECT_EQ(described, built);
  EXPECT_EQ(model_catalog().size(), model_kinds().size());  // no name twice
  for (const char* name : {"baseline", "protoocc", "letoccflow"})
    EXPECT_EQ(described.count(name), 1u) << name;
}

TEST(ModelCatalog, TheRegistryTakesEachKindsDescriptionFromTheCatalog) {
  for (const ModelKind& kind : model_kinds()) {
    SCOPED_TRACE(kind.name);
    const KindDescription& description = find_kind_description(kind.name);
    EXPECT_EQ(kind.summary, description.summary);
    EXPECT_FALSE(kind.summary.empty());
    EXPECT_EQ(switch_flags(kind), switch_flags(description));
    EXPECT_EQ(kind.switches_title, description.switches_title);
    EXPECT_EQ(extra_names(kind), extra_names(description));
    // A kind with shorthands names their option group.
    EXPECT_EQ(kind.switches.empty(), kind.switches_title.empty());
    for (const TrainSwitch& option : kind.switches) EXPECT_TRUE(static_cast<bool>(option.assignments));
  }
  // The shorthands still stand for the same assignments.
  const KindDescription& protoocc = find_kind_description("protoocc");
  ASSERT_EQ(protoocc.switches.size(), 4u);
  EXPECT_EQ(protoocc.switches[0].assignments(""),
            (std::vector<std::string>{"model.proto_mapping=false", "model.proto_optimisation=false"}));
  EXPECT_EQ(protoocc.switches[3].assignments("flip"),
            std::vector<std::string>{"model.mod_augmentations=flip"});
  const KindDescription& letoccflow = find_kind_description("letoccflow");
  EXPECT_EQ(letoccflow.switches.front().assignments("300"),
            std::vector<std::string>{"model.stage2_from_step=300"});
}

TEST(ModelCatalog, EveryExtraAConfigurationOffersIsDescribed) {
  // ProtoOcc offers its prototypes with the default configuration (mapping on).
  const GridSpec grid = GridSpec::occ3d_nuscenes();
  for (const ModelKind& kind : model_kinds()) {
    SCOPED_TRACE(kind.name);
    const std::vector<std::string> described = extra_names(kind);
    const ModelOutputs outputs = kind.outputs(kind.default_config(kind.sizes.front(), grid));
    for (const std::string& extra : outputs.extras)
      EXPECT_NE(std::find(described.begin(), described.end(), extra), described.end()) << extra;
  }
  EXPECT_EQ(
      find_model_kind("protoocc").outputs(find_model_kind("protoocc").default_config("small", grid)).extras,
      std::vector<std::string>{"prototypes"});
}

TEST(ModelCatalog, ANameIsDescribedOnce) {
  const size_t before = model_catalog().size();
  EXPECT_THROW(register_model_kind(ModelKind(find_kind_description("baseline"))), UsageError);
  EXPECT_THROW(describe_model_kind(find_kind_description("protoocc")), UsageError);
  EXPECT_EQ(model_catalog().size(), before);
  EXPECT_EQ(model_kinds().size(), before);
  try {
    find_kind_description("nope");
    ADD_FAILURE() << "no error";
  } catch (const UsageError& error) {
    // Kinds registered by other tests follow the library's.
    EXPECT_EQ(
        std::string(error.what()).rfind("unknown model 'nope' (known: baseline, protoocc, letoccflow", 0), 0u)
        << error.what();
  }
}

}  // namespace
}  // namespace occ::models
