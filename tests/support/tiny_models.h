#pragma once
// The model kinds' tiny settings (models::ModelKind::tiny_settings, the demo
// preset shrunk until a step takes milliseconds) for the tests that run the
// occ binary and do not link the model library. One list per kind, so a new
// module that the demo preset turns on is shrunk in one place;
// TinyModels.ListsAreTheRegistrysTinySettings (tests/models) fails when a list
// here and the registry's part ways.
#include <string>
#include <vector>

namespace occ::test {

inline std::vector<std::string> tiny_baseline_settings() {
  return {"model.embed_dims=16",
          "model.num_heads=2",
          "model.num_points=2",
          "model.ffn_dims=32",
          "model.decoder_channels=[16, 16]",
          "model.classifier_hidden=16"};
}

inline std::vector<std::string> tiny_letoccflow_settings() {
  return {"model.embed_dims=16",       "model.num_heads=2",         "model.ffn_dims=32",
          "model.tpv_shape=[4, 4, 2]", "model.cross_view_points=2", "model.pillar_points=[2, 2, 2]",
          "model.head_dims=16",        "model.render.samples=16",   "model.render.ray_rows=8",
          "model.render.ray_cols=8",   "model.temporal_heads=2",    "model.temporal_points=2",
          "model.refine_blocks=[1, 1]"};
}

// {"--set", s} for each setting, to append to an occ train command line.
inline std::vector<std::string> set_arguments(const std::vector<std::string>& settings) {
  std::vector<std::string> arguments;
  for (const std::string& setting : settings) {
    arguments.push_back("--set");
    arguments.push_back(setting);
  }
  return arguments;
}

// `head` (a command line up to its options), `settings` as --set arguments,
// then `tail`.
inline std::vector<std::string> with_settings(std::vector<std::string> head,
                                              const std::vector<std::string>& settings,
                                              const std::vector<std::string>& tail = {}) {
  const std::vector<std::string> sets = set_arguments(settings);
  head.insert(head.end(), sets.begin(), sets.end());
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace occ::test
