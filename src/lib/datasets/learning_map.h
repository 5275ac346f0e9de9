#pragma once
// SemanticKITTI's raw-label -> training-class map (the `learning_map` block
// of semantic-kitti.yaml, PRBonn/semantic-kitti-api config/).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace occ::datasets {

// Reads the `learning_map:` block ("  <raw> : <class>" lines) of the yaml.
std::map<int, int> read_learning_map(const std::string& yaml_path);

// Lookup table raw id -> class for scene completion, as evaluate_completion.py
// builds it: every id mapped to 0 becomes 255 (invalid) except raw 0, which
// stays 0 ("empty"); ids not in the map (up to max key + 99) are 255 too.
std::vector<uint8_t> completion_lut(const std::map<int, int>& learning_map);

}  // namespace occ::datasets
